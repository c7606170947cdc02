"""The search index: Whoosh in memory (RamStorage), following the catalogue.

Each process builds it from the catalogue it holds (`directory serve` builds it once in
the master, so forked workers share it), and brings it up to each new catalogue version
through Whoosh's writer: only the listings whose fingerprint changed. Nothing is on disk,
so there is nothing to go missing, half-written or corrupt.

Whoosh holds each listing's own words and their counts. Everything else a search needs
comes from the catalogue: names for sorting, facet values, field lengths for scoring,
spelling words, and the words of the two fields each listing shares with many others
(`SHARED_FIELDS`). A `Snapshot` is the index at one catalogue version, with the tables a
search reads.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import pickle
import threading
from collections import Counter
from dataclasses import dataclass

from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from directory import facets as facet_defs
from directory.catalogue import Catalogue, Scheme
from directory.search import words

log = logging.getLogger(__name__)

TERMS = "terms"  # vocabulary terms a listing's own words mention, as "set:slug"
LABELS = "labels"  # the labels of what its rules accept
PROVIDER = "provider"
SCORED_FIELDS = (*words.TEXT_FIELDS, LABELS, TERMS)
# Words a listing shares with many others: its provider's name (300 providers at 10,000
# listings) and the labels of its facet values (a few hundred distinct sets). Whoosh is
# not given them: a search scores them from the catalogue and the facet bitmaps
# (`Snapshot.postings`), as Whoosh would. That leaves Whoosh's writer a quarter fewer
# postings to sort and write, most of the start-up build.
SHARED_FIELDS = (PROVIDER, LABELS)
WHOOSH_FIELDS = tuple(name for name in SCORED_FIELDS if name not in SHARED_FIELDS)
LABELLED_FACETS = tuple(f.id for f in facet_defs.FACETS if f.term_set in words.SYNONYM_SETS)
FORK_ABOVE = 2000  # listings: a smaller index is built in the process itself
REBUILD_ABOVE = 1000  # more changed listings than this: build afresh (cheaper than updating)
SEGMENTS_BEFORE_MERGE = 16  # each edit adds a small segment; past this many, Whoosh merges


def make_schema() -> Schema:
    # The words arrive analysed, as lists (see Entry.document): one analysis per
    # listing, the same one queries get. No positions; only ids are kept.
    return Schema(
        id=ID(unique=True, sortable=True),
        **{name: TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False) for name in WHOOSH_FIELDS},
    )


@dataclass(frozen=True)
class Entry:
    """What a search needs of one listing beside its words (which only Whoosh keeps),
    worked out once per version of the listing."""

    lengths: dict[str, int]  # field -> number of words (for BM25)
    facets: dict[str, list[str]]
    spelling: frozenset[str]
    name_key: tuple[str, str]  # (lower-case name, id): the order "sort by name" gives

    @classmethod
    def of(cls, scheme: Scheme, catalogue: Catalogue) -> tuple[Entry, dict]:
        """The listing's entry, and its document for Whoosh's writer."""
        vocabulary = catalogue.vocabulary
        text = words.listing_text(scheme, catalogue)
        values = facet_defs.scheme_facets(scheme, catalogue)
        found: dict[str, list[str]] = {}
        terms: list[str] = []
        spelling: set[str] = set()
        for name, weight in words.TEXT_FIELDS.items():
            # A provider's text is the same for each of its listings: analysed once.
            analyse = _analysed_again if name == "provider" else _analysed
            found[name], mentioned, field_spelling = analyse(vocabulary, text[name])
            # Each term repeated as often as its field weighs: a listing whose name says
            # "speech and language therapy" outranks one that mentions it in passing.
            terms += mentioned * int(weight)
            if name != "description":
                spelling |= field_spelling
        found[TERMS] = terms
        lengths = {name: len(found_words) for name, found_words in found.items()}
        lengths[LABELS] = sum(
            _label_length(vocabulary, facet_id, value)
            for facet_id in LABELLED_FACETS
            for value in values[facet_id]
        )
        entry = cls(lengths, values, frozenset(spelling), (scheme.name.lower(), scheme.id))
        # Lists of words: Whoosh takes them as they are, bypassing the field's analyzer
        # (documented in IndexWriter.add_document).
        return entry, {"id": scheme.id, **{name: found[name] for name in WHOOSH_FIELDS}}


def _analysed(vocabulary, text: str) -> tuple[list[str], list[str], set[str]]:
    """A text's indexed words, the vocabulary terms it mentions, and its spelling words."""
    plain = words.plain_words(text)
    mentioned = sorted(words.mentioned_terms(vocabulary, [words.stem(w) for w in plain]))
    return words.indexed(plain), mentioned, words.spelling(plain)


_analysed_again = functools.lru_cache(maxsize=1024)(_analysed)


@functools.lru_cache(maxsize=4096)
def _label_length(vocabulary, facet_id: str, value: str) -> int:
    """How many words the label of a facet value adds to a listing's labels field."""
    return len(
        words.indexed(words.plain_words(" ".join(words.labels(vocabulary, {facet_id: [value]}))))
    )


def _may_fork(catalogue: Catalogue) -> bool:
    """Build a big index in a child process (see LiveIndex._build_apart): only where
    forking is safe and useful, in a process with no other thread (the server's master
    at start-up, a command), and when there are thousands of listings."""
    return (
        len(catalogue.schemes) >= FORK_ABOVE
        and hasattr(os, "fork")
        and threading.active_count() == 1
    )


class LiveIndex:
    """One process's index, kept at the newest catalogue version it has been given.

    `get` never winds it back: a request that began before a newer catalogue arrived is
    answered from the newer snapshot (the web layer drops hits its catalogue lacks).
    """

    def __init__(self):
        self._lock = threading.Lock()  # one writer at a time; readers never wait
        self._current = None  # Snapshot
        self._index = None  # whoosh Index on RamStorage
        self._entries: dict[str, Entry] = {}
        self._fingerprints: dict[str, str] = {}
        self._spelling: Counter[str] = Counter()
        self._segments = 0

    def get(self, catalogue: Catalogue, version: int):
        current = self._current
        if current is not None and current.version >= version:
            return current
        with self._lock:
            current = self._current
            if current is None or current.version < version:
                self._current = self._brought_to(catalogue, version)
            return self._current

    @property
    def version(self) -> int | None:
        """The catalogue version the index is at (None before the first build)."""
        return None if self._current is None else self._current.version

    def close(self) -> None:
        """Nothing to close: kept so callers can let go of the index the same way."""

    def _brought_to(self, catalogue: Catalogue, version: int):
        from directory.search.query import Snapshot

        known = self._fingerprints
        changed = [i for i in catalogue.schemes if known.get(i) != catalogue.fingerprint(i)]
        removed = [i for i in self._fingerprints if i not in catalogue.schemes]
        previous = self._current  # its tables still hold for the listings not changed
        if self._index is None and _may_fork(catalogue):
            self._build_apart(catalogue)
        elif self._index is None or len(changed) + len(removed) > REBUILD_ABOVE:
            self._build(catalogue)
            previous = None
        elif changed or removed:
            self._update(catalogue, changed, removed)
        searcher = self._index.searcher()
        return Snapshot(searcher, catalogue, version, self._entries, self._spelling, previous)

    def _build(self, catalogue: Catalogue) -> None:
        self._entries, self._fingerprints, self._spelling = {}, {}, Counter()
        self._index = RamStorage().create_index(make_schema())
        # Room to sort every posting in memory: past its default 128 MB the writer
        # pickles them to temporary runs and back (a third of the build at 10,000).
        writer = self._index.writer(limitmb=1024)
        for scheme in catalogue.schemes.values():
            writer.add_document(**self._enter(scheme, catalogue))
        writer.commit()
        self._segments = 1

    def _build_apart(self, catalogue: Catalogue) -> None:
        """Build in a forked child and take the finished index back through a pipe.

        Sorting the postings takes a few hundred MB of small objects; in a child they
        die with it, instead of staying in this process's heap (Python keeps the
        arenas), which the server's workers would inherit.
        """
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: build, send, and leave without running any cleanup
            status = 1
            try:
                os.close(reader)
                # Whoosh's writer makes a tuple per posting, all alive until the commit: the
                # collector would scan them again and again (a tenth of the build), and
                # what they leave dies with this process anyway.
                gc.disable()
                self._build(catalogue)
                storage = self._index.storage
                files = {name: storage.open_file(name).read() for name in storage.list()}
                state = (files, self._entries, self._fingerprints, self._spelling)
                with os.fdopen(writer, "wb") as out:
                    pickle.dump(state, out, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            log.warning("building the search index in a child process failed: building here")
            self._build(catalogue)
            return
        files, self._entries, self._fingerprints, self._spelling = pickle.loads(data)
        storage = RamStorage()
        for name, content in files.items():
            copy = storage.create_file(name)
            copy.write(content)
            copy.close()
        self._index = storage.open_index()
        self._segments = 1

    def _update(self, catalogue: Catalogue, changed: list[str], removed: list[str]) -> None:
        writer = self._index.writer()
        for scheme_id in removed:
            writer.delete_by_term("id", scheme_id)
            self._forget(scheme_id)
        for scheme_id in changed:
            self._forget(scheme_id)
            writer.update_document(**self._enter(catalogue.schemes[scheme_id], catalogue))
        # Merging rewrites segments a snapshot in use may still read: only now and then.
        self._segments += 1
        merge = self._segments > SEGMENTS_BEFORE_MERGE
        writer.commit(merge=merge)
        if merge:
            self._segments = len(self._index.reader().leaf_readers())

    def _enter(self, scheme: Scheme, catalogue: Catalogue) -> dict:
        """Keep a listing's entry; its document for the writer."""
        entry, document = Entry.of(scheme, catalogue)
        self._entries[scheme.id] = entry
        self._fingerprints[scheme.id] = catalogue.fingerprint(scheme.id)
        self._spelling.update(entry.spelling)
        return document

    def _forget(self, scheme_id: str) -> None:
        entry = self._entries.pop(scheme_id, None)
        self._fingerprints.pop(scheme_id, None)
        if entry is not None:
            self._spelling.subtract(entry.spelling)
