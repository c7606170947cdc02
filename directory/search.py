"""Full-text search with facets over the catalogue, using Whoosh. No Flask here.

The index is derived data: it can be deleted at any time and is rebuilt from
the database. Each host keeps its own under instance/search-index/:

    CURRENT           the name of the live index folder, replaced atomically
    v<version>-<id>/  one complete index; a rebuild writes a new folder aside,
                      then points CURRENT at it, so readers never see half an index
    write.lock        only the process holding it may write

Freshness comes from the database's catalogue version: when it moves, the
process that notices updates the index (just the changed listings, or a full
rebuild aside for big changes) and every process on the host reopens it.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import functools
import itertools
import json
import logging
import math
import os
import re
import shutil
import threading
import time
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from markupsafe import escape
from whoosh import index as whoosh_index
from whoosh.analysis import STOP_WORDS, StandardAnalyzer, StemmingAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import VarBytesColumn
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import HtmlFormatter, WholeFragmenter, highlight
from whoosh.index import TOC
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import bm25
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from directory import bitmaps
from directory import facets as facet_defs
from directory.catalogue import Catalogue, Scheme
from directory.vocabulary import Vocabulary

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # bump when the schema, document shape or meta.json changes: forces a rebuild
# Word-search fields and how much a match in each counts (name > provider > summary > description).
TEXT_FIELDS = {"name": 4.0, "provider": 3.0, "summary": 2.0, "description": 1.0}
TERMS_BOOST = 4.0  # a listing that is about a vocabulary term ("physio" -> physiotherapist)
# The labels of what a listing's rules accept: "leadership" finds a scheme for members
# of the "Student Leadership Programme", as a word said in passing would.
LABELS_BOOST = 1.5
# Vocabulary whose words people search with: "physio", "SALT", "radiography students".
SYNONYM_SETS = ("professions", "memberships", "mentoring_types", "stages", "provider_kinds")
PAGE_SIZE = 10
INCREMENTAL_LIMIT = 500  # more changed listings than this: rebuild aside instead
SORTS = ("relevance", "name")
WORD = re.compile(r"[a-z0-9&]+(?:['’-][a-z0-9]+)*")
STEMMED = StemmingAnalyzer()  # as the text fields index words
MENTION_ANALYZER = StemmingAnalyzer(stoplist=None, minsize=1)
# Whoosh's BM25F defaults, and its one-byte field lengths decoded once.
BM25_B, BM25_K1 = 0.75, 1.2
LENGTHS = [byte_to_length(b) for b in range(256)]
# Per index snapshot and process: the words' listings and scores, and whole results.
POSTINGS_CACHE_SIZE = 512  # at most ~120 kB each at 10,000 listings
FOUND_CACHE_SIZE = 256  # at most ~40 kB each
# "physio" also finds listings whose rules accept physiotherapists: the facet fields hold that.
FACETS_BY_TERM_SET = {
    set_name: [f.id for f in facet_defs.FACETS if f.term_set == set_name]
    for set_name in SYNONYM_SETS
}


def make_schema() -> Schema:
    # Only whoosh's own analyzers: the schema is pickled into the index.
    fields = {
        "id": ID(stored=True, unique=True, sortable=True),
        "fingerprint": ID(stored=True, sortable=True),
        "name_sort": ID(sortable=True),
        # Vocabulary terms a listing's own words mention, as "set:slug" ("SALT" finds
        # "speech and language therapists"). What its rules accept is in the facet fields.
        "terms": KEYWORD(commas=True, lowercase=False, scorable=True),
        # Unstemmed words of the short texts, for "did you mean".
        "spelling": TEXT(analyzer=StandardAnalyzer(), spelling=True),
        "name": TEXT(analyzer=StemmingAnalyzer(), stored=True, phrase=False),
        "summary": TEXT(analyzer=StemmingAnalyzer(), stored=True, phrase=False),
        "provider": TEXT(analyzer=StemmingAnalyzer(), phrase=False),
        "description": TEXT(analyzer=StemmingAnalyzer(), phrase=False),
        "labels": TEXT(analyzer=StemmingAnalyzer(), phrase=False),
    }
    for facet in facet_defs.FACETS:
        fields[facet.id] = KEYWORD(commas=True, stored=False, lowercase=False)
    return Schema(**fields)


def tokens(text: str) -> list[str]:
    """Words as the index sees them: lower case and stemmed, stop words kept.

    Stop words stay so that phrases keep their shape: "pharmacists and AHPs"
    must not read as the term "pharmacist (not an AHP)". Anything but words
    ("physio*", "AND") is read as plain text.
    """
    words = " ".join(WORD.findall(text.lower()))
    return [token.text for token in MENTION_ANALYZER(words)]


@dataclass(frozen=True)
class _Phrases:
    """The vocabulary's searchable phrases, stemmed: (word, ...) -> [(term set, slug)]."""

    matches: dict[tuple[str, ...], list[tuple[str, str]]]
    first_words: frozenset[str]  # most words start no phrase: one set lookup says so
    longest: int


@functools.lru_cache(maxsize=8)
def _phrases(vocabulary: Vocabulary) -> _Phrases:
    found: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for phrase, matches in vocabulary.synonyms.items():
        key = tuple(tokens(phrase))
        for match in matches:
            if key and match[0] in SYNONYM_SETS and match not in found.get(key, ()):
                found.setdefault(key, []).append(match)
    return _Phrases(found, frozenset(k[0] for k in found), max(map(len, found), default=1))


def vocabulary_mentions(vocabulary: Vocabulary, words: list[str]):
    """Walk stemmed words, finding vocabulary phrases (longest first): yields (words, matches).

    `matches` lists the (term set, slug) pairs a phrase names, or is empty for a
    plain word. Queries and listings are read the same way, so "SALT" in a query
    finds a listing whose text says "speech and language therapists".
    """
    phrases = _phrases(vocabulary)
    i = 0
    while i < len(words):
        size, matches = _longest_phrase(phrases, words, i)
        yield words[i : i + size], matches
        i += size


def _longest_phrase(phrases: _Phrases, words: list[str], i: int) -> tuple[int, list]:
    """How many words from words[i] form the longest vocabulary phrase, and what it names."""
    if words[i] in phrases.first_words:
        for size in range(min(phrases.longest, len(words) - i), 0, -1):
            matches = phrases.matches.get(tuple(words[i : i + size]))
            if matches:
                return size, matches
    return 1, []


def _mentioned_terms(vocabulary: Vocabulary, text: dict[str, str]) -> list[str]:
    """The terms each text field mentions, each repeated as often as that field weighs.

    So a listing whose name says "speech and language therapy" outranks one
    that mentions it in passing in its description.
    """
    repeated = []
    for field_name, weight in TEXT_FIELDS.items():
        mentioned = {
            f"{set_name}:{slug}"
            for _, matches in vocabulary_mentions(vocabulary, tokens(text[field_name]))
            for set_name, slug in matches
        }
        repeated += sorted(mentioned) * int(weight)
    return repeated


def _labels(vocabulary: Vocabulary, facet_values: dict[str, list[str]]) -> list[str]:
    labels = []
    for facet in facet_defs.FACETS:
        if facet.term_set in SYNONYM_SETS:
            terms = (vocabulary.find(facet.term_set, v) for v in facet_values[facet.id])
            labels += [term.label for term in terms if term is not None]
    return labels


def document(scheme: Scheme, catalogue: Catalogue) -> dict[str, str]:
    """What the index holds for one listing."""
    vocabulary = catalogue.vocabulary
    org = catalogue.organisations[scheme.provider]
    values = facet_defs.scheme_facets(scheme, catalogue)
    provider = " ".join(filter(None, [org.name, org.abbreviation]))
    text = {
        "name": scheme.name,
        "provider": provider,
        "summary": scheme.summary,
        "description": scheme.description,
    }
    return {
        "id": scheme.id,
        "fingerprint": catalogue.fingerprint(scheme.id),
        "name_sort": scheme.name.lower(),
        "terms": ",".join(_mentioned_terms(vocabulary, text)),
        "spelling": " ".join((scheme.name, provider, scheme.summary)),
        "labels": " ".join(_labels(vocabulary, values)),
        **text,
        **{facet_id: ",".join(vals) for facet_id, vals in values.items()},
    }


# The index on disk --------------------------------------------------------------------------


class IndexUnavailable(Exception):
    """No usable index: missing, corrupt or being built for the first time."""


class IndexStore:
    """One host's index folders, and the only code that writes them."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @contextlib.contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[bool]:
        """Hold the host's writer lock; yields False if `wait` is off and it is taken."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "write.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def current(self) -> Path | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name and path.is_dir() else None

    def meta(self, path: Path) -> dict:
        return json.loads((path / "meta.json").read_text())

    def build(self, catalogue: Catalogue, version: int) -> Path:
        """Build a whole new index aside, then make it current. Call with the lock held."""
        started = time.perf_counter()
        path = self.root / f"v{version}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        ix = whoosh_index.create_in(str(path), make_schema())
        writer = ix.writer(limitmb=512)  # enough to sort 10,000 listings in memory
        for scheme in sorted(catalogue.schemes.values(), key=lambda s: s.id):
            writer.add_document(**document(scheme, catalogue))
        writer.commit()
        with ix.reader() as reader:
            statistics = collection_statistics(reader)
        ix.close()
        self._write_meta(path, version, statistics)
        self._make_current(path)
        log.info(
            "search index v%s built: %d listings in %.2fs",
            version,
            len(catalogue.schemes),
            time.perf_counter() - started,
        )
        self._remove_old(keep=path)
        return path

    def update(
        self,
        path: Path,
        catalogue: Catalogue,
        version: int,
        changed: Iterable[str],
        removed: Iterable[str],
    ) -> None:
        """Apply a few changed listings to the current index in place. Lock held."""
        ix = whoosh_index.open_dir(str(path))
        writer = _LingeringWriter(ix)
        for scheme_id in removed:
            writer.delete_by_term("id", scheme_id)
        for scheme_id in changed:
            writer.update_document(**document(catalogue.schemes[scheme_id], catalogue))
        writer.commit()  # whoosh commits atomically: readers see before or after
        ix.close()
        self._write_meta(path, version, self.meta(path)["statistics"])
        remove_unused_files(path)

    def _write_meta(self, path: Path, version: int, statistics: dict) -> None:
        meta = {
            "catalogue_version": version,
            "schema_version": SCHEMA_VERSION,
            "statistics": statistics,
        }
        tmp = path / f"meta.json.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, path / "meta.json")

    def _make_current(self, path: Path) -> None:
        tmp = self.root / f"CURRENT.{uuid.uuid4().hex}"
        tmp.write_text(path.name)
        os.replace(tmp, self.root / "CURRENT")  # atomic on POSIX

    def _remove_old(self, keep: Path, grace_seconds: float = 60) -> None:
        """Delete superseded folders once no reader can still be starting on them."""
        now = time.time()
        for child in self.root.iterdir():
            if child.is_dir() and child != keep and now - child.stat().st_mtime > grace_seconds:
                shutil.rmtree(child, ignore_errors=True)


class _LingeringWriter(SegmentWriter):
    """A writer that leaves superseded generations' files in place.

    Whoosh deletes them at commit: the table of contents of earlier generations, and
    the segments a commit merged away. But each worker's snapshot is pinned to the
    generation it opened and opens its segments' files anew for each search, so a
    merge by another worker would pull them from under it (FileNotFoundError in the
    middle of a search). `remove_unused_files` deletes them once no snapshot can still
    be reading them.
    """

    def _commit_toc(self, segments) -> None:
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)


def remove_unused_files(path: Path, grace_seconds: float = 60) -> None:
    """Delete generations superseded more than `grace_seconds` ago (a worker notices a new
    catalogue version within a second or two), and the segments none of the rest use."""
    storage = FileStorage(str(path), supports_mmap=False)
    pattern = TOC._pattern(whoosh_index._DEF_INDEX_NAME)
    tocs = {int(m.group(1)): name for name in storage.list() if (m := pattern.match(name))}
    generations = sorted(tocs)
    now = time.time()
    kept = [generations[-1]] + [
        generation
        for generation, successor in itertools.pairwise(generations)
        if now - storage.file_modified(tocs[successor]) < grace_seconds
    ]
    in_use = {
        segment.segment_id()
        for generation in kept
        for segment in TOC.read(storage, whoosh_index._DEF_INDEX_NAME, generation).segments
    }
    segment_file = TOC._segment_pattern(whoosh_index._DEF_INDEX_NAME)
    for name in storage.list():
        toc = pattern.match(name)
        segment = None if toc else segment_file.match(name)
        if (toc and int(toc.group(1)) not in kept) or (segment and segment[1] not in in_use):
            with contextlib.suppress(OSError):
                storage.delete_file(name)


# Reading ------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class SegmentTables:
    """What opening a snapshot needs of one segment, by the segment's own document
    numbers, deleted ones included: ids, names, fingerprints, a bitmap per facet value,
    and the words for spelling. Whoosh never changes a segment's documents once written
    (only which of them are deleted), so a worker reads each segment once, not at every
    edit: reading them all cost a third of a second at 10,000 listings."""

    ids: list[str]
    names: list[str]
    fingerprints: list[str]
    facets: dict[str, dict[str, int]]
    spelling: frozenset[str]

    @classmethod
    def read(cls, leaf) -> SegmentTables:
        count = leaf.doc_count_all()
        facets = {}
        for facet in facet_defs.FACETS:
            facets[facet.id] = {
                _text(raw): bitmaps.from_positions(
                    _leaf_postings(leaf.postings(facet.id, raw), weighted=False)[0], count
                )
                for raw in leaf.lexicon(facet.id)
            }
        return cls(
            ids=_leaf_column(leaf, "id"),
            names=_leaf_column(leaf, "name_sort"),
            fingerprints=_leaf_column(leaf, "fingerprint"),
            facets=facets,
            spelling=frozenset(_text(w) for w in leaf.lexicon("spelling")),
        )


def _text(term) -> str:
    return term.decode() if isinstance(term, bytes) else term


class SearchIndex:
    """One opened index snapshot, with facet bitmaps precomputed for fast counting.

    Sets of listings are Python integers used as bitmaps (bit n = document n):
    intersecting and counting them is fast C arithmetic even at 10,000 listings.
    """

    def __init__(self, path: Path, vocabulary: Vocabulary, earlier: SearchIndex | None = None):
        """Open the snapshot at `path`; `earlier`, an earlier snapshot of the same folder,
        lends the tables of the segments the two share (see SegmentTables)."""
        try:
            # No memory-mapping: reading a file truncated or deleted underneath a map
            # kills the process (SIGBUS), where a plain read raises an error we handle.
            self.ix = FileStorage(str(path), supports_mmap=False).open_index()
            # Pin one generation: every searcher of this snapshot reads exactly what
            # the tables below were built from, even if the index is updated meanwhile.
            self._toc = self.ix._read_toc()
            self.schema = self._toc.schema  # FileIndex.schema would re-read the TOC each time
            self.meta = json.loads((path / "meta.json").read_text())
            self.statistics = self.meta["statistics"]
            same_folder = earlier is not None and earlier.path == path
            self._load_structures(earlier if same_folder else None)
        except Exception as error:  # a corrupt or half-deleted index, whatever the symptom
            if getattr(self, "ix", None) is not None:
                self.ix.close()
            raise IndexUnavailable(f"cannot open search index {path}: {error}") from error
        self.path = path
        self.version = self.meta["catalogue_version"]
        self.vocabulary = vocabulary
        self._corrector: ListCorrector | None = None
        self._lock = threading.Lock()  # for the caches: one snapshot serves many threads
        self._found_cache: OrderedDict[str, Found] = OrderedDict()
        self._postings_cache: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._length_cache: dict[tuple[int, str], bytes] = {}

    def keep_caches_of(self, earlier: SearchIndex, catalogue: Catalogue) -> int:
        """Take over what an earlier snapshot of this same index folder had cached, brought
        up to date; returns how many entries were kept.

        Every worker reopens its index after each edit, and refilling the caches cost
        about a second of CPU per worker at 10,000 listings. An edit changes a few
        documents: those whose id or content at a document number differ from the
        earlier snapshot's (edited, added, or moved when Whoosh merged small segments).
        A cached word, and a cached search, is kept while the live document count of
        each word it scores holds (so its idf does: the other statistics are fixed per
        build, see read_postings): the unchanged documents keep the scores they had,
        and the changed ones are read (for a word) or scored and put in their place
        (for a search). So a worker that kept its caches answers exactly as one that
        has just started, as the tests check edit after edit.
        """
        if earlier.path != self.path or earlier.statistics != self.statistics:
            return 0  # another index, or rebuilt: nothing to share
        changed = self._changed_since(earlier)
        words_of = self._words_of(changed, catalogue)
        if words_of is None:
            return 0
        edit = _Edit(self, changed, words_of, self.spelling_words ^ earlier.spelling_words)
        with earlier._lock:
            cached_postings = dict(earlier._postings_cache)
            cached_found = list(earlier._found_cache.items())
        with self.searcher_on_demand() as searcher:
            postings = self._kept_postings(searcher, cached_postings, edit)
            found = self._kept_found(cached_found, postings, edit)
        with self._lock:
            self._postings_cache.update(postings)
            self._found_cache.update(found)
        return len(postings) + len(found)

    def _changed_since(self, earlier: SearchIndex) -> list[int]:
        """Document numbers not holding, unchanged, what they held in `earlier`."""
        old_ids, old_fingerprints = earlier.ids, earlier.fingerprints
        return [
            docnum
            for docnum, scheme_id in self.ids.items()
            if old_ids.get(docnum) != scheme_id
            or old_fingerprints.get(scheme_id) != self.fingerprints[scheme_id]
        ]

    def _words_of(self, docnums: list[int], catalogue: Catalogue) -> dict[int, set] | None:
        """Each document's (field, indexed word) pairs, from the catalogue's listings;
        None if the catalogue does not hold exactly what was indexed for one of them."""
        words: dict[int, set[tuple[str, str]]] = {}
        for docnum in docnums:
            scheme_id = self.ids[docnum]
            scheme = catalogue.schemes.get(scheme_id)
            if scheme is None or catalogue.fingerprint(scheme_id) != self.fingerprints[scheme_id]:
                return None
            words[docnum] = {
                (name, word.decode())
                for name, value in document(scheme, catalogue).items()
                if self.schema[name].indexed and value
                for word, *_ in self.schema[name].index(value)
            }
        return words

    def _kept_postings(self, searcher, cached: dict, edit: _Edit) -> dict:
        """Cached words whose count held: the unchanged documents' postings, and the
        changed documents' read from the index (they sit in the small new segments)."""
        kept: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        for key, entry in cached.items():
            if not edit.same_count(key, entry.frequency, entry.bits):
                continue
            if entry.bits & edit.gone:  # it names documents no longer there as they were
                entry = edit.without_gone(entry)
            if key in edit.containing:
                added = read_postings(
                    searcher(),
                    *key,
                    self._lengths,
                    self.statistics,
                    self.all_bits,
                    only=edit.containing[key],
                    frequency=entry.frequency,
                )
                entry = _joined(entry, added)
            kept[key] = entry
        return kept

    def _kept_found(self, cached: list, postings: dict, edit: _Edit) -> dict:
        """Cached searches whose words' counts held, with the changed documents they now
        match ranked in among the others (ties by name, as _rank puts them)."""
        kept: OrderedDict[str, Found] = OrderedDict()
        for text, entry in cached:
            plan = entry.plan
            if plan is None:  # every listing: cheap
                continue
            fell_back = entry.suggestion or entry.corrected or entry.relaxed or not entry.matched
            if fell_back and not self._same_fallbacks(text, entry, edit):
                continue
            if not all(edit.same_count(key, *counted) for key, counted in entry.counted.items()):
                continue
            matching = [d for d in edit.changed if _plan_matches(plan, edit.words_of[d])]
            if matching and not all(
                (a.field, a.text) in postings for part in plan.parts for a in part
            ):
                continue  # a word of it was not kept: search again
            # The ranking holds exactly the matched documents: take out those that left
            # (changed, deleted, or past the end where a merge shrank the index).
            still = entry.matched & edit.unchanged
            ranking = _without(entry.ranking, entry.matched & ~still, still, self.size)
            if matching:
                ranking = self._ranked_in(ranking, matching, plan, postings)
            counted = {
                key: (n, edit.bits_now(key, bits)) for key, (n, bits) in entry.counted.items()
            }
            kept[text] = replace(
                entry, matched=still | self._bits(matching), ranking=ranking, counted=counted
            )
        return kept

    def _same_fallbacks(self, text: str, entry: Found, edit: _Edit) -> bool:
        """A search whose words matched nothing went on to a spelling correction, then to
        any one of the words (see _search): would it go the same way again? Only if no
        word within the corrector's reach of the typed ones (two edits) came into the
        index or left it, and the plans that found nothing still find nothing."""
        typed = WORD.findall(text.lower())
        if any(_near(t, w) for t in typed for w in edit.spelling_changed):
            return False
        tried = [self.plan(text)]
        if entry.suggestion and not entry.corrected:
            tried.append(self.plan(entry.suggestion))
        if not (entry.corrected or entry.relaxed):
            tried.append(self.plan(entry.suggestion or text, every_word=False))
        return not any(
            plan and _plan_matches(plan, edit.words_of[d]) for plan in tried for d in edit.changed
        )

    def _ranked_in(self, ranking: array, docnums: list[int], plan: Plan, postings: dict) -> array:
        """`ranking` (best first, ties in name order) with `docnums` put in their places."""

        def total(docnum: int) -> float:  # summed in _rank's order, so to the same bits
            score = 0.0
            for part in plan.parts:
                for a in part:
                    found = postings[(a.field, a.text)].score_of(docnum)
                    if found is not None:
                        score += a.boost * found
            return score

        name_rank = self.name_rank

        def order(docnum: int) -> tuple[float, int]:
            return (-total(docnum), name_rank[docnum])

        ranking = array("I", ranking)
        for docnum in docnums:  # (the rest are in this order already: their scores held)
            ranking.insert(bisect.bisect_left(ranking, order(docnum), key=order), docnum)
        return ranking

    def _new_searcher(self) -> Searcher:
        toc = self._toc
        reader = self.ix._reader(self.ix.storage, toc.schema, toc.segments, toc.generation)
        return Searcher(reader, fromindex=self.ix)

    def _load_structures(self, earlier: SearchIndex | None) -> None:
        """Each listing's id, fingerprint and name rank, and a bitmap per facet value.

        Every worker does this whenever any listing changes. An edit adds a small
        segment and marks the old version deleted in its own, so each segment's tables
        are read once (SegmentTables, lent by `earlier`), and the tables built from them
        are taken from `earlier` for the segments the two snapshots share, the
        deletions since then taken out: only the segments after those are gone through.
        """
        known = earlier.segment_tables if earlier else {}
        self.segment_tables: dict[str, SegmentTables] = {}
        # (segment id, its first document number, its deleted documents), in order
        self.layout: list[tuple[str, int, frozenset[int]]] = []
        with self._new_searcher() as searcher:
            reader = searcher.reader()
            for leaf, base in reader.leaf_readers():
                segment = leaf.segment()
                key = segment.segment_id()
                self.segment_tables[key] = known.get(key) or SegmentTables.read(leaf)
                deleted = segment.deleted_docs() if segment.has_deletions() else ()
                self.layout.append((key, base, frozenset(deleted)))
            # Deleted documents too: postings name them (see _leaf_postings).
            self.size = reader.doc_count_all()
        shared = _shared_segments(earlier.layout, self.layout) if earlier else 0
        if shared:
            self._tables_after(earlier, shared)
        else:
            self._tables_afresh()
        if not self.ids:
            self.size = 0
        self.name_rank = [0] * self.size
        for rank, docnum in enumerate(self.by_name):
            self.name_rank[docnum] = rank
        self.spelling_words = (
            set().union(*(t.spelling for t in self.segment_tables.values())) if self.ids else set()
        )

    def _tables_afresh(self) -> None:
        self.ids, self.names, self.fingerprints = {}, {}, {}
        facet_bits = self._add_segments(self.layout, {})
        self.docnums = {scheme_id: docnum for docnum, scheme_id in self.ids.items()}
        self.by_name = sorted(self.ids, key=self._name_order)
        self.all_bits = self._bits(self.ids)
        self._set_facet_bits(facet_bits)

    def _tables_after(self, earlier: SearchIndex, shared: int) -> None:
        """The tables of `earlier` without its documents that are not here as they were
        (in its segments after the `shared` ones, or deleted since), and with those of
        this snapshot's later segments."""
        left = [
            docnum
            for key, base, _ in earlier.layout[shared:]
            for docnum in range(base, base + len(earlier.segment_tables[key].ids))
            if docnum in earlier.ids
        ]
        for (_, base, deleted), (_, _, before) in zip(
            self.layout[:shared], earlier.layout[:shared], strict=True
        ):
            left += [base + i for i in deleted - before]
        self.ids, self.names = dict(earlier.ids), dict(earlier.names)
        self.fingerprints, self.docnums = dict(earlier.fingerprints), dict(earlier.docnums)
        for docnum in left:
            scheme_id = self.ids.pop(docnum)
            del self.names[docnum], self.fingerprints[scheme_id], self.docnums[scheme_id]
        added = len(self.ids)
        facet_bits = self._add_segments(self.layout[shared:], {})
        new = list(self.ids)[added:]
        self.docnums.update((self.ids[d], d) for d in new)
        gone = set(left)
        self.by_name = [d for d in earlier.by_name if d not in gone] if gone else earlier.by_name[:]
        for docnum in new:
            bisect.insort(self.by_name, docnum, key=self._name_order)
        removed = bitmaps.from_positions(left, max(earlier.size, self.size))
        self.all_bits = earlier.all_bits & ~removed | self._bits(new)
        for facet_id, values in earlier.facet_bits.items():
            into = facet_bits.setdefault(facet_id, {})
            for value, bits in values.items():
                into[value] = into.get(value, 0) | bits & ~removed
        self._set_facet_bits(facet_bits)

    def _add_segments(self, layout, facet_bits: dict[str, dict[str, int]]) -> dict:
        """Add the live documents of these segments to the tables; returns `facet_bits`
        with the segments' facet bitmaps (deleted documents too) added in."""
        for key, base, deleted in layout:
            tables = self.segment_tables[key]
            for i, (scheme_id, name, fingerprint) in enumerate(
                zip(tables.ids, tables.names, tables.fingerprints, strict=True)
            ):
                if i not in deleted:
                    self.ids[base + i] = scheme_id
                    self.names[base + i] = name
                    self.fingerprints[scheme_id] = fingerprint
            for facet_id, values in tables.facets.items():
                into = facet_bits.setdefault(facet_id, {})
                for value, bits in values.items():
                    into[value] = into.get(value, 0) | bits << base
        return facet_bits

    def _set_facet_bits(self, facet_bits: dict[str, dict[str, int]]) -> None:
        live = self.all_bits
        self.facet_bits = {
            facet.id: {
                value: bits & live
                for value, bits in sorted(facet_bits.get(facet.id, {}).items())
                if bits & live
            }
            for facet in facet_defs.FACETS
        }

    def _name_order(self, docnum: int) -> tuple[str, str]:
        return (self.names[docnum], self.ids[docnum])

    def _bits(self, docnums: Iterable[int]) -> int:
        return bitmaps.from_positions(docnums, self.size)

    def similar(self, scheme: Scheme, catalogue: Catalogue, limit: int = 3) -> list[str]:
        """The ids of the listings most like one listing: see `similarity` for the score.

        Each facet value's bitmap is added into a bit-sliced counter (plane i holds
        bit i of every listing's score), so scoring 10,000 listings takes a few dozen
        big-integer operations instead of 10,000 listings' facets.
        """
        planes: list[int] = []
        for facet_id, values in facet_defs.scheme_facets(scheme, catalogue).items():
            if facet_id in SIMILAR_FACETS:
                for value in values:
                    _add_to_counter(planes, self.facet_bits[facet_id].get(value, 0))
        same_provider = (
            self.docnums[i] for i in catalogue.by_provider[scheme.provider] if i in self.docnums
        )
        _add_to_counter(planes, self._bits(same_provider), weight=SAME_PROVIDER_WEIGHT)
        others = self.all_bits & ~(1 << self.docnums[scheme.id])
        found: list[int] = []
        for score in range((1 << len(planes)) - 1, 0, -1):
            scored = others
            for i, plane in enumerate(planes):  # listings whose score is exactly `score`
                scored &= plane if score >> i & 1 else ~plane
            found += sorted(bitmaps.positions(scored), key=self.name_rank.__getitem__)
            if len(found) >= limit:
                break
        return [self.ids[docnum] for docnum in found[:limit]]

    @contextlib.contextmanager
    def searcher_on_demand(self) -> Iterator[Callable[[], Searcher]]:
        """A function giving one search's searcher, opened the first time it is asked for.

        One per search, not one per thread: servers that start a thread per request
        would otherwise leave a searcher, and its open files, behind every time. And
        only on demand: most searches find every word's postings in the cache and take
        the hits' text from the catalogue, and opening a searcher (a reader for each
        segment, and 10,000 stored-field offsets) was a seventh of a search page.
        """
        opened: list[Searcher] = []

        def searcher() -> Searcher:
            if not opened:
                opened.append(self._new_searcher())
            return opened[0]

        try:
            yield searcher
        finally:
            for one in opened:
                one.close()

    def close(self) -> None:
        self.ix.close()

    def _lengths(self, leaf_number: int, leaf, field_name: str) -> bytes:
        key = (leaf_number, field_name)
        if key not in self._length_cache:
            self._length_cache[key] = _leaf_lengths(leaf, field_name)
        return self._length_cache[key]

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
        for words, matches in vocabulary_mentions(self.vocabulary, tokens(text)):
            if matches:
                part, stems = self._vocabulary_part(matches)
            elif words[0] in STOP_WORDS:  # "and", "for": not in the text fields
                continue
            else:
                stems = {words[0]}
                part = tuple(
                    Alternative(f, words[0], boost)
                    for f, boost in (*TEXT_FIELDS.items(), ("labels", LABELS_BOOST))
                )
            parts.append(part)
            highlight |= stems
        return Plan(tuple(parts), every_word, frozenset(highlight)) if parts else None

    def _vocabulary_part(self, matches) -> tuple[tuple[Alternative, ...], set[str]]:
        stems: set[str] = set()
        options: list[Alternative] = []
        for set_name, slug in matches:
            options.append(Alternative("terms", f"{set_name}:{slug}", TERMS_BOOST))
            options += [Alternative(facet_id, slug) for facet_id in FACETS_BY_TERM_SET[set_name]]
            term = self.vocabulary.term(set_name, slug)
            for word in (term.label, *term.synonyms):
                if " " not in word.strip():  # single words only: "therapist" alone would mislead
                    stems |= _stems(word)
        for stem in sorted(stems):
            options += [Alternative(f, stem, TEXT_FIELDS[f]) for f in ("name", "summary")]
        return tuple(options), stems

    def run(self, query: Query, catalogue: Catalogue | None = None) -> Results:
        """Search, filter, count facets and fetch one page: every search state in one call.

        `catalogue` (at this index's version) gives the hits' names and summaries without
        reading the index's stored fields.
        """
        with self.searcher_on_demand() as searcher:
            found = self._found(searcher, query.text.strip())
            matched = found.matched
            if query.within is not None:
                matched &= self._bits(self.docnums[i] for i in query.within if i in self.docnums)
            selected = {f: self._bits_for(f, vals) for f, vals in query.filters.items() if vals}
            final = matched
            for bits in selected.values():
                final &= bits
            counts = self._facet_counts(matched, selected)
            total = final.bit_count()
            pages = max(1, -(-total // query.page_size))
            page = min(max(1, query.page), pages)
            order = self.by_name if query.sort == "name" or not found.plan else found.ranking
            docnums = self._page(order, final, (page - 1) * query.page_size, query.page_size)
            hits = [self._hit(searcher, found.highlight, docnum, catalogue) for docnum in docnums]
        return Results(
            hits, total, counts, page, pages, found.suggestion, found.corrected, found.relaxed
        )

    def _found(self, searcher: Callable[[], Searcher], text: str) -> Found:
        """What the words match, ranked: kept for the next search with the same words.

        Paging, filtering and re-sorting reuse it, so only new words cost a search.
        """
        with self._lock:
            found = self._found_cache.get(text)
            if found is not None:
                self._found_cache.move_to_end(text)
                return found
        found = self._search(searcher, text)
        with self._lock:
            self._found_cache[text] = found
            while len(self._found_cache) > FOUND_CACHE_SIZE:
                self._found_cache.popitem(last=False)
        return found

    def _search(self, searcher: Callable[[], Searcher], text: str) -> Found:
        if not text:
            return Found(None, self.all_bits, (), frozenset())
        plan = self.plan(text)
        matched = self._matches(searcher, plan)
        suggestion, corrected, relaxed = None, False, False
        if not matched:
            suggestion = self.suggest(text)
            if suggestion:
                plan = self.plan(suggestion)
                matched = self._matches(searcher, plan)
                corrected = bool(matched)
            if not matched:
                plan = self.plan(suggestion or text, every_word=False)
                matched = self._matches(searcher, plan)
                relaxed = bool(matched)
        ranking = self._rank(searcher, plan, matched) if matched else ()
        highlight = plan.highlight if plan else frozenset()
        counted = {}  # what each scored word's idf was worked out from
        for part in plan.parts if plan else ():
            for a in part:
                if self.schema[a.field].scorable:
                    postings = self._postings(searcher, a)
                    counted[(a.field, a.text)] = (postings.frequency, postings.bits)
        return Found(plan, matched, ranking, highlight, suggestion, corrected, relaxed, counted)

    def _matches(self, searcher: Callable[[], Searcher], plan: Plan | None) -> int:
        """The bitmap of listings the plan matches: every part, or any with `every_word` off."""
        if plan is None:
            return 0
        matched = self.all_bits if plan.every_word else 0
        for part in plan.parts:
            bits = 0
            for alternative in part:
                bits |= self._postings(searcher, alternative).bits
            matched = (matched & bits) if plan.every_word else (matched | bits)
        return matched & self.all_bits

    def _rank(self, searcher: Callable[[], Searcher], plan: Plan, matched: int) -> array:
        """The matched listings, best first: each alternative found adds its BM25F score.

        Ties go by name, so equal listings come in the order people scan for.
        """
        totals = [0.0] * self.size
        for part in plan.parts:
            for alternative in part:
                postings = self._postings(searcher, alternative)
                boost = alternative.boost
                for docnum, score in zip(postings.docnums, postings.scores, strict=True):
                    totals[docnum] += boost * score
        # Best score first, ties in name order: a stable sort of the matched listings
        # taken in name order (a tuple key per listing cost three times as much).
        flags = matched.to_bytes((self.size + 7) // 8, "little")
        by_name = [d for d in self.by_name if flags[d >> 3] >> (d & 7) & 1]
        return array("I", sorted(by_name, key=totals.__getitem__, reverse=True))

    def _postings(self, searcher: Callable[[], Searcher], alternative: Alternative) -> Postings:
        """A word's listings and scores in one field, read once per snapshot (most recent kept)."""
        key = (alternative.field, alternative.text)
        with self._lock:
            postings = self._postings_cache.get(key)
            if postings is not None:
                self._postings_cache.move_to_end(key)
                return postings
        postings = read_postings(searcher(), *key, self._lengths, self.statistics, self.all_bits)
        with self._lock:
            self._postings_cache[key] = postings
            while len(self._postings_cache) > POSTINGS_CACHE_SIZE:
                self._postings_cache.popitem(last=False)
        return postings

    def _bits_for(self, facet_id: str, values: list[str]) -> int:
        known = self.facet_bits.get(facet_id, {})
        bits = 0
        for value in values:
            bits |= known.get(value, 0)
        return bits

    def _facet_counts(self, matched: int, selected: dict[str, int]) -> dict[str, dict[str, int]]:
        """Counts per value, each facet counted under every filter but its own.

        So choosing "Physiotherapist" still shows how many listings "Dietitian"
        would give: values within a facet combine with OR, facets with AND.
        """
        counts = {}
        for facet_id, values in self.facet_bits.items():
            base = matched
            for other, bits in selected.items():
                if other != facet_id:
                    base &= bits
            counts[facet_id] = {value: (base & bits).bit_count() for value, bits in values.items()}
        return counts

    def _page(self, order, final: int, start: int, size: int) -> list[int]:
        """Listings start..start+size of `order` that are in `final`."""
        if not final:
            return []
        found, wanted = [], start + size
        flags = final.to_bytes((self.size + 7) // 8, "little")
        for docnum in order:
            if flags[docnum >> 3] >> (docnum & 7) & 1:
                found.append(docnum)
                if len(found) == wanted:
                    break
        return found[start:]

    def _hit(self, searcher, highlight: frozenset[str], docnum: int, catalogue) -> Hit:
        scheme_id = self.ids[docnum]
        scheme = catalogue.schemes.get(scheme_id) if catalogue else None
        if scheme is not None:
            name, summary = scheme.name, scheme.summary
        else:  # no catalogue, or one that has moved on: the text as indexed
            stored = searcher().stored_fields(docnum)
            name, summary = stored["name"], stored["summary"]
        return Hit(
            scheme_id,
            _highlight(highlight, name, self.schema["name"].analyzer),
            _highlight(highlight, summary, self.schema["summary"].analyzer),
        )

    def suggest(self, text: str) -> str | None:
        """A corrected spelling of the query, from the index's words and the vocabulary's."""
        if self._corrector is None:
            words = self.spelling_words | {
                w for phrase in self.vocabulary.synonyms for w in WORD.findall(phrase)
            }
            self._corrector = ListCorrector(sorted(words))
        words = WORD.findall(text.lower())
        fixed = []
        for word in words:
            known = word in self.vocabulary.synonyms or word in self.spelling_words or len(word) < 3
            suggestions = [] if known else self._corrector.suggest(word, limit=1, maxdist=2)
            fixed.append(suggestions[0] if suggestions else word)
        return " ".join(fixed) if fixed != words else None


@dataclass(frozen=True)
class Alternative:
    """One way a part of the query can match: `text` in `field`, its score times `boost`."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Plan:
    parts: tuple[tuple[Alternative, ...], ...]  # each part matches if any alternative does
    every_word: bool
    highlight: frozenset[str]


def _plan_matches(plan: Plan, words: set[tuple[str, str]]) -> bool:
    """Would a document with these (field, word) pairs match the plan?"""
    parts = [any((a.field, a.text) in words for a in part) for part in plan.parts]
    return all(parts) if plan.every_word else any(parts)


class _Edit:
    """What changed between two snapshots of one index, for SearchIndex.keep_caches_of."""

    def __init__(
        self,
        index: SearchIndex,
        changed: list[int],
        words_of: dict[int, set],
        spelling_changed: set[str],
    ):
        self.index = index
        self.spelling_changed = spelling_changed  # words for spelling added or gone
        self.changed = changed
        self.words_of = words_of
        self.moved = index._bits(changed)
        self.unchanged = index.all_bits & ~self.moved
        # Documents that changed, and numbers past the end (a merge dropped the deleted).
        self.gone = self.moved | ~((1 << index.size) - 1)
        self._gone_flags = self.moved.to_bytes((index.size + 7) // 8, "little")
        self.containing: dict[tuple[str, str], list[int]] = {}  # word -> changed docs with it
        for docnum in changed:
            for key in words_of[docnum]:
                self.containing.setdefault(key, []).append(docnum)

    def is_gone(self, docnum: int) -> bool:
        return docnum >= self.index.size or bool(self._gone_flags[docnum >> 3] >> (docnum & 7) & 1)

    def same_count(self, key: tuple[str, str], frequency: int | None, bits: int) -> bool:
        """Is a word in as many live documents as when it was read (so its idf holds)?
        Those unchanged that had it, and those changed that now have it."""
        if not self.index.schema[key[0]].scorable:
            return True
        now = (bits & self.unchanged).bit_count() + len(self.containing.get(key, ()))
        return now == frequency

    def bits_now(self, key: tuple[str, str], bits: int) -> int:
        """The documents with a word now, from those that had it before the edit."""
        return bits & self.unchanged | self.index._bits(self.containing.get(key, ()))

    def without_gone(self, entry: Postings) -> Postings:
        # Gone documents sit at the end (in the segments after the first that changed):
        # the postings before the first of them are kept as they are.
        first_gone = (self.gone & -self.gone).bit_length() - 1
        cut = bisect.bisect_left(entry.docnums, first_gone)
        tail = [
            (d, score)
            for d, score in zip(entry.docnums[cut:], entry.scores[cut:], strict=True)
            if not self.is_gone(d)
        ]
        return replace(
            entry,
            bits=entry.bits & ~self.gone,
            docnums=entry.docnums[:cut] + array("I", (d for d, _ in tail)),
            scores=entry.scores[:cut] + array("d", (s for _, s in tail)),
        )


def _shared_segments(earlier: list[tuple], layout: list[tuple]) -> int:
    """How many leading segments two snapshots' layouts share: the same segments at the
    same document numbers, with no deletion undone."""
    shared = 0
    for (key, base, deleted), (old_key, old_base, old_deleted) in zip(
        layout, earlier, strict=False
    ):
        if key != old_key or base != old_base or not old_deleted <= deleted:
            break
        shared += 1
    return shared


def _without(ranking, left: int, kept: int, size: int) -> array:
    """A ranking without the documents in `left`: one by one if they are a few (each a
    C-speed search of the array), else by keeping those in `kept`."""
    if not left:
        return ranking
    leaving = bitmaps.first_positions(left, 17)
    if len(leaving) <= 16:
        ranking = array("I", ranking)
        for docnum in leaving:
            ranking.remove(docnum)
        return ranking
    flags = kept.to_bytes((size + 7) // 8, "little")
    return array("I", (d for d in ranking if d < size and flags[d >> 3] >> (d & 7) & 1))


def _near(a: str, b: str, limit: int = 2) -> bool:
    """Is `b` within `limit` Levenshtein edits of `a`, as ListCorrector looks for words?"""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, letter in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != other))
            )
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _joined(entry: Postings, added: Postings) -> Postings:
    """A word's postings with those of some more documents, in document order."""
    if not entry.docnums or not added.docnums or added.docnums[0] > entry.docnums[-1]:
        docnums, scores = entry.docnums + added.docnums, entry.scores + added.scores
    else:
        pairs = sorted(zip(entry.docnums + added.docnums, entry.scores + added.scores, strict=True))
        docnums, scores = array("I", (d for d, _ in pairs)), array("d", (s for _, s in pairs))
    return replace(entry, bits=entry.bits | added.bits, docnums=docnums, scores=scores)


@dataclass(frozen=True)
class Found:
    plan: Plan | None
    matched: int
    ranking: array | tuple  # docnums, best first
    highlight: frozenset[str]
    suggestion: str | None = None
    corrected: bool = False
    relaxed: bool = False
    # (field, word) -> (Postings.frequency, Postings.bits) for each scored word
    counted: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Postings:
    bits: int
    # Arrays, not lists: a word in every listing would take 0.6 MB as Python ints and
    # floats, against 0.12 MB.
    docnums: array  # in order
    scores: array
    frequency: int | None  # live documents with the word when read (its idf); unscored: None

    def score_of(self, docnum: int) -> float | None:
        if not self.bits >> docnum & 1:
            return None
        return self.scores[bisect.bisect_left(self.docnums, docnum)]


def collection_statistics(reader) -> dict:
    """What BM25 needs of the whole index, fixed when it is built (see read_postings)."""
    documents = reader.doc_count_all()
    return {
        "documents": documents,
        "average_length": {
            name: reader.field_length(name) / (documents or 1)
            for name, field_type in reader.schema.items()
            if field_type.scorable
        },
    }


def read_postings(
    searcher: Searcher,
    field_name: str,
    text: str,
    lengths,
    statistics: dict,
    live: int,
    only: list[int] | None = None,
    frequency: int | None = None,
) -> Postings:
    """Every document with `text` in `field_name`, and its BM25F score for it.

    The idf's document total and the average field lengths are `statistics`, taken
    when the index was built, and the idf counts the `live` documents with the word:
    Whoosh's own counts include documents replaced in place until segments merge, so
    every edit would shift every listing's score and no worker could keep what it
    had read. This way a listing's score moves only with its own words or the word's
    live count, and `SearchIndex.keep_caches_of` can tell when.

    Unscored fields (the facets) score 1 per document. Read straight from the
    posting blocks: Whoosh's matchers cost several times more per posting, and
    a common word is in nearly every listing.
    """
    reader = searcher.reader()
    scorable = searcher.schema[field_name].scorable
    first = min(only) if only else 0
    found = list(_segment_postings(reader, field_name, text, weighted=scorable, first=first))
    if only is not None:  # just these documents, with the word's count as given
        wanted = set(only)
        found = [
            (number, leaf, offset, *_keep(ids, weights, lambda i, o=offset: o + i in wanted))
            for number, leaf, offset, ids, weights in found
        ]
    docnums = [offset + i for _, _, offset, ids, _ in found for i in ids]
    bits = bitmaps.from_positions(docnums, reader.doc_count_all())
    if not scorable:
        return Postings(bits, array("I", docnums), array("d", [1.0]) * len(docnums), None)
    if frequency is None:
        frequency = (bits & live).bit_count()
    idf = math.log(statistics["documents"] / (frequency + 1)) + 1
    average = statistics["average_length"].get(field_name) or 1
    scores: list[float] = []
    for number, leaf, _, ids, weights in found:
        doc_lengths = lengths(number, leaf, field_name)
        scores += [
            bm25(idf, weight, LENGTHS[doc_lengths[i]], average, BM25_B, BM25_K1)
            for i, weight in zip(ids, weights, strict=True)
        ]
    return Postings(bits, array("I", docnums), array("d", scores), frequency)


def _keep(ids: list[int], weights: list[float], wanted) -> tuple[list[int], list[float]]:
    """A segment's postings cut down to the wanted document numbers (weights may be [])."""
    if not weights:
        return [i for i in ids if wanted(i)], []
    pairs = [(i, w) for i, w in zip(ids, weights, strict=True) if wanted(i)]
    return [i for i, _ in pairs], [w for _, w in pairs]


def _segment_postings(reader, field_name: str, text, weighted: bool, first: int = 0):
    """Each segment's postings of a term: (its number, the segment, its first document
    number, the segment's own document numbers, their term frequencies if `weighted`),
    for the segments holding documents from `first` on."""
    for number, (leaf, offset) in enumerate(reader.leaf_readers()):
        if offset + leaf.doc_count_all() <= first:
            continue
        if (field_name, text) in leaf:
            ids, weights = _leaf_postings(leaf.postings(field_name, text), weighted)
            yield number, leaf, offset, ids, weights


def _leaf_column(leaf, name: str) -> list[str]:
    """A text column's value for each of a segment's documents.

    The column is read in one piece and cut up here: through Whoosh, each value is a
    seek and a read of its own (a third of opening an index at 10,000 listings).
    """
    column = leaf.column_reader(name, translate=False)
    if not isinstance(column, VarBytesColumn.Reader):  # (an empty segment) value by value
        translated = leaf.column_reader(name)
        return [translated[i] for i in range(leaf.doc_count_all())]
    lengths, offsets = column._lengths, column._offsets
    end = max((o + n for o, n in zip(offsets, lengths, strict=True)), default=0)
    data = column._dbfile.get(column._basepos, end)
    return [
        data[offset : offset + length].decode("utf-8")
        for offset, length in zip(offsets, lengths, strict=True)
    ]


def _leaf_postings(matcher, weighted: bool = True) -> tuple[list[int], list[float]]:
    """One segment's document numbers and (if `weighted`) term frequencies for a term.

    Deleted documents (a listing edited in place leaves its old version behind until
    segments merge) are included: Whoosh would filter them out one posting at a time,
    ten times slower; callers keep only live documents (SearchIndex.all_bits).
    """
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        matcher = matcher.child
    ids, weights = [], []
    if isinstance(matcher, W3LeafMatcher):  # whole blocks at a time
        while matcher.is_active():
            matcher._read_ids()
            ids += matcher._ids
            if weighted:
                matcher._read_weights()
                weights += matcher._weights
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(matcher.id())
        if weighted:
            weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def _leaf_lengths(leaf, field_name: str) -> bytes:
    """Each document's length in a field, as the one byte Whoosh stores it in."""
    column = leaf._perdoc._cached_reader(_lenfield(field_name), LENGTHS_COLUMN)
    if column is None:
        return bytes(leaf.doc_count_all())
    return column._dbfile.get(column._basepos, column._count)


@functools.lru_cache(maxsize=4096)
def _stems(word: str) -> frozenset[str]:
    """A word as the text fields index it: lower case, stemmed, without stop words."""
    return frozenset(token.text for token in STEMMED(word))


def _highlight(words: frozenset[str], text: str, analyzer) -> str:
    """The text with matched words in <mark>, HTML-escaped; plain escaped text if none."""
    if not words:
        return str(escape(text))
    formatter = HtmlFormatter(tagname="mark", between=" … ")
    formatter.template = "<%(tag)s>%(t)s</%(tag)s>"  # no classes: styled by the element
    marked = highlight(text, words, analyzer, WholeFragmenter(), formatter, top=1)
    return marked or str(escape(text))


# Keeping the index current --------------------------------------------------------------------


class IndexManager:
    """Gives each request an index at the database's catalogue version.

    Readers never wait for a writer: while another process rebuilds, the
    previous index keeps answering; if there is no usable index at all,
    IndexUnavailable tells the caller to fall back to a plain scan.
    """

    def __init__(self, root: Path):
        self.store = IndexStore(root)
        # Snapshots replaced by a newer one. A request may still be reading the last
        # one, so each is closed only when the next replacement comes (or at close()).
        self._retired: list[SearchIndex] = []
        self._open: SearchIndex | None = None
        self._lock = threading.Lock()
        self._building = threading.Event()

    def get(self, catalogue: Catalogue, version: int, behind: bool = False) -> SearchIndex:
        """The index at `version`. `behind`: the caller's catalogue is older than the
        newest this process has seen (another thread moved on meanwhile); then the
        snapshot before the last catch-up, or a newer one, will do: the index is
        never wound back for it."""
        index = self._open
        current = self.store.current()
        if index is not None and index.path == current:
            if index.version == version:
                return index
            if behind:
                for retired in self._retired:
                    if retired.version == version and retired.path == current:
                        return retired
                if index.version > version:
                    return index
        with self._lock:
            return self._catch_up(catalogue, version)

    def _catch_up(self, catalogue: Catalogue, version: int) -> SearchIndex:
        """Bring this host's index to `version` without ever blocking on a writer.

        A few changed listings are applied at once (milliseconds). A missing,
        corrupt or very stale index is rebuilt in a background thread while the
        previous index, if any, keeps answering.
        """
        with self.store.write_lock(wait=False) as writer:
            if writer and not self._update_in_place(catalogue, version):
                self._rebuild_in_background(catalogue, version)
        index = self._reopen(catalogue)
        if index is None:
            self._rebuild_in_background(catalogue, version)
            raise IndexUnavailable("the search index is being built")
        return index

    def _update_in_place(self, catalogue: Catalogue, version: int) -> bool:
        """With the writer lock: apply small changes. False if a full rebuild is needed."""
        path = self.store.current()
        try:
            meta = self.store.meta(path) if path else None
            if not meta or meta["schema_version"] != SCHEMA_VERSION:
                return False
            if meta["catalogue_version"] == version:
                if self._open is None or self._open.path != path:
                    SearchIndex(path, catalogue.vocabulary).close()  # prove it is readable
                return True
            # The open snapshot of this index knows every listing's fingerprint: reuse it
            # rather than load the whole index again (that costs ~0.2 s at 10,000 listings).
            current = self._open
            index = (
                current
                if current and current.path == path
                else SearchIndex(path, catalogue.vocabulary)
            )
            changed, removed = diff(index, catalogue)
            if index is not current:
                index.close()
            if len(changed) + len(removed) > INCREMENTAL_LIMIT:
                return False
            self.store.update(path, catalogue, version, changed, removed)
            return True
        except Exception as error:  # corrupt or half-deleted: rebuild aside
            log.warning("search index at %s is unusable (%s): rebuilding", path, error)
            return False

    def _reopen(self, catalogue: Catalogue) -> SearchIndex | None:
        path = self.store.current()
        if path is None:
            return None
        if (
            self._open is not None
            and self._open.path == path
            and self._open.version == self._meta_version(path)
        ):
            return self._open
        try:
            index = SearchIndex(path, catalogue.vocabulary, earlier=self._open)
        except IndexUnavailable as error:
            log.warning("%s", error)
            return None
        if self._open is not None:
            index.keep_caches_of(self._open, catalogue)
        self._retire(self._open)
        self._open = index
        return index

    def _retire(self, index: SearchIndex | None) -> None:
        for old in self._retired:
            old.close()
        self._retired = [index] if index is not None else []

    def close(self) -> None:
        with self._lock:
            self._retire(self._open)
            self._retire(None)
            self._open = None

    def _meta_version(self, path: Path) -> int | None:
        try:
            return self.store.meta(path)["catalogue_version"]
        except (OSError, ValueError, KeyError):
            return None

    def _rebuild_in_background(
        self, catalogue: Catalogue, version: int, fresh: bool = False
    ) -> None:
        if self._building.is_set():
            return
        self._building.set()

        def rebuild():
            try:
                with self.store.write_lock():
                    if fresh or not self._update_in_place(catalogue, version):
                        self.store.build(catalogue, version)
            except Exception:
                log.exception("search index rebuild failed")
            finally:
                self._building.clear()

        threading.Thread(target=rebuild, name="search-index-rebuild", daemon=True).start()

    def recover(self, catalogue: Catalogue, version: int) -> None:
        """The open index failed: forget it and rebuild from scratch, in the background."""
        with self._lock:
            self._retire(self._open)
            self._open = None
        self._rebuild_in_background(catalogue, version, fresh=True)

    def state(self, catalogue: Catalogue, version: int) -> str:
        """ "current", "behind" or "missing": is this host's index at `version`?

        Catches up first if it can (a few changed listings take milliseconds).
        """
        try:
            self.get(catalogue, version)
        except IndexUnavailable:
            return "missing"
        path = self.store.current()
        try:
            at = self.store.meta(path)["catalogue_version"] if path else None
        except (OSError, ValueError, KeyError):
            return "missing"
        return "current" if at == version else "behind"

    def ensure(self, catalogue: Catalogue, version: int) -> SearchIndex:
        """Wait for an index at `version`, building it now if need be (start-up, commands)."""
        with self.store.write_lock():
            if not self._update_in_place(catalogue, version):
                self.store.build(catalogue, version)
        with self._lock:
            index = self._reopen(catalogue)
        if index is None:
            raise IndexUnavailable("the index could not be opened after building it")
        return index

    def rebuild(self, catalogue: Catalogue, version: int) -> Path:
        """Build a fresh index aside and swap it in (import, `directory index rebuild`)."""
        with self.store.write_lock():
            return self.store.build(catalogue, version)


def diff(index: SearchIndex, catalogue: Catalogue) -> tuple[list[str], list[str]]:
    """Listings whose indexed form is out of date, and listings no longer in the catalogue."""
    changed = [
        i for i in catalogue.schemes if index.fingerprints.get(i) != catalogue.fingerprint(i)
    ]
    removed = [i for i in index.fingerprints if i not in catalogue.schemes]
    return changed, removed


# Similar listings -----------------------------------------------------------------------------

SIMILAR_FACETS = ("profession", "mentoring_type", "member_of")
SAME_PROVIDER_WEIGHT = 10  # a provider's other listings come first


def similarity(scheme: Scheme, other: Scheme, catalogue: Catalogue, mine=None) -> int:
    """How alike two listings are: the facet values they share, plus 10 for one provider.

    `mine` is `scheme`'s facets, if the caller already has them.
    """
    mine = mine or facet_defs.scheme_facets(scheme, catalogue)
    theirs = facet_defs.scheme_facets(other, catalogue)
    shared = sum(len(set(mine[f]) & set(theirs[f])) for f in SIMILAR_FACETS)
    return shared + (SAME_PROVIDER_WEIGHT if other.provider == scheme.provider else 0)


def similar_by_scan(scheme: Scheme, catalogue: Catalogue, limit: int = 3) -> list[str]:
    """What `SearchIndex.similar` finds, the slow way (no index, or it is being rebuilt)."""
    mine = facet_defs.scheme_facets(scheme, catalogue)
    scored = []
    for other in catalogue.schemes.values():
        score = similarity(scheme, other, catalogue, mine) if other.id != scheme.id else 0
        if score:
            scored.append((-score, other.name.lower(), other.id))
    return [scheme_id for *_, scheme_id in sorted(scored)[:limit]]


def _add_to_counter(planes: list[int], bits: int, weight: int = 1) -> None:
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


# When there is no index ----------------------------------------------------------------------


def scan(catalogue: Catalogue, query: Query) -> Results:
    """A slow, plain search with no index: used only while the index is rebuilt."""
    words = WORD.findall(query.text.lower())
    found = []
    for scheme in sorted(catalogue.schemes.values(), key=lambda s: s.name.lower()):
        if query.within is not None and scheme.id not in query.within:
            continue
        org = catalogue.organisations[scheme.provider]
        haystack = " ".join(
            [scheme.name, scheme.summary, scheme.description, org.name, org.abbreviation or ""]
        ).lower()
        if not all(word in haystack for word in words):
            continue
        values = facet_defs.scheme_facets(scheme, catalogue)
        if all(set(values[f]) & set(v) for f, v in query.filters.items() if v):
            found.append(scheme)
    pages = max(1, -(-len(found) // query.page_size))
    page = min(max(1, query.page), pages)
    start = (page - 1) * query.page_size
    hits = [
        Hit(s.id, str(escape(s.name)), str(escape(s.summary)))
        for s in found[start : start + query.page_size]
    ]
    return Results(hits, len(found), {}, page, pages)
