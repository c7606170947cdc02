"""Moving the catalogue between YAML and the database. No Flask here.

Import is a three-way merge against the hash each row had at the last sync
(import or export), so curators can edit YAML in git while hub leads edit on
the site:

  file == database                 nothing to do
  only the file changed            take the file's version
  only the database changed        keep the database's version
  both changed (or both new)       conflict: nothing is written at all

Running the same import twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func
from sqlmodel import Session, select

from directory import catalogue as cat
from directory import rules
from directory.models import CatalogueState, OrganisationRow, Revision, SchemeRow, utcnow
from directory.vocabulary import Vocabulary

log = logging.getLogger(__name__)


@dataclass
class Conflict:
    kind: str  # "organisation" | "scheme"
    id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id}: {self.reason}"


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # changed on the site since the last sync
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        if self.conflicts:
            return f"refused: {len(self.conflicts)} conflict(s); nothing was written"
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged",
        ]
        if self.kept:
            parts.append(f"{len(self.kept)} kept (changed on the site since the last sync)")
        return ", ".join(parts)


def _merge_action(file_hash: str | None, row_hash: str | None, synced: str | None) -> str:
    """What to do with one record, given its hash in the file, the database and at last sync."""
    if file_hash == row_hash:
        return "same"
    if row_hash is None:
        return "add"
    if file_hash is None:
        if synced is None:
            return "keep"  # created on the site after the last sync: not a removal
        return "remove" if row_hash == synced else "conflict-removed"
    if row_hash == synced:
        return "update"
    if file_hash == synced:
        return "keep"
    return "conflict"


_CONFLICT_REASONS = {
    "conflict": "changed in the file and on the site since the last sync",
    "conflict-removed": "removed from the file but changed on the site since the last sync",
}


def import_catalogue(
    session: Session, catalogue: cat.Catalogue, actor: str = "import"
) -> ImportReport:
    """Merge a validated catalogue into the database (see module docstring)."""
    report = ImportReport()
    orgs = {row.id: row for row in session.exec(select(OrganisationRow))}
    schemes = {row.id: row for row in session.exec(select(SchemeRow))}
    plan = []
    for kind, incoming, existing in (
        ("organisation", catalogue.organisations, orgs),
        ("scheme", catalogue.schemes, schemes),
    ):
        for ident in sorted(set(incoming) | set(existing)):
            record = incoming.get(ident)
            row = existing.get(ident)
            action = _merge_action(
                cat.content_hash(record) if record else None,
                row.content_hash if row else None,
                row.synced_hash if row else None,
            )
            if action.startswith("conflict"):
                report.conflicts.append(Conflict(kind, ident, _CONFLICT_REASONS[action]))
            plan.append((kind, ident, action, record, row))
    if report.conflicts:
        return report
    changes = any(action in ("add", "update", "remove") for _, _, action, _, _ in plan)
    version = bump_version(session) if changes else catalogue_version(session)
    # Organisations first on the way in, schemes first on the way out (foreign keys).
    for kind, ident, action, record, row in sorted(plan, key=lambda p: _apply_order(p[0], p[2])):
        _apply(session, kind, ident, action, record, row, actor, report, version)
    session.flush()
    return report


def _apply_order(kind: str, action: str) -> int:
    if action == "remove":
        return 0 if kind == "scheme" else 1
    return 2 if kind == "organisation" else 3


def _apply(session, kind, ident, action, record, row, actor, report, version) -> None:
    if action == "same":
        row.synced_hash = row.content_hash
        report.unchanged += 1
    elif action == "keep":
        report.kept.append(ident)
    elif action == "remove":
        if kind == "scheme":
            add_revision(session, ident, "remove", actor, None)
        session.delete(row)
        session.flush()
        report.removed.append(f"{kind} {ident}")
    else:  # add or update
        row = write_record(session, record, row, version)
        row.synced_hash = row.content_hash
        if kind == "scheme":
            add_revision(session, ident, "import", actor, record, version=row.version)
        (report.added if action == "add" else report.updated).append(f"{kind} {ident}")


def write_record(session: Session, record, row, version: int):
    """Create or update the row for an organisation or scheme record.

    `version` is the catalogue version this change belongs to (see bump_version),
    so caches and search indexes can fetch just what changed since they last looked.
    """
    document = cat.record(record)
    if isinstance(record, cat.Organisation):
        row = row or OrganisationRow(
            id=record.id, name=record.name, kind=record.kind, document=document, content_hash=""
        )
        row.name, row.kind = record.name, record.kind
    else:
        if row is None:
            row = SchemeRow(
                id=record.id,
                name=record.name,
                provider_id=record.provider,
                listing_type=record.listing_type,
                document=document,
                content_hash="",
                version=0,
            )
        row.name, row.provider_id = record.name, record.provider
        row.listing_type = record.listing_type
        row.version += 1
    row.document = document
    row.content_hash = cat.content_hash(record)
    row.changed_in = version
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def add_revision(
    session: Session,
    scheme_id: str,
    action: str,
    actor: str,
    record: cat.Scheme | None,
    comment: str | None = None,
    version: int | None = None,
) -> Revision:
    number = (
        session.exec(
            select(func.coalesce(func.max(Revision.number), 0)).where(
                Revision.scheme_id == scheme_id
            )
        ).one()
        + 1
    )
    revision = Revision(
        scheme_id=scheme_id,
        number=number,
        version=version,
        action=action,
        actor=actor,
        comment=comment,
        document=cat.record(record) if record else None,
        content_hash=cat.content_hash(record) if record else None,
    )
    session.add(revision)
    return revision


def bump_version(session: Session) -> int:
    """Start a new catalogue version; caches and search indexes everywhere catch up.

    The row is locked until commit, so concurrent writers get distinct versions.
    """
    state = session.exec(
        select(CatalogueState).where(CatalogueState.id == 1).with_for_update()
    ).first()
    if state is None:
        state = CatalogueState(id=1, version=0)
    state.version += 1
    state.updated_at = utcnow()
    session.add(state)
    return state.version


# Every request asks for the version: one Core query, a third of the cost of an ORM load.
_VERSION = select(CatalogueState.__table__.c.version).where(CatalogueState.__table__.c.id == 1)


def catalogue_version(db: Session | Connection) -> int:
    """The catalogue's version (in a session: as its own transaction sees it)."""
    connection = db.connection() if isinstance(db, Session) else db
    return connection.execute(_VERSION).scalar() or 0


# Reading -------------------------------------------------------------------------------


def organisations(session: Session) -> list[cat.Organisation]:
    return [cat.Organisation.model_validate(doc) for _, doc, _ in stored(session, OrganisationRow)]


def schemes(session: Session) -> list[cat.Scheme]:
    return [cat.Scheme.model_validate(doc) for _, doc, _ in stored(session, SchemeRow)]


def stored(session: Session, model, changed_since: int | None = None):
    """(id, document, content hash) of each row, in id order, fetched a batch at a time.

    Streaming matters at 10,000 listings: holding every row and its decoded JSON at once
    peaks at twice the catalogue's size, and that peak stays in each worker's memory.
    """
    query = select(model.id, model.document, model.content_hash).order_by(model.id)
    if changed_since is not None:
        query = query.where(model.changed_in > changed_since)
    return session.exec(query.execution_options(yield_per=200))


def load_catalogue(session: Session, vocabulary: Vocabulary) -> cat.Catalogue:
    """The database's catalogue with compiled rules (records were validated on the way in)."""
    organisation_list = organisations(session)
    return compiled_catalogue(vocabulary, organisation_list, schemes(session))


def compiled_catalogue(
    vocabulary: Vocabulary, organisation_list, scheme_list, hashes=None
) -> cat.Catalogue:
    """A catalogue of stored records: the vocabulary gains their courses, then rules compile."""
    extended = vocabulary.extended(organisation_list)
    compiled = {}
    for scheme in scheme_list:
        compiled[scheme.id], problems = cat.compile_scheme(scheme, extended)
        if problems:
            # Only if the vocabulary lost a slug a stored rule uses (say a course was
            # removed): keep serving everything else, and say which listing needs fixing.
            log.error(
                "listing %s has rules that no longer compile: %s",
                scheme.id,
                "; ".join(str(p) for p in problems),
            )
            compiled[scheme.id] = rules.SchemeRules(scheme.id, {})
    return cat.Catalogue(
        organisations={o.id: o for o in organisation_list},
        schemes={s.id: s for s in sorted(scheme_list, key=lambda s: s.id)},
        rules=compiled,
        hashes=hashes or {},
        vocabulary=extended,
    )


def export_catalogue(session: Session, vocabulary: Vocabulary, mark_synced: bool = True) -> str:
    """The database's catalogue as deterministic YAML; marks every row as synced."""
    text = cat.to_yaml(organisations(session), schemes(session), vocabulary)
    if mark_synced:
        for model in (OrganisationRow, SchemeRow):
            for row in session.exec(select(model)):
                row.synced_hash = row.content_hash
                session.add(row)
    return text


def revisions(
    session: Session, scheme_ids: Iterable[str] | None = None
) -> dict[str, list[Revision]]:
    """Each listing's published history, oldest first (all listings, or just these)."""
    query = select(Revision).order_by(Revision.scheme_id, Revision.number)
    if scheme_ids is not None:
        query = query.where(Revision.scheme_id.in_(list(scheme_ids)))
    history: dict[str, list[Revision]] = {}
    for revision in session.exec(query):
        history.setdefault(revision.scheme_id, []).append(revision)
    return history


def updated_at(session: Session) -> dict[str, dt.datetime]:
    """When each listing last changed."""
    return dict(session.exec(select(SchemeRow.id, SchemeRow.updated_at)).all())


def recently_updated(session: Session, limit: int) -> list[SchemeRow]:
    """The listings changed most recently, newest first (the Atom feed)."""
    query = select(SchemeRow).order_by(SchemeRow.updated_at.desc()).limit(limit)
    return list(session.exec(query).all())


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(SchemeRow)).one() == 0


def _still_there(session: Session, model, old: dict, fetched: list) -> dict:
    """The entries of `old` whose rows are still in the database. An edit removes
    nothing, and counting the rows shows it; only if the count is off are the ids
    of every row fetched (10,000 of them cost a worker 10 ms at each edit)."""
    added = sum(1 for ident, *_ in fetched if ident not in old)
    if session.exec(select(func.count()).select_from(model)).one() == len(old) + added:
        return dict(old)
    live = set(session.exec(select(model.id)))
    return {k: v for k, v in old.items() if k in live}


class CatalogueCache:
    """The catalogue as one process holds it in memory, kept current cheaply.

    Asking for it costs one tiny query for the catalogue version (or nothing, if
    asked again within `max_age` seconds); only when the version moved are the rows
    changed since then fetched and compiled, so an edit costs a few rows, not a
    reload of every listing.
    """

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        # (catalogue, version), replaced as one: a reader never pairs one with the other's
        # successor.
        self.current: tuple[cat.Catalogue, int] = (cat.Catalogue({}, {}, {}), -1)
        self.newest = -1  # the version last read: ahead of `current` while it is prepared
        self._checked_at = -math.inf  # time.monotonic() of the last version query
        self._lock = threading.Lock()

    @property
    def catalogue(self) -> cat.Catalogue:
        return self.current[0]

    @property
    def version(self) -> int:
        return self.current[1]

    def get(
        self, engine: Engine, max_age: float = 0.0, prepare: Callable | None = None
    ) -> tuple[cat.Catalogue, int]:
        """The catalogue and its version, as the database has them now, or as it had them
        at most `max_age` seconds ago (then without asking it again).

        `prepare(catalogue, version)` is called with a new catalogue before anyone else
        is given it (to bring the search index up to it while requests carry on with
        the previous one)."""
        if max_age and time.monotonic() - self._checked_at < max_age:
            return self.current
        checked_at = time.monotonic()
        with engine.connect() as connection:
            version = catalogue_version(connection)
        if version != self.version:
            with self._lock:
                if version != self.version:
                    self.newest = version
                    with Session(engine) as session:
                        fresh = self._refreshed(session, version)
                    if prepare is not None:
                        prepare(*fresh)
                    self.current = fresh
        self._checked_at = checked_at
        return self.current

    def _refreshed(self, session: Session, version: int) -> tuple[cat.Catalogue, int]:
        """Fetch what changed since the cached version; recompile only what must be.

        A changed organisation can add or remove a course, which changes the
        vocabulary, so then every rule is compiled again; otherwise only the
        changed listings are.
        """
        since = self.version if 0 <= self.version <= version else -1
        old = self.catalogue if since >= 0 else cat.Catalogue({}, {}, {})
        hashes = dict(old.hashes)
        fetched_orgs = list(stored(session, OrganisationRow, since))
        fetched_schemes = list(stored(session, SchemeRow, since))
        organisations = _still_there(session, OrganisationRow, old.organisations, fetched_orgs)
        changed_orgs = []
        for ident, document, content_hash in fetched_orgs:
            organisations[ident] = cat.Organisation.model_validate(document)
            hashes[f"org:{ident}"] = content_hash
            changed_orgs.append(ident)
        schemes = _still_there(session, SchemeRow, old.schemes, fetched_schemes)
        changed_schemes = []
        for ident, document, content_hash in fetched_schemes:
            schemes[ident] = cat.Scheme.model_validate(document)
            hashes[ident] = content_hash
            changed_schemes.append(ident)
        if changed_orgs or len(organisations) != len(old.organisations) or old.vocabulary is None:
            catalogue = compiled_catalogue(
                self.vocabulary, list(organisations.values()), list(schemes.values()), hashes
            )
        else:
            compiled = dict(old.rules)
            for ident in old.schemes.keys() - schemes.keys():
                del compiled[ident]
            for ident in changed_schemes:
                compiled[ident], _ = cat.compile_scheme(schemes[ident], old.vocabulary)
            same_ids = schemes.keys() == old.schemes.keys()  # then still in id order
            catalogue = cat.Catalogue(
                organisations=organisations,
                schemes=schemes if same_ids else dict(sorted(schemes.items())),
                rules=compiled if same_ids else dict(sorted(compiled.items())),
                hashes=hashes,
                vocabulary=old.vocabulary,
            )
            catalogue.keep_derived_of(old, changed_schemes)
        return catalogue, version
