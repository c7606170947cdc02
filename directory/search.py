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

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as whoosh_query
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import HtmlFormatter, WholeFragmenter
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector, MultiCorrector

from directory import facets as facet_defs
from directory.catalogue import Catalogue, Scheme
from directory.vocabulary import Vocabulary

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1  # bump when the schema or document shape changes: forces a rebuild
TEXT_FIELDS = {"name": 4.0, "provider": 3.0, "summary": 2.0, "keywords": 1.5, "description": 1.0}
# Vocabulary whose synonyms expand a query: "physio" also finds "physiotherapist".
SYNONYM_SETS = ("professions", "memberships", "mentoring_types", "stages", "provider_kinds")
PAGE_SIZE = 10
INCREMENTAL_LIMIT = 500  # more changed listings than this: rebuild aside instead
SORTS = ("relevance", "name")


def make_schema() -> Schema:
    # Only whoosh's own analyzers: the schema is pickled into the index.
    stemmed = StemmingAnalyzer()
    fields = {
        "id": ID(stored=True, unique=True, sortable=True),
        "fingerprint": ID(stored=True, sortable=True),
        "name_sort": ID(sortable=True),
        "spelling": TEXT(analyzer=StandardAnalyzer(), spelling=True),  # unstemmed words
        **{name: TEXT(analyzer=stemmed, stored=True) for name in TEXT_FIELDS if name != "keywords"},
        "keywords": TEXT(analyzer=stemmed),
    }
    for facet in facet_defs.FACETS:
        fields[facet.id] = KEYWORD(commas=True, stored=False, lowercase=False)
    return Schema(**fields)


def document(scheme: Scheme, catalogue: Catalogue) -> dict[str, str]:
    """What the index holds for one listing."""
    vocabulary = catalogue.vocabulary
    org = catalogue.organisations[scheme.provider]
    values = facet_defs.scheme_facets(scheme, catalogue)
    # Keywords let "radiography students" find schemes open to radiography students.
    keywords = []
    for facet in facet_defs.FACETS:
        for value in values[facet.id]:
            term = vocabulary.find(facet.term_set, value)
            if term is not None and facet.term_set in SYNONYM_SETS:
                keywords += [term.label, *term.synonyms]
    provider = " ".join(filter(None, [org.name, org.abbreviation]))
    text = {
        "name": scheme.name,
        "provider": provider,
        "summary": scheme.summary,
        "description": scheme.description,
        "keywords": " ".join(keywords),
    }
    return {
        "id": scheme.id,
        "fingerprint": catalogue.fingerprint(scheme.id),
        "name_sort": scheme.name.lower(),
        "spelling": " ".join(text.values()),
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
        writer = ix.writer(limitmb=128)
        for scheme in sorted(catalogue.schemes.values(), key=lambda s: s.id):
            writer.add_document(**document(scheme, catalogue))
        writer.commit()
        ix.close()
        self._write_meta(path, version)
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
        writer = ix.writer()
        for scheme_id in removed:
            writer.delete_by_term("id", scheme_id)
        for scheme_id in changed:
            writer.update_document(**document(catalogue.schemes[scheme_id], catalogue))
        writer.commit()  # whoosh commits atomically: readers see before or after
        ix.close()
        self._write_meta(path, version)

    def _write_meta(self, path: Path, version: int) -> None:
        meta = {"catalogue_version": version, "schema_version": SCHEMA_VERSION}
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


class SearchIndex:
    """One opened index snapshot, with facet sets precomputed for fast counting."""

    def __init__(self, path: Path, vocabulary: Vocabulary):
        try:
            # No memory-mapping: reading a file truncated or deleted underneath a map
            # kills the process (SIGBUS), where a plain read raises an error we handle.
            self.ix = FileStorage(str(path), supports_mmap=False).open_index()
            # Pin one generation: every searcher of this snapshot reads exactly what
            # the tables below were built from, even if the index is updated meanwhile.
            self._toc = self.ix._read_toc()
            self.meta = json.loads((path / "meta.json").read_text())
            self._load_structures()
        except Exception as error:  # a corrupt or half-deleted index, whatever the symptom
            if getattr(self, "ix", None) is not None:
                self.ix.close()
            raise IndexUnavailable(f"cannot open search index {path}: {error}") from error
        self.path = path
        self.version = self.meta["catalogue_version"]
        self.vocabulary = vocabulary
        self.parser = qparser.MultifieldParser(
            list(TEXT_FIELDS), self.ix.schema, fieldboosts=TEXT_FIELDS, group=qparser.AndGroup
        )
        self.relaxed_parser = qparser.MultifieldParser(
            list(TEXT_FIELDS),
            self.ix.schema,
            fieldboosts=TEXT_FIELDS,
            group=qparser.OrGroup.factory(0.9),
        )
        for parser in (self.parser, self.relaxed_parser):
            parser.remove_plugin_class(qparser.WildcardPlugin)  # "physio*" is not for users

    def _new_searcher(self) -> Searcher:
        toc = self._toc
        reader = self.ix._reader(self.ix.storage, toc.schema, toc.segments, toc.generation)
        return Searcher(reader, fromindex=self.ix)

    def _load_structures(self) -> None:
        with self._new_searcher() as searcher:
            reader = searcher.reader()
            ids = reader.column_reader("id")
            fingerprints = reader.column_reader("fingerprint")
            names = reader.column_reader("name_sort")
            live = list(reader.all_doc_ids())
            self.ids = {docnum: ids[docnum] for docnum in live}
            self.docnums = {scheme_id: docnum for docnum, scheme_id in self.ids.items()}
            self.fingerprints = {ids[docnum]: fingerprints[docnum] for docnum in live}
            self.by_name = sorted(live, key=lambda d: (names[d], ids[d]))
            self.all_docs = frozenset(live)
            self.facet_docs: dict[str, dict[str, frozenset[int]]] = {}
            for facet in facet_defs.FACETS:
                values = {}
                for raw in reader.lexicon(facet.id):
                    value = raw.decode() if isinstance(raw, bytes) else raw
                    docs = frozenset(reader.postings(facet.id, raw).all_ids()) & self.all_docs
                    if docs:
                        values[value] = docs
                self.facet_docs[facet.id] = values

    def searcher(self) -> Searcher:
        """A new searcher on this snapshot, for one search: use it in a `with` block.

        One per search, not one per thread: servers that start a thread per request
        would otherwise leave a searcher, and its open files, behind every time.
        """
        return self._new_searcher()

    def close(self) -> None:
        self.ix.close()

    # The query ---------------------------------------------------------------------------

    def expand(self, text: str) -> str:
        """The user's words as a Whoosh query, synonyms ORed in, syntax characters removed."""
        words = WORD.findall(text.lower())
        parts, i = [], 0
        while i < len(words):
            for size in (4, 3, 2, 1):  # longest synonym phrase first ("speech and language")
                phrase = " ".join(words[i : i + size])
                matches = [
                    m for m in self.vocabulary.synonyms.get(phrase, []) if m[0] in SYNONYM_SETS
                ]
                if len(words[i : i + size]) == size and matches:
                    parts.append(self._alternatives(phrase, matches))
                    i += size
                    break
            else:
                parts.append(_quote(words[i]))
                i += 1
        return " ".join(parts)

    def _alternatives(self, phrase: str, matches: list[tuple[str, str]]) -> str:
        options = {phrase}
        for set_name, slug in matches:
            term = self.vocabulary.term(set_name, slug)
            options |= {
                PUNCTUATION.sub(" ", w).strip().lower() for w in (term.label, *term.synonyms)
            }
        return "(" + " OR ".join(_quote(o) for o in sorted(options) if o) + ")"

    def run(self, query: Query) -> Results:
        """Search, filter, count facets and fetch one page: every search state in one call."""
        with self.searcher() as searcher:
            return self._run(searcher, query)

    def _run(self, searcher: Searcher, query: Query) -> Results:
        text = query.text.strip()
        suggestion = None
        corrected = relaxed = False
        parsed = self.parser.parse(self.expand(text)) if text else None
        matched = self._matches(searcher, parsed)
        if text and not matched:
            suggestion = self._suggest(searcher, text)
            if suggestion:
                parsed = self.parser.parse(self.expand(suggestion))
                matched = self._matches(searcher, parsed)
                corrected = bool(matched)
            if not matched:
                parsed = self.relaxed_parser.parse(self.expand(suggestion or text))
                matched = self._matches(searcher, parsed)
                relaxed = bool(matched)
        if query.within is not None:
            matched &= {self.docnums[i] for i in query.within if i in self.docnums}
        selected = {f: self._docs_for(f, values) for f, values in query.filters.items() if values}
        final = matched.intersection(*selected.values()) if selected else matched
        counts = self._facet_counts(matched, selected)
        pages = max(1, -(-len(final) // query.page_size))
        page = min(max(1, query.page), pages)
        start = (page - 1) * query.page_size
        hits = self._page(searcher, parsed, final, query.sort, start, query.page_size)
        return Results(hits, len(final), counts, page, pages, suggestion, corrected, relaxed)

    def _matches(self, searcher, parsed) -> set[int]:
        if parsed is None:
            return set(self.all_docs)
        return set(searcher.docs_for_query(parsed)) & self.all_docs

    def _docs_for(self, facet_id: str, values: list[str]) -> frozenset[int]:
        known = self.facet_docs.get(facet_id, {})
        return frozenset().union(*(known.get(v, frozenset()) for v in values))

    def _facet_counts(self, matched: set[int], selected: dict[str, frozenset[int]]):
        """Counts per value, each facet counted under every filter but its own.

        So choosing "Physiotherapist" still shows how many listings "Dietitian"
        would give: values within a facet combine with OR, facets with AND.
        """
        counts = {}
        for facet_id, values in self.facet_docs.items():
            others = [docs for f, docs in selected.items() if f != facet_id]
            base = matched.intersection(*others) if others else matched
            counts[facet_id] = {value: len(base & docs) for value, docs in values.items()}
        return counts

    def _page(self, searcher, parsed, final: set[int], sort: str, start: int, size: int):
        if not final:  # whoosh reads an empty filter as "no filter"
            return []
        if parsed is None or sort == "name":
            ordered = [d for d in self.by_name if d in final][start : start + size]
            results = None
        else:
            results = searcher.search(parsed, limit=start + size, filter=final, terms=True)
            ordered = [hit.docnum for hit in results[start : start + size]]
        return [self._hit(searcher, parsed, docnum) for docnum in ordered]

    def _hit(self, searcher, parsed, docnum: int) -> Hit:
        stored = searcher.stored_fields(docnum)
        name = _highlight(parsed, stored["name"], "name", self.ix.schema, WholeFragmenter())
        summary = _highlight(
            parsed, stored["summary"], "summary", self.ix.schema, WholeFragmenter()
        )
        return Hit(stored["id"], name, summary)

    def suggest(self, text: str) -> str | None:
        """A corrected spelling of the query, from the index's words and the vocabulary's."""
        with self.searcher() as searcher:
            return self._suggest(searcher, text)

    def _suggest(self, searcher: Searcher, text: str) -> str | None:
        corrector = MultiCorrector(
            [searcher.corrector("spelling"), ListCorrector(sorted(self._vocabulary_words()))],
            op=max,
        )
        words = WORD.findall(text.lower())
        fixed = []
        for word in words:
            known = self.vocabulary.synonyms.get(word) or searcher.reader().doc_frequency(
                "spelling", word
            )
            suggestions = (
                [] if known or len(word) < 3 else corrector.suggest(word, limit=1, maxdist=2)
            )
            fixed.append(suggestions[0] if suggestions else word)
        return " ".join(fixed) if fixed != words else None

    def _vocabulary_words(self) -> set[str]:
        return {w for phrase in self.vocabulary.synonyms for w in WORD.findall(phrase)}


WORD = re.compile(r"[a-z0-9&]+(?:['’-][a-z0-9]+)*")
PUNCTUATION = re.compile(r"[()\[\]{}:\"^~*?!+]")


def _quote(text: str) -> str:
    text = text.replace('"', " ").strip()
    return f'"{text}"' if (" " in text or not text.isalnum()) else text


def _highlight(parsed, text: str, field_name: str, schema, fragmenter) -> str:
    """The text with matched words in <mark>, HTML-escaped; plain escaped text if none."""
    from markupsafe import escape
    from whoosh.highlight import highlight

    words = _single_terms(parsed, field_name) if parsed is not None else set()
    if not words:
        return str(escape(text))
    formatter = HtmlFormatter(tagname="mark", between=" … ")
    formatter.template = "<%(tag)s>%(t)s</%(tag)s>"  # no classes: styled by the element
    analyzer = schema[field_name].analyzer
    marked = highlight(text, words, analyzer, fragmenter, formatter, top=1)
    return marked or str(escape(text))


def _single_terms(query, field_name: str) -> set[str]:
    """The query's single-word terms in one field. Words of a phrase ("physical
    therapist") are left out: marking "therapist" alone would mislead."""
    if isinstance(query, whoosh_query.Phrase):
        return set()
    if isinstance(query, whoosh_query.Term):
        text = query.text.decode() if isinstance(query.text, bytes) else query.text
        return {text} if query.fieldname == field_name else set()
    found: set[str] = set()
    for child in query.children():
        found |= _single_terms(child, field_name)
    return found


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

    def get(self, catalogue: Catalogue, version: int) -> SearchIndex:
        index = self._open
        if index is not None and index.version == version and index.path == self.store.current():
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
            index = SearchIndex(path, catalogue.vocabulary)  # also proves it is readable
            if meta["catalogue_version"] == version:
                index.close()
                return True
            changed, removed = diff(index, catalogue)
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
            index = SearchIndex(path, catalogue.vocabulary)
        except IndexUnavailable as error:
            log.warning("%s", error)
            return None
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
    from markupsafe import escape

    hits = [
        Hit(s.id, str(escape(s.name)), str(escape(s.summary)))
        for s in found[start : start + query.page_size]
    ]
    return Results(hits, len(found), {}, page, pages)
