"""Searching one snapshot of the index: match, rank, filter, count facets, page.

Sets of listings are bitmaps (Python integers, bit n = Whoosh's document n), so
intersecting and counting them is fast C arithmetic at 10,000 listings. Each word's
postings are read from Whoosh once per snapshot (`searcher.postings`, its public matcher)
and kept as a bitmap and BM25 scores; a search combines the kept words.
"""

from __future__ import annotations

import functools
import math
import threading
from array import array
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from whoosh.analysis import STOP_WORDS
from whoosh.scoring import bm25
from whoosh.spelling import ListCorrector
from whoosh.util.numeric import byte_to_length, length_to_byte

from directory import bitmaps
from directory import facets as facet_defs
from directory.catalogue import Catalogue, Scheme
from directory.search import words
from directory.search.index import LABELLED_FACETS, LABELS, PROVIDER, SHARED_FIELDS, TERMS

PAGE_SIZE = 10
SORTS = ("relevance", "name")
BM25_B, BM25_K1 = 0.75, 1.2  # Whoosh's BM25F defaults
POSTINGS_CACHE_SIZE = 512  # words kept per snapshot: at most ~120 kB each
FOUND_CACHE_SIZE = 256  # whole matches kept per snapshot: at most ~40 kB each
# "physio" also finds listings whose rules accept physiotherapists: their facet values.
FACETS_BY_TERM_SET = {
    set_name: [f.id for f in facet_defs.FACETS if f.term_set == set_name]
    for set_name in words.SYNONYM_SETS
}
FACET_IDS = frozenset(f.id for f in facet_defs.FACETS)
# Whoosh keeps a length in one byte: lengths as it rounds them (the last stands for more).
QUANTISED = [byte_to_length(length_to_byte(n)) for n in range(2048)]
SAME_PROVIDER_WEIGHT = 10  # among related listings, the provider's other ones come first


@dataclass
class Hit:
    id: str
    name_html: str  # highlighted, HTML-escaped
    summary_html: str


@dataclass
class Query:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet id -> values (OR)
    sort: str = "relevance"
    page: int = 1
    page_size: int = PAGE_SIZE
    within: frozenset[str] | None = None  # only these listing ids ("search as me")


@dataclass
class Results:
    hits: list[Hit]
    total: int
    facet_counts: dict[str, dict[str, int]]  # facet id -> value -> count
    page: int
    pages: int
    suggestion: str | None = None  # "did you mean"
    corrected: bool = False  # results are for the suggestion, not the text typed
    relaxed: bool = False  # no listing had every word: these have some
    # profession -> how many of its count are not open to all AHPs (those are counted
    # once, under facets.ALL_AHPS): what a page shows beside each profession
    profession_only_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Alternative:
    """One way a part of the query can match: `text` in `field`, its score times `boost`.
    Facet fields come from the catalogue and score 1; the others score BM25F."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Plan:
    parts: tuple[tuple[Alternative, ...], ...]  # each part matches if any alternative does
    every_word: bool
    highlight: frozenset[str]


@dataclass(frozen=True)
class Postings:
    bits: int
    docnums: array  # arrays, not lists: a word in every listing is 0.12 MB, not 0.6
    scores: array


@dataclass(frozen=True)
class Found:
    plan: Plan | None
    matched: int
    ranking: array | tuple  # docnums, best first
    suggestion: str | None = None
    corrected: bool = False
    relaxed: bool = False


class Snapshot:
    """The index at one catalogue version, and the tables its searches read."""

    def __init__(
        self, searcher, catalogue: Catalogue, version: int, entries, spelling, previous=None
    ):
        self.searcher = searcher  # read under _read_lock: only when a word is not kept
        self.catalogue = catalogue
        self.version = version
        self.vocabulary = catalogue.vocabulary
        ids = list(searcher.reader().column_reader("id"))
        live = list(searcher.reader().all_doc_ids())
        self.size = len(ids)
        self.ids = ids
        self.docnums = {ids[d]: d for d in live}
        self.all_bits = bitmaps.from_positions(live, self.size)
        if previous is not None and ids[: previous.size] == previous.ids:
            # An edit: Whoosh appended documents and marked others deleted, renumbering
            # none (no merge). Start from the previous snapshot's tables (a tenth of the
            # work): less the documents gone, plus those added.
            gone = list(bitmaps.positions(previous.all_bits & ~self.all_bits))
            added = list(bitmaps.positions(self.all_bits & ~previous.all_bits))
        else:
            previous, gone, added = None, [], live
        self.by_name = self._by_name(previous, gone, added, entries)
        self.name_rank = {d: rank for rank, d in enumerate(self.by_name)}
        self.facet_bits = self._facet_bits(previous, gone, added, entries)
        # BM25 from the live listings only, so an index brought up to date by edits scores
        # exactly as one built afresh (Whoosh's own statistics count replaced documents
        # until segments merge).
        self.exact_lengths = {}  # field -> each document's number of words (0 if deleted)
        self.lengths = {}  # the same as Whoosh keeps them, in one byte: scores are Whoosh's
        self.average_length = {}
        for name in (*words.TEXT_FIELDS, LABELS, TERMS):
            exact, lengths = (
                (array("I", bytes(4 * self.size)), array("I", bytes(4 * self.size)))
                if previous is None
                else _grown(previous.exact_lengths[name], previous.lengths[name], self.size)
            )
            for d in gone:
                exact[d] = lengths[d] = 0
            for d in added:
                n = exact[d] = entries[ids[d]].lengths[name]
                lengths[d] = QUANTISED[n] if n < 2048 else byte_to_length(length_to_byte(n))
            self.exact_lengths[name] = exact
            self.lengths[name] = lengths
            self.average_length[name] = (sum(exact) / len(live) if live else 0) or 1
        self.spelling_words = frozenset(w for w, n in spelling.items() if n > 0)
        self._corrector: ListCorrector | None = None
        self._lock = threading.Lock()  # for the caches: one snapshot serves many threads
        self._read_lock = threading.Lock()  # Whoosh's readers are not shared across threads
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._found: OrderedDict[str, Found] = OrderedDict()

    def _by_name(self, previous, gone: list[int], added: list[int], entries) -> array:
        """Live documents in name order (the previous order, nearly sorted, sorts fast)."""
        gone_set = set(gone)
        kept = [d for d in previous.by_name if d not in gone_set] if previous else []
        return array("I", sorted(kept + added, key=lambda d: entries[self.ids[d]].name_key))

    def _facet_bits(self, previous, gone: list[int], added: list[int], entries):
        """facet id -> value -> the live documents with that value (values with none left out)."""
        positions: dict[str, dict[str, list[int]]] = {f: {} for f in FACET_IDS}
        for d in added:
            for facet_id, values in entries[self.ids[d]].facets.items():
                for value in values:
                    positions[facet_id].setdefault(value, []).append(d)
        kept = ~bitmaps.from_positions(gone, self.size)
        found = {}
        for facet_id, added_values in positions.items():
            before = previous.facet_bits[facet_id] if previous else {}
            values = {v: bits & kept for v, bits in before.items() if bits & kept}
            for v, ds in added_values.items():
                values[v] = values.get(v, 0) | bitmaps.from_positions(ds, self.size)
            found[facet_id] = values
        return found

    # The query ---------------------------------------------------------------------------

    def plan(self, text: str, every_word: bool = True) -> Plan | None:
        """The user's words as parts to match, and the stemmed words to highlight.

        A vocabulary phrase ("physio", "speech and language therapist") becomes its
        term: listings whose words mention it, whose rules accept it, or whose name
        or summary has one of its one-word names. Any other word is looked for,
        stemmed, in every text field. With `every_word` each part must match (the
        default); without, the more parts a listing matches the better.
        """
        parts, highlight = [], set()
        for found, matches in words.vocabulary_mentions(self.vocabulary, words.tokens(text)):
            if matches:
                part, stems = self._vocabulary_part(matches)
            elif found[0] in STOP_WORDS:  # "and", "for": not in the text fields
                continue
            else:
                stems = {found[0]}
                fields = (*words.TEXT_FIELDS.items(), (LABELS, words.LABELS_BOOST))
                part = tuple(Alternative(f, found[0], boost) for f, boost in fields)
            parts.append(part)
            highlight |= stems
        return Plan(tuple(parts), every_word, frozenset(highlight)) if parts else None

    def _vocabulary_part(self, matches) -> tuple[tuple[Alternative, ...], set[str]]:
        stems: set[str] = set()
        options: list[Alternative] = []
        for set_name, slug in matches:
            options.append(Alternative(TERMS, f"{set_name}:{slug}", words.TERMS_BOOST))
            options += [Alternative(facet_id, slug) for facet_id in FACETS_BY_TERM_SET[set_name]]
            term = self.vocabulary.term(set_name, slug)
            for word in (term.label, *term.synonyms):
                if " " not in word.strip():  # single words only: "therapist" alone would mislead
                    stems |= words.stems(word)
        for stem in sorted(stems):
            options += [Alternative(f, stem, words.TEXT_FIELDS[f]) for f in ("name", "summary")]
        return tuple(options), stems

    def run(self, query: Query) -> Results:
        """Search, filter, count facets and fetch one page: every search state in one call."""
        found = self._found_for(query.text.strip())
        matched = found.matched
        if query.within is not None:
            within = (self.docnums[i] for i in query.within if i in self.docnums)
            matched &= bitmaps.from_positions(within, self.size)
        selected = {f: self._bits_for(f, vals) for f, vals in query.filters.items() if vals}
        final = matched
        for bits in selected.values():
            final &= bits
        total = final.bit_count()
        pages = max(1, -(-total // query.page_size))
        page = min(max(1, query.page), pages)
        order = self.by_name if query.sort == "name" or not found.plan else found.ranking
        docnums = _page(order, final, (page - 1) * query.page_size, query.page_size, self.size)
        highlight = found.plan.highlight if found.plan else frozenset()
        hits = [self._hit(highlight, docnum) for docnum in docnums]
        counts, profession_only = self._facet_counts(matched, selected)
        return Results(
            hits,
            total,
            counts,
            page,
            pages,
            found.suggestion,
            found.corrected,
            found.relaxed,
            profession_only,
        )

    def _found_for(self, text: str) -> Found:
        """What the words match, ranked: kept, so paging, filtering and sorting reuse it."""
        with self._lock:
            found = self._found.get(text)
            if found is not None:
                self._found.move_to_end(text)
                return found
        found = self._search(text)
        with self._lock:
            self._found[text] = found
            while len(self._found) > FOUND_CACHE_SIZE:
                self._found.popitem(last=False)
        return found

    def _search(self, text: str) -> Found:
        if not text:
            return Found(None, self.all_bits, ())
        plan = self.plan(text)
        matched = self._matches(plan)
        suggestion, corrected, relaxed = None, False, False
        if not matched:
            suggestion = self.suggest(text)
            if suggestion:
                plan = self.plan(suggestion)
                matched = self._matches(plan)
                corrected = bool(matched)
            if not matched:
                plan = self.plan(suggestion or text, every_word=False)
                matched = self._matches(plan)
                relaxed = bool(matched)
        ranking = self._rank(plan, matched) if matched else ()
        return Found(plan, matched, ranking, suggestion, corrected, relaxed)

    def _matches(self, plan: Plan | None) -> int:
        """The bitmap of listings the plan matches: every part, or any with `every_word` off."""
        if plan is None:
            return 0
        matched = self.all_bits if plan.every_word else 0
        for part in plan.parts:
            bits = 0
            for alternative in part:
                bits |= self.postings(alternative).bits
            matched = (matched & bits) if plan.every_word else (matched | bits)
        return matched & self.all_bits

    def _rank(self, plan: Plan, matched: int) -> array:
        """The matched listings, best first: each alternative found adds its BM25F score.
        Ties go by name, so equal listings come in the order people scan for."""
        totals = [0.0] * self.size
        for part in plan.parts:
            for alternative in part:
                postings = self.postings(alternative)
                boost = alternative.boost
                for docnum, score in zip(postings.docnums, postings.scores, strict=True):
                    totals[docnum] += boost * score
        # A stable sort of the matched listings taken in name order.
        flags = matched.to_bytes((self.size + 7) // 8, "little")
        by_name = [d for d in self.by_name if flags[d >> 3] >> (d & 7) & 1]
        return array("I", sorted(by_name, key=totals.__getitem__, reverse=True))

    def postings(self, alternative: Alternative) -> Postings:
        """A word's listings and scores in one field, read once per snapshot."""
        key = (alternative.field, alternative.text)
        with self._lock:
            postings = self._postings.get(key)
            if postings is not None:
                self._postings.move_to_end(key)
                return postings
        if alternative.field in FACET_IDS:
            bits = self.facet_bits[alternative.field].get(alternative.text, 0)
            docnums = array("I", bitmaps.positions(bits))
            postings = Postings(bits, docnums, array("d", [1.0]) * len(docnums))
        else:
            postings = self._read(*key)
        with self._lock:
            self._postings[key] = postings
            while len(self._postings) > POSTINGS_CACHE_SIZE:
                self._postings.popitem(last=False)
        return postings

    def _read(self, field_name: str, text: str) -> Postings:
        """Every live listing with `text` in `field_name`, and its BM25 score for it."""
        if field_name in SHARED_FIELDS:
            docnums, frequencies = self._shared_frequencies(field_name, text)
        else:
            docnums, frequencies = array("I"), []
            with self._read_lock:
                if (field_name, text) in self.searcher.reader():
                    matcher = self.searcher.postings(field_name, text)  # deleted ones left out
                    while matcher.is_active():
                        docnums.append(matcher.id())
                        frequencies.append(matcher.weight())
                        matcher.next()
        live = self.all_bits.bit_count()
        idf = math.log(live / (len(docnums) + 1)) + 1
        average, lengths = self.average_length[field_name], self.lengths[field_name]
        scores = array(
            "d",
            (
                bm25(idf, tf, lengths[d], average, BM25_B, BM25_K1)
                for d, tf in zip(docnums, frequencies, strict=True)
            ),
        )
        return Postings(bitmaps.from_positions(docnums, self.size), docnums, scores)

    def _shared_frequencies(self, field_name: str, text: str) -> tuple[array, list[int]]:
        """A shared field's postings for one word, as Whoosh would hold them: each listing
        with the word, and how often its field says it (summed over what it shares)."""
        if field_name == PROVIDER:
            texts = tuple(
                (provider_id, words.provider_text(organisation))
                for provider_id, organisation in self.catalogue.organisations.items()
            )
            sources = _provider_words(texts).get(text, ())
        else:
            sources = _label_words(self.vocabulary).get(text, ())
        counts: dict[int, int] = {}
        for source, count in sources:
            for docnum in bitmaps.positions(self._source_bits(field_name, source)):
                counts[docnum] = counts.get(docnum, 0) + count
        docnums = array("I", sorted(counts))
        return docnums, [counts[d] for d in docnums]

    def _source_bits(self, field_name: str, source) -> int:
        """The live listings that share a text: a provider's, or a facet value's."""
        if field_name == PROVIDER:
            return self._provider_bits(source)
        facet_id, value = source
        return self.facet_bits[facet_id].get(value, 0)

    def _provider_bits(self, provider_id: str) -> int:
        """The live listings one organisation provides."""
        scheme_ids = self.catalogue.by_provider.get(provider_id, ())
        return bitmaps.from_positions(
            (self.docnums[i] for i in scheme_ids if i in self.docnums), self.size
        )

    def _bits_for(self, facet_id: str, values: list[str]) -> int:
        known = self.facet_bits.get(facet_id, {})
        bits = 0
        for value in values:
            bits |= known.get(value, 0)
        return bits

    def _facet_counts(self, matched: int, selected: dict[str, int]):
        """Counts per value, each facet counted under every filter but its own.

        So choosing "Physiotherapist" still shows how many listings "Dietitian"
        would give: values within a facet combine with OR, facets with AND. And each
        profession's count of listings not open to all AHPs.
        """
        counts, profession_only = {}, {}
        for facet_id, values in self.facet_bits.items():
            base = matched
            for other, bits in selected.items():
                if other != facet_id:
                    base &= bits
            counts[facet_id] = {value: (base & bits).bit_count() for value, bits in values.items()}
            if facet_id == "profession":
                apart = base & ~values.get(facet_defs.ALL_AHPS, 0)
                profession_only = {
                    value: (apart & bits).bit_count()
                    for value, bits in values.items()
                    if value != facet_defs.ALL_AHPS
                }
        return counts, profession_only

    def _hit(self, highlight: frozenset[str], docnum: int) -> Hit:
        scheme = self.catalogue.schemes[self.ids[docnum]]
        return Hit(
            scheme.id,
            words.highlighted(highlight, scheme.name),
            words.highlighted(highlight, scheme.summary),
        )

    def suggest(self, text: str) -> str | None:
        """A corrected spelling of the query, from the listings' words and the vocabulary's."""
        if self._corrector is None:
            known = self.spelling_words | {
                w for phrase in self.vocabulary.synonyms for w in words.WORD.findall(phrase)
            }
            self._corrector = ListCorrector(sorted(known))
        typed = words.WORD.findall(text.lower())
        fixed = []
        for word in typed:
            known = word in self.vocabulary.synonyms or word in self.spelling_words or len(word) < 3
            suggestions = [] if known else self._corrector.suggest(word, limit=1, maxdist=2)
            fixed.append(suggestions[0] if suggestions else word)
        return " ".join(fixed) if fixed != typed else None

    # Similar listings ------------------------------------------------------------------------

    def similar(self, scheme: Scheme, limit: int = 3) -> list[str]:
        """The ids of the listings most related to one listing, best first: see
        `similarity` for the score. Never guidance, nor a listing that shares none of
        `relating`'s values, whatever its provider.

        Each value's bitmap is added into a bit-sliced counter (plane i holds bit i of
        every listing's score), so scoring 10,000 listings takes a few dozen big-integer
        operations instead of 10,000 listings' facets.
        """
        planes: list[int] = []
        # Listings open to every AHP, or to every stage: these values relate them to nothing.
        everyone = {
            "profession": self.facet_bits["profession"].get(facet_defs.ALL_AHPS, 0),
            "stage": self.all_bits,
        }
        for stage in self.vocabulary.slugs("stages"):
            everyone["stage"] &= self.facet_bits["stage"].get(stage, 0)
        mine = facet_defs.scheme_facets(scheme, self.catalogue, as_if_running=True)
        related = 0
        for facet_id, value in relating(mine, self.vocabulary):
            bits = self.facet_bits[facet_id].get(value, 0) & ~everyone.get(facet_id, 0)
            add_to_counter(planes, bits)
            related |= bits
        same_provider_bits = self._provider_bits(scheme.provider) & related
        add_to_counter(planes, same_provider_bits, weight=SAME_PROVIDER_WEIGHT)
        guidance = self.facet_bits["listing_type"].get("guidance", 0)
        others = self.all_bits & related & ~guidance
        if scheme.id in self.docnums:
            others &= ~(1 << self.docnums[scheme.id])
        found: list[int] = []
        for score in range((1 << len(planes)) - 1, 0, -1):
            scored = others
            for i, plane in enumerate(planes):  # listings whose score is exactly `score`
                scored &= plane if score >> i & 1 else ~plane
            found += sorted(bitmaps.positions(scored), key=self.name_rank.__getitem__)
            if len(found) >= limit:
                break
        return [self.ids[docnum] for docnum in found[:limit]]


# A shared field's words: word -> [(what shares the text, times the text says the word)].
# They depend on the providers' names and the vocabulary only, not on the listings, so
# they are kept from one snapshot (and edit) to the next.


@functools.lru_cache(maxsize=4)
def _provider_words(texts: tuple[tuple[str, str], ...]) -> dict[str, list[tuple[str, int]]]:
    return _words_of(texts)


@functools.lru_cache(maxsize=4)
def _label_words(vocabulary) -> dict[str, list[tuple[tuple[str, str], int]]]:
    labels = []
    for facet_id in LABELLED_FACETS:
        term_set = facet_defs.BY_ID[facet_id].term_set
        for slug in vocabulary.slugs(term_set):
            labels.append(((facet_id, slug), vocabulary.find(term_set, slug).label))
    return _words_of(labels)


def _words_of(texts) -> dict:
    table: dict = {}
    for source, text in texts:
        for word, count in Counter(words.indexed(words.plain_words(text))).items():
            table.setdefault(word, []).append((source, count))
    return table


def _grown(exact: array, lengths: array, size: int) -> tuple[array, array]:
    """Copies of a previous snapshot's length tables, grown to `size` documents."""
    more = array("I", bytes(4 * (size - len(exact))))
    return exact + more, lengths + more


def _page(order, final: int, start: int, size: int, total_size: int) -> list[int]:
    """Listings start..start+size of `order` that are in `final`."""
    if not final:
        return []
    found, wanted = [], start + size
    flags = final.to_bytes((total_size + 7) // 8, "little")
    for docnum in order:
        if flags[docnum >> 3] >> (docnum & 7) & 1:
            found.append(docnum)
            if len(found) == wanted:
                break
    return found[start:]


def add_to_counter(planes: list[int], bits: int, weight: int = 1) -> None:
    """Add `weight` to the count of every listing in `bits` (planes: a bit-sliced counter)."""
    at = 0
    while weight:
        if weight & 1:
            carry, i = bits, at
            while carry:  # binary addition, all listings at once, rippling the carries up
                planes.extend([0] * (i + 1 - len(planes)))  # a new top plane, if need be
                planes[i], carry = planes[i] ^ carry, planes[i] & carry
                i += 1
        weight >>= 1
        at += 1


def relating(values: dict[str, list[str]], vocabulary) -> list[tuple[str, str]]:
    """What relates a listing to others (issue #19), as (facet id, value): who it is for
    (its professions, unless it is open to all AHPs, and its career stage, unless it is
    open to every stage: either would relate it to everything), the memberships it asks
    for and the forms of mentoring it offers. Never its provider alone."""
    found = []
    if facet_defs.ALL_AHPS not in values["profession"]:
        found += [("profession", p) for p in values["profession"]]
    if set(values["stage"]) != set(vocabulary.slugs("stages")):
        found += [("stage", s) for s in values["stage"]]
    found += [("member_of", m) for m in values["member_of"] if m != facet_defs.NO_MEMBERSHIP]
    found += [("mentoring_type", t) for t in values["mentoring_type"] if t != facet_defs.NOT_STATED]
    return found


def similarity(scheme: Scheme, other: Scheme, catalogue: Catalogue, mine=None) -> int:
    """How related two listings are: the `relating` values they share (0: unrelated),
    plus 10 for one provider."""
    vocabulary = catalogue.vocabulary
    mine = mine or facet_defs.scheme_facets(scheme, catalogue, as_if_running=True)
    theirs = facet_defs.scheme_facets(other, catalogue)
    shared = len(set(relating(mine, vocabulary)) & set(relating(theirs, vocabulary)))
    if not shared:
        return 0
    return shared + (SAME_PROVIDER_WEIGHT if other.provider == scheme.provider else 0)


def similar_by_scan(scheme: Scheme, catalogue: Catalogue, limit: int = 3) -> list[str]:
    """What `Snapshot.similar` finds, the slow way: the reference its test compares with."""
    mine = facet_defs.scheme_facets(scheme, catalogue, as_if_running=True)
    scored = []
    for other in catalogue.schemes.values():
        if other.id == scheme.id or other.listing_type == "guidance":
            continue
        score = similarity(scheme, other, catalogue, mine)
        if score:
            scored.append((-score, other.name.lower(), other.id))
    return [scheme_id for *_, scheme_id in sorted(scored)[:limit]]
