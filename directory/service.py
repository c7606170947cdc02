"""The directory as one object: vocabulary, database, catalogue cache and search.

Plain Python, shared by the web app and the `directory` command, so both see
the same catalogue the same way. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from directory import accounts, db, editing, outcomes, search, store
from directory import catalogue as cat
from directory import vocabulary as vocab
from directory.models import ProblemReport, SchemeRow
from directory.rules import Answers

log = logging.getLogger(__name__)


class Directory:
    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        catalogue_file: Path | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.catalogue_file = Path(catalogue_file or self.data_dir / "schemes.yaml")
        self.base_vocabulary = vocab.load(self.data_dir / "vocabulary.yaml")
        self.engine = db.make_engine(database_url)
        self.cache = store.CatalogueCache(self.base_vocabulary)
        self.index = search.LiveIndex()  # in memory, at the newest catalogue this process read
        self._watcher_pid: int | None = None  # the process whose keep_current thread runs
        self._watcher_lock = threading.Lock()
        self._closing = threading.Event()

    @property
    def vocabulary(self) -> vocab.Vocabulary:
        """The vocabulary with the catalogue's universities and courses (as last loaded)."""
        return self.cache.catalogue.vocabulary or self.base_vocabulary

    @contextmanager
    def session(self):
        with db.session_scope(self.engine) as session:
            yield session

    def setup(self, auto_import: bool = True, build_index: bool = True) -> None:
        """Create tables; on first run fill an empty database from data/schemes.yaml;
        build the search index for the current catalogue (in memory)."""
        db.create_tables(self.engine)
        if auto_import:
            with self.session() as session:
                if store.is_empty(session):
                    catalogue = cat.load(self.catalogue_file, self.base_vocabulary)
                    report = store.import_catalogue(session, catalogue, actor="first run")
                    log.info("imported %s: %s", self.catalogue_file, report.summary())
        if build_index:
            self.index.get(*self.snapshot())

    def snapshot(self, max_age: float = 0.0) -> tuple[cat.Catalogue, int]:
        """The current catalogue (cached in memory) and its version: as the database has
        them now, or had them at most `max_age` seconds ago (see CatalogueCache.get)."""
        return self.cache.get(self.engine, max_age)

    def import_catalogue(self, catalogue: cat.Catalogue, actor: str) -> store.ImportReport:
        """Merge a catalogue into the database; this process's index follows at once,
        other processes and hosts when they see the new catalogue version."""
        with self.session() as session:
            report = store.import_catalogue(session, catalogue, actor=actor)
            if report.changed:  # the audit log covers every change to the catalogue
                changed = [*report.added, *report.updated, *report.removed]
                detail = f"{report.summary()}: {', '.join(changed)}"
                editing.audit(session, actor, "import", detail=detail)
        self.refresh_index()
        return report

    def refresh_index(self) -> None:
        """After an edit: bring this process's index to the new version now."""
        self.index.get(*self.snapshot())

    def behind(self, version: int) -> bool:
        """Has this process seen a newer catalogue than `version` (a request that began
        before another thread caught up, or while the index is brought up to it)?"""
        return version < self.cache.newest

    def keep_current(self, every: float) -> None:
        """Check the catalogue version every `every` seconds in a thread of this process,
        and bring the search index up to a new catalogue before requests are given it:
        requests that may see a catalogue a moment old (snapshot's max_age) then never
        wait for that work. Once per process: a forked worker starts its own."""
        if self._watcher_pid == os.getpid():
            return
        with self._watcher_lock:
            if self._watcher_pid == os.getpid():
                return
            self._watcher_pid = os.getpid()
            threading.Thread(
                target=self._keep_current,
                args=(every, self._closing),
                name="catalogue-watcher",
                daemon=True,
            ).start()

    def _keep_current(self, every: float, closing: threading.Event) -> None:
        failing = False
        while not closing.wait(every):
            try:
                self.cache.get(self.engine, prepare=self._prepare_index)
                failing = False
            except Exception as error:  # the database away: requests will say so themselves
                if not failing:
                    log.warning("cannot check the catalogue version: %s", error)
                failing = True

    def _prepare_index(self, catalogue: cat.Catalogue, version: int) -> None:
        try:
            self.index.get(catalogue, version)
        except Exception:  # the next search tries again, in its own request
            log.exception("the search index could not be brought up to version %s", version)

    def search(
        self, query: search.Query, at: tuple[cat.Catalogue, int] | None = None
    ) -> search.Results:
        """One search. `at` is the (catalogue, version) the caller already holds, to spare
        asking the database again."""
        catalogue, version = at or self.snapshot()
        results = self.index.get(catalogue, version).run(query)
        # An index a moment ahead of this request's catalogue (another thread caught it
        # up) may name a listing the catalogue does not have yet.
        results.hits = [hit for hit in results.hits if hit.id in catalogue.schemes]
        return results

    def similar(self, scheme: cat.Scheme, at: tuple[cat.Catalogue, int], limit: int = 3):
        """The listings most like this one (same provider first). `at`: (catalogue,
        version), as for `search`."""
        catalogue, version = at
        ids = self.index.get(catalogue, version).similar(scheme, limit)
        return [catalogue.schemes[i] for i in ids if i in catalogue.schemes]

    def readiness(self) -> dict[str, str]:
        """What /readyz and `directory doctor` report: a host is ready when its database
        answers (the search index is built from the catalogue in memory)."""
        try:
            self.snapshot()
        except Exception:
            log.exception("readiness: the database is not answering")
            return {"database": "unavailable"}
        return {"database": "ok"}

    # What the public views read and write, so that no view builds a query ------------------

    def recently_updated(self, limit: int = 50) -> list[SchemeRow]:
        """The listings changed most recently, newest first."""
        with self.session() as session:
            return store.recently_updated(session, limit)

    def revisions(self, scheme_ids: list[str]) -> dict:
        """Each listing's revisions (see store.revisions)."""
        with self.session() as session:
            return store.revisions(session, scheme_ids)

    def updated_at(self) -> dict[str, dt.datetime]:
        """When each listing last changed."""
        with self.session() as session:
            return store.updated_at(session)

    def report_problem(
        self,
        scheme: cat.Scheme,
        category: str,
        message: str,
        sender: str,
        limit: int,
        window: dt.timedelta,
        when_kept: Callable[[Session, ProblemReport], None] | None = None,
    ) -> bool:
        """Keep a problem report about a listing, unless `sender` has sent `limit` within
        `window`: then keep nothing and say False. `when_kept` (the web layer's mail to
        the people who look after the listing) runs in the same transaction."""
        key = f"report-ip:{sender}"
        with self.session() as session:
            if accounts.attempts(session, key, window) >= limit:
                return False
            accounts.record_attempt(session, key)
            report = ProblemReport(
                scheme_id=scheme.id,
                organisation_id=scheme.provider,
                category=category,
                message=message,
            )
            session.add(report)
            if when_kept:
                when_kept(session, report)
        return True

    def outcomes(self, answers: Answers, catalogue: cat.Catalogue) -> outcomes.Outcomes:
        """Every listing's status for one person, as bitmaps, with decisions on demand."""
        return catalogue.rule_table.sort(answers)

    def not_ruled_out(
        self, answers: Answers, catalogue: cat.Catalogue | None = None
    ) -> frozenset[str]:
        """The ids of listings the person can or might join ("search as me")."""
        catalogue = catalogue or self.snapshot()[0]
        table = catalogue.rule_table
        return frozenset(table.ids_in(table.sort(answers).not_ruled_out))

    def close(self) -> None:
        self._closing.set()
        self.engine.dispose()
