"""How text becomes words, for listings and queries alike: one analysis, Whoosh's parts.

Listings and queries go through the same steps (Whoosh's tokenizer, lower case, its
Porter stemmer), and the vocabulary's phrases are found in both the same way, so
"SALT" in a query finds a listing that says "speech and language therapists".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from markupsafe import escape
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.highlight import HtmlFormatter, WholeFragmenter, highlight
from whoosh.lang.porter import stem as porter_stem

from directory import facets as facet_defs
from directory.catalogue import Catalogue, Organisation, Scheme
from directory.vocabulary import Vocabulary

# Word-search fields and how much a match in each counts (name > provider > summary > description).
TEXT_FIELDS = {"name": 4.0, "provider": 3.0, "summary": 2.0, "description": 1.0}
TERMS_BOOST = 4.0  # a listing that is about a vocabulary term ("physio" -> physiotherapist)
# The labels of what a listing's rules accept: "leadership" finds a scheme for members
# of the "Student Leadership Programme", as a word said in passing would.
LABELS_BOOST = 1.5
# Vocabulary whose words people search with: "physio", "SALT", "radiography students".
SYNONYM_SETS = ("professions", "memberships", "mentoring_types", "stages", "provider_kinds")
# Anything but words ("physio*", "AND", quotes) is read as plain text.
WORD = re.compile(r"[a-z0-9&]+(?:['’-][a-z0-9]+)*")
# What Whoosh's RegexTokenizer finds in WORD's matches: runs of letters and digits. One
# findall, where a Token object per word cost a fifth of building the index.
ALNUM = re.compile(r"[a-z0-9]+")
STEMMED = StemmingAnalyzer()  # for highlighting: finds the stems in the original text
stem = functools.lru_cache(maxsize=100_000)(porter_stem)


def plain_words(text: str) -> list[str]:
    """Lower-case words, unstemmed, stop words kept (as Whoosh's tokenizer splits them)."""
    return ALNUM.findall(text.lower())


def tokens(text: str) -> list[str]:
    """Words as the index sees them: stemmed, stop words kept.

    Stop words stay so that phrases keep their shape: "pharmacists and AHPs"
    must not read as the term "pharmacist (not an AHP)".
    """
    return [stem(word) for word in plain_words(text)]


def indexed(words: list[str]) -> list[str]:
    """What a text field holds of these plain words: stemmed, without stop words or
    single letters (as Whoosh's StemmingAnalyzer would index them)."""
    return [stem(w) for w in words if len(w) > 1 and w not in STOP_WORDS]


def spelling(words: list[str]) -> set[str]:
    """The words "did you mean" may offer (as Whoosh's StandardAnalyzer keeps them)."""
    return {w for w in words if len(w) > 1 and w not in STOP_WORDS}


@functools.lru_cache(maxsize=4096)
def stems(word: str) -> frozenset[str]:
    """A word as the text fields index it."""
    return frozenset(indexed(plain_words(word)))


# The vocabulary's phrases ---------------------------------------------------------------------


@dataclass(frozen=True)
class Phrases:
    """The vocabulary's searchable phrases, stemmed: (word, ...) -> [(term set, slug)]."""

    matches: dict[tuple[str, ...], list[tuple[str, str]]]
    first_words: frozenset[str]  # most words start no phrase: one set lookup says so
    longest: int


@functools.lru_cache(maxsize=8)
def phrases(vocabulary: Vocabulary) -> Phrases:
    found: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for phrase, matches in vocabulary.synonyms.items():
        key = tuple(tokens(phrase))
        for match in matches:
            if key and match[0] in SYNONYM_SETS and match not in found.get(key, ()):
                found.setdefault(key, []).append(match)
    return Phrases(found, frozenset(k[0] for k in found), max(map(len, found), default=1))


def vocabulary_mentions(vocabulary: Vocabulary, words: list[str]):
    """Walk stemmed words, finding vocabulary phrases (longest first): yields (words, matches).

    `matches` lists the (term set, slug) pairs a phrase names, or is empty for a plain word.
    """
    known = phrases(vocabulary)
    i = 0
    while i < len(words):
        size, matches = 1, []
        if words[i] in known.first_words:
            for size in range(min(known.longest, len(words) - i), 0, -1):
                matches = known.matches.get(tuple(words[i : i + size]), [])
                if matches:
                    break
            size = max(size, 1)
        yield words[i : i + size], matches
        i += size


def mentioned_terms(vocabulary: Vocabulary, stemmed: list[str]) -> set[str]:
    """The vocabulary terms some stemmed words mention, as "set:slug" (what
    `vocabulary_mentions` finds, looking only where a phrase can start)."""
    known = phrases(vocabulary)
    found: set[str] = set()
    i, end = 0, len(stemmed)
    while i < end:
        if stemmed[i] not in known.first_words:
            i += 1
            continue
        size = min(known.longest, end - i)
        while size and not (matches := known.matches.get(tuple(stemmed[i : i + size]))):
            size -= 1
        if not size:
            i += 1
            continue
        found.update(f"{set_name}:{slug}" for set_name, slug in matches)
        i += size
    return found


# A listing as the index holds it ---------------------------------------------------------------


def provider_text(organisation: Organisation) -> str:
    return " ".join(filter(None, [organisation.name, organisation.abbreviation]))


def listing_text(scheme: Scheme, catalogue: Catalogue) -> dict[str, str]:
    return {
        "name": scheme.name,
        "provider": provider_text(catalogue.organisations[scheme.provider]),
        "summary": scheme.summary,
        "description": scheme.description,
    }


def labels(vocabulary: Vocabulary, facet_values: dict[str, list[str]]) -> list[str]:
    found = []
    for facet in facet_defs.FACETS:
        if facet.term_set in SYNONYM_SETS and facet.id in facet_values:
            terms = (vocabulary.find(facet.term_set, v) for v in facet_values[facet.id])
            found += [term.label for term in terms if term is not None]
    return found


def document(scheme: Scheme, catalogue: Catalogue) -> dict[str, str]:
    """One listing's searchable text and facet values (also what bench/to_datasette.py
    gives Datasette, so both sides search the same words)."""
    values = facet_defs.scheme_facets(scheme, catalogue)
    return {
        "id": scheme.id,
        **listing_text(scheme, catalogue),
        "labels": " ".join(labels(catalogue.vocabulary, values)),
        **{facet_id: ",".join(vals) for facet_id, vals in values.items()},
    }


# Showing matches ------------------------------------------------------------------------------


def highlighted(words: frozenset[str], text: str) -> str:
    """The text with matched words in <mark>, HTML-escaped; plain escaped text if none."""
    if not words:
        return str(escape(text))
    formatter = HtmlFormatter(tagname="mark", between=" … ")
    formatter.template = "<%(tag)s>%(t)s</%(tag)s>"  # no classes: styled by the element
    marked = highlight(text, words, STEMMED, WholeFragmenter(), formatter, top=1)
    return marked or str(escape(text))
