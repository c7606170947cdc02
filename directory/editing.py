"""Changing listings: validation, publishing, proposals, reviews, history. No Flask.

Every change to a published listing goes through `publish()`, which refuses
to overwrite a version the editor never saw (optimistic locking, safe across
processes and hosts) and records a revision with who and when. Hub leads'
edits become pending changes that a curator approves or rejects.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from directory import catalogue as cat
from directory import store, validation
from directory.models import (
    AuditEntry,
    OrganisationMember,
    OrganisationRow,
    PendingChange,
    Revision,
    SchemeRow,
    User,
    utcnow,
)
from directory.vocabulary import Vocabulary
from directory.yamlfile import LocatedDocument

CURATOR = "curator"
HUB_LEAD = "hub_lead"
ROLES = (CURATOR, HUB_LEAD)


class EditConflict(Exception):
    """Someone else changed the listing since the editor opened it."""

    def __init__(self, current: cat.Scheme | None, changes: list[FieldChange], version: int | None):
        super().__init__("the listing changed since you opened it")
        self.current = current
        self.changes = changes
        self.version = version


class NotAllowed(Exception):
    pass


# Validation: the same checks as `directory check`, reported by field ------------------------


def validate_scheme(
    raw: dict[str, Any], vocabulary: Vocabulary, organisations: list[cat.Organisation]
) -> tuple[cat.Scheme | None, list[tuple[str, str]]]:
    """A listing from a form, checked like a catalogue file. Problems are (field, message)."""
    document = LocatedDocument("form", None)
    scheme, problems = validation.validate(document, cat.Scheme, raw)
    if scheme is None:
        return None, [(p.field, p.message) for p in problems]
    scheme = cat.canonical(scheme, vocabulary)
    problems = cat.check_references(document, organisations, [scheme], vocabulary)
    _, compile_problems = cat.compile_scheme(scheme, vocabulary, document, ())
    found = [(p.field.removeprefix("schemes[0]."), p.message) for p in problems + compile_problems]
    # check_references also reports duplicate ids across the file; one listing has none.
    return (None, found) if found else (scheme, [])


# Reading ------------------------------------------------------------------------------------


def published(session: Session, scheme_id: str) -> tuple[cat.Scheme, int] | None:
    row = session.get(SchemeRow, scheme_id)
    if row is None:
        return None
    return cat.Scheme.model_validate(row.document), row.version


def organisations_of(session: Session, user: User) -> set[str]:
    """The organisations whose listings a user may edit (every one for a curator)."""
    if user.role == CURATOR:
        return set(session.exec(select(OrganisationRow.id)))
    rows = session.exec(
        select(OrganisationMember.organisation_id).where(OrganisationMember.user_id == user.id)
    )
    return set(rows)


def may_edit(session: Session, user: User, organisation_id: str) -> bool:
    return user.active and (
        user.role == CURATOR or organisation_id in organisations_of(session, user)
    )


def revision_at(session: Session, scheme_id: str, version: int) -> Revision | None:
    return session.exec(
        select(Revision).where(Revision.scheme_id == scheme_id, Revision.version == version)
    ).first()


# Writing ------------------------------------------------------------------------------------


def publish(
    session: Session,
    record: cat.Scheme,
    actor: str,
    expected_version: int | None,
    action: str = "edit",
    comment: str | None = None,
) -> SchemeRow:
    """Make `record` the published listing, if nobody changed it since `expected_version`.

    `expected_version` None means a new listing. The version check and the write
    happen under the row's lock (a conditional UPDATE first, before any read in
    this transaction), so two editors on two hosts can never both win.
    """
    if expected_version is not None:
        claimed = session.exec(
            update(SchemeRow)
            .where(SchemeRow.id == record.id, SchemeRow.version == expected_version)
            .values(version=SchemeRow.version)
        )
        if claimed.rowcount != 1:
            raise _conflict(session, record.id, expected_version)
        row = session.get(SchemeRow, record.id)
    else:
        if session.get(SchemeRow, record.id) is not None:
            raise EditConflict(None, [], None)
        row = None
    version = store.bump_version(session)
    row = store.write_record(session, record, row, version)
    store.add_revision(
        session, record.id, action, actor, record, comment=comment, version=row.version
    )
    session.flush()
    return row


def _conflict(session: Session, scheme_id: str, expected_version: int) -> EditConflict:
    session.rollback()
    current = published(session, scheme_id)
    if current is None:
        return EditConflict(None, [], None)
    scheme, version = current
    base = revision_at(session, scheme_id, expected_version)
    changes = diff(base.document if base else None, cat.record(scheme))
    return EditConflict(scheme, changes, version)


def propose(
    session: Session, record: cat.Scheme, author: User, base_version: int | None
) -> PendingChange:
    """A hub lead's edit or new listing, waiting for a curator."""
    change = PendingChange(
        scheme_id=record.id,
        organisation_id=record.provider,
        kind="edit" if base_version is not None else "new",
        document=cat.record(record),
        base_version=base_version,
        author_id=author.id,
    )
    session.add(change)
    session.flush()
    return change


def approve(
    session: Session, change: PendingChange, reviewer: User, comment: str | None
) -> SchemeRow:
    """Publish a pending change. Refused if the listing moved on since it was proposed."""
    record = cat.Scheme.model_validate(change.document)
    author = session.get(User, change.author_id)
    row = publish(
        session,
        record,
        f"{author.email} (approved by {reviewer.email})",
        change.base_version,
        action="edit",
        comment=comment,
    )
    _close(change, "approved", reviewer, comment)
    session.add(change)
    audit(session, reviewer.email, "approve", f"change {change.id} ({change.scheme_id})", comment)
    return row


def reject(session: Session, change: PendingChange, reviewer: User, comment: str) -> None:
    _close(change, "rejected", reviewer, comment)
    session.add(change)
    audit(session, reviewer.email, "reject", f"change {change.id} ({change.scheme_id})", comment)


def withdraw(session: Session, change: PendingChange, author: User) -> None:
    _close(change, "withdrawn", author, None)
    session.add(change)


def _close(change: PendingChange, status: str, by: User, comment: str | None) -> None:
    if change.status != "pending":
        raise NotAllowed(f"this change is already {change.status}")
    change.status = status
    change.reviewer_id = by.id
    change.comment = comment
    change.reviewed_at = utcnow()


def restore(
    session: Session, scheme_id: str, number: int, actor: str, expected_version: int
) -> SchemeRow:
    """Make an earlier revision the published listing again, as a new revision."""
    revision = session.exec(
        select(Revision).where(Revision.scheme_id == scheme_id, Revision.number == number)
    ).first()
    if revision is None or revision.document is None:
        raise NotAllowed("there is no listing to restore in that revision")
    record = cat.Scheme.model_validate(revision.document)
    return publish(
        session,
        record,
        actor,
        expected_version,
        action="restore",
        comment=f"restored revision {number}",
    )


def verify(
    session: Session, scheme_id: str, actor: str, expected_version: int, today: dt.date
) -> SchemeRow:
    """ "Mark as verified today": the listing was checked against the provider's page."""
    scheme, _ = published(session, scheme_id)
    record = scheme.model_copy(update={"last_verified": today})
    return publish(session, record, actor, expected_version, action="verify")


def audit(
    session: Session, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> None:
    # Columns hold an email (320) and a short target (200): longer input is cut, not an error.
    session.add(
        AuditEntry(actor=actor[:320], action=action, target=target and target[:200], detail=detail)
    )


# Differences ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A record as {"dotted.field": "readable value"}; rules and lists stay whole."""
    if isinstance(value, dict) and not _is_rule_block(prefix):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    if value is None or value == [] or value == {}:
        return {prefix: ""}
    if isinstance(value, str):
        return {prefix: value}
    return {prefix: json.dumps(value, ensure_ascii=False, sort_keys=True)}


def _is_rule_block(prefix: str) -> bool:
    return prefix.endswith(".rule")


def diff(before: dict | None, after: dict | None) -> list[FieldChange]:
    """What changed between two records, field by field, in a stable order."""
    old, new = _flatten(before or {}), _flatten(after or {})
    fields = list(dict.fromkeys([*old, *new]))
    return [
        FieldChange(f, old.get(f, ""), new.get(f, ""))
        for f in fields
        if old.get(f, "") != new.get(f, "")
    ]
