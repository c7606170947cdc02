"""Changing listings: validation, publishing, proposals, reviews, history. No Flask.

Every change to a published listing goes through `publish()`, which refuses
to overwrite a version the editor never saw (optimistic locking, safe across
processes and hosts) and records a revision with who and when. Hub leads'
edits become pending changes that a curator approves or rejects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, select

from directory import catalogue as cat
from directory import store, validation
from directory.models import (
    AuditEntry,
    OrganisationMember,
    OrganisationRow,
    PendingChange,
    ProblemReport,
    Revision,
    SavedForm,
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
    """Someone else changed the same fields of the listing since the editor opened it.

    `changes` is what they changed since then; `overlaps` the fields both changed,
    each with their value and yours (saving again with `accepted_version` = `version`
    makes yours replace theirs there, and only there).
    """

    def __init__(
        self,
        current: cat.Scheme | None,
        changes: list[FieldChange],
        version: int | None,
        overlaps: list[Overlap] | None = None,
    ):
        super().__init__("the listing changed since you opened it")
        self.current = current
        self.changes = changes
        self.version = version
        self.overlaps = overlaps or []


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


def listings_of(session: Session, organisations: set[str]) -> list[cat.Scheme]:
    rows = session.exec(
        select(SchemeRow).where(SchemeRow.provider_id.in_(organisations)).order_by(SchemeRow.name)
    )
    return [cat.Scheme.model_validate(r.document) for r in rows]


def review_queue(listings: list[cat.Scheme], today: dt.date) -> list[tuple[cat.Scheme, str]]:
    """Listings to check, with why: first those nobody knows still run, then those whose
    newest source is old, then those not verified for a year."""
    queue = []
    for scheme in listings:
        if scheme.status.state == "unknown":
            queue.append((0, scheme, "not known whether it still runs"))
        elif scheme.facts_are_old(today):
            newest = scheme.newest_source
            when = f"newest source {newest.date_in_words}" if newest else "no source is dated"
            queue.append((1, scheme, when))
        elif scheme.review_is_due(today):
            when = (
                f"last verified {scheme.last_verified:%-d %B %Y}"
                if scheme.last_verified
                else "never verified"
            )
            queue.append((2, scheme, when))
    queue.sort(key=lambda item: (item[0], item[1].name.lower()))
    return [(scheme, reason) for _, scheme, reason in queue]


def review_due_mails(session: Session, today: dt.date, link: str) -> list:
    """One mail per active hub lead with listings to check (see `review_queue`)."""
    from directory import mail

    mails = []
    for user in session.exec(select(User).where(User.role == HUB_LEAD, User.active)):
        queue = review_queue(listings_of(session, organisations_of(session, user)), today)
        if queue:
            mails.append(
                mail.review_due(user.email, [(s.name, reason) for s, reason in queue], link)
            )
    return mails


def pending_changes(
    session: Session, organisations: set[str], only_pending: bool = True, limit: int = 200
) -> list[PendingChange]:
    query = select(PendingChange).where(PendingChange.organisation_id.in_(organisations))
    if only_pending:
        query = query.where(PendingChange.status == "pending").order_by(PendingChange.created_at)
    else:
        query = query.order_by(PendingChange.created_at.desc())
    return list(session.exec(query.limit(limit)))


def pending_for(session: Session, scheme_id: str) -> list[PendingChange]:
    """Changes to one listing waiting for a curator, oldest first."""
    return list(
        session.exec(
            select(PendingChange)
            .where(PendingChange.scheme_id == scheme_id, PendingChange.status == "pending")
            .order_by(PendingChange.created_at)
        )
    )


def problem_reports(
    session: Session, organisations: set[str], only_open: bool = False, limit: int = 200
) -> list[ProblemReport]:
    query = select(ProblemReport).where(ProblemReport.organisation_id.in_(organisations))
    if only_open:
        query = query.where(ProblemReport.status == "open").order_by(ProblemReport.created_at)
    else:
        query = query.order_by(ProblemReport.status, ProblemReport.created_at.desc())
    return list(session.exec(query.limit(limit)))


def resolve_report(session: Session, report: ProblemReport, user: User, note: str) -> None:
    report.status = "resolved"
    report.resolution = note
    report.resolved_by = user.id
    report.resolved_at = utcnow()
    session.add(report)
    audit(session, user.email, "report-resolved", f"report {report.id} ({report.scheme_id})", note)


def id_taken(session: Session, scheme_id: str) -> bool:
    """A listing, or a new listing waiting for review, already has this id."""
    return session.get(SchemeRow, scheme_id) is not None or any(
        c.kind == "new" for c in pending_for(session, scheme_id)
    )


def history(session: Session, scheme_id: str) -> list[tuple[Revision, list[FieldChange]]]:
    """A listing's revisions, newest first, each with what it changed."""
    revisions = list(
        session.exec(
            select(Revision).where(Revision.scheme_id == scheme_id).order_by(Revision.number.desc())
        )
    )
    entries = []
    for i, revision in enumerate(revisions):
        previous = revisions[i + 1].document if i + 1 < len(revisions) else None
        entries.append((revision, diff(previous, revision.document)))
    return entries


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
    accepted_version: int | None = None,
) -> SchemeRow:
    """Make `record` the published listing, keeping whatever others changed meanwhile.

    `record` was edited from `expected_version` (None: a new listing). If the listing
    moved on since, the two are merged field by field: fields only they changed keep
    their value. A field both changed is a conflict, unless the editor has seen it
    (`accepted_version` is the version now published) and chose to replace it.
    The version check and the write happen under the row's lock (a conditional UPDATE
    first, before any read in this transaction), so two editors can never both win.
    """
    if expected_version is not None:
        record, claimed = _rebased(session, record, expected_version, accepted_version)
        if not _claim(session, record.id, claimed):
            raise _conflict(session, record.id, expected_version)  # moved again meanwhile
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


def _claim(session: Session, scheme_id: str, version: int) -> bool:
    """Lock the listing's row if it is still at `version`."""
    claimed = session.exec(
        update(SchemeRow)
        .where(SchemeRow.id == scheme_id, SchemeRow.version == version)
        .values(version=SchemeRow.version)
    )
    return claimed.rowcount == 1


def _rebased(
    session: Session, record: cat.Scheme, base_version: int, accepted_version: int | None
) -> tuple[cat.Scheme, int]:
    """`record`, edited from `base_version`, merged onto the published listing, and
    the version it was merged onto. Raises EditConflict for fields both changed."""
    current = published(session, record.id)
    if current is None:
        raise EditConflict(None, [], None)
    scheme, version = current
    if version == base_version:
        return record, version
    base = revision_at(session, record.id, base_version)
    theirs = cat.record(scheme)
    if base is None or base.document is None:
        raise EditConflict(scheme, diff(None, theirs), version)
    merged, overlaps = merge(base.document, cat.record(record), theirs)
    if overlaps and accepted_version != version:
        raise EditConflict(scheme, diff(base.document, theirs), version, overlaps)
    return cat.Scheme.model_validate(merged), version


def rebase(
    session: Session, record: cat.Scheme, base_version: int, accepted_version: int | None = None
) -> tuple[cat.Scheme, int, list[Overlap]]:
    """A proposal edited from `base_version`, brought up to the published listing:
    (merged record, the version it is now based on, fields where it replaces theirs)."""
    current = published(session, record.id)
    merged, version = _rebased(session, record, base_version, accepted_version)
    overlaps = []
    if current is not None and version != base_version:
        base = revision_at(session, record.id, base_version)
        _, overlaps = merge(base.document, cat.record(record), cat.record(current[0]))
    return merged, version, overlaps


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
    session: Session,
    record: cat.Scheme,
    author: User,
    base_version: int | None,
    accepted_version: int | None = None,
    note: str | None = None,
) -> PendingChange:
    """A hub lead's edit or new listing, waiting for a curator.

    An edit from an older version is first merged onto the published listing (see
    `publish`), so it never undoes a change the hub lead did not see; the fields where
    it knowingly replaces someone else's change are kept with it, for the curator.
    """
    overlaps: list[Overlap] = []
    if base_version is not None:
        record, base_version, overlaps = rebase(session, record, base_version, accepted_version)
    change = PendingChange(
        scheme_id=record.id,
        organisation_id=record.provider,
        kind="edit" if base_version is not None else "new",
        document=cat.record(record),
        base_version=base_version,
        author_id=author.id,
        note=note,
        replaces=[o.field for o in overlaps] or None,
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
    row = publish(
        session,
        record,
        actor,
        expected_version,
        action="restore",
        comment=f"Restored revision {number}",
    )
    audit(session, actor, "restore", scheme_id, f"revision {number}")
    return row


def verify(
    session: Session, scheme_id: str, actor: str, expected_version: int, today: dt.date
) -> SchemeRow:
    """ "Mark as verified today": the listing was checked against the provider's page.

    Only `last_verified` changes, so edits waiting for review merge with it (see
    `publish`) rather than going stale."""
    scheme, _ = published(session, scheme_id)
    record = scheme.model_copy(update={"last_verified": today})
    row = publish(session, record, actor, expected_version, action="verify")
    audit(session, actor, "verify", scheme_id, f"last verified {today.isoformat()}")
    return row


def audit_entries(session: Session, limit: int = 500) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.at.desc()).limit(limit)))


def audit(
    session: Session, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> None:
    # Columns hold an email (320) and a short target (200): longer input is cut, not an error.
    session.add(
        AuditEntry(actor=actor[:320], action=action, target=target and target[:200], detail=detail)
    )


def change_made(session: Session, change: PendingChange) -> list[FieldChange]:
    """What a change changed, against the version it started from (not today's), so a
    closed change still shows what it did then."""
    base = (
        revision_at(session, change.scheme_id, change.base_version)
        if change.base_version is not None
        else None
    )
    return diff(base.document if base else None, change.document)


def blocking_overlaps(session: Session, change: PendingChange) -> list[Overlap] | None:
    """Fields both this pending edit and a newer published version change (approving it
    would undo theirs); [] if it merges cleanly, None if it needs no merge."""
    if change.kind != "edit" or change.status != "pending":
        return None
    current = published(session, change.scheme_id)
    if current is None or current[1] == change.base_version:
        return None
    base = revision_at(session, change.scheme_id, change.base_version)
    if base is None or base.document is None:
        return [Overlap("the whole listing", "", "")]
    _, overlaps = merge(base.document, change.document, cat.record(current[0]))
    return overlaps


# Forms kept across a session's end -------------------------------------------------------------

KEEP_SAVED_FORMS = dt.timedelta(days=1)
# Any signed-out post to an editing form is kept, so anyone (a forged cross-site post)
# can add one: at most this many are kept, the oldest dropped first. Each is at most
# MAX_CONTENT_LENGTH (256 KB), so the table stays under about 50 MB.
MAX_SAVED_FORMS = 200


def keep_form(session: Session, path: str, fields: list[tuple[str, str]]) -> str:
    """Keep what was typed into the form at `path`; the token to fetch it back with."""
    token = secrets.token_urlsafe(32)
    session.exec(delete(SavedForm).where(SavedForm.created_at < utcnow() - KEEP_SAVED_FORMS))
    newest = (
        select(SavedForm.token)
        .order_by(SavedForm.created_at.desc(), SavedForm.token)
        .limit(MAX_SAVED_FORMS - 1)
    )
    session.exec(delete(SavedForm).where(SavedForm.token.not_in(newest)))
    session.add(SavedForm(token=token, path=path[:300], data=[list(f) for f in fields]))
    return token


def take_form(session: Session, token: str, path: str) -> list[tuple[str, str]] | None:
    """The fields kept under `token` for the form at `path` (once: then it is forgotten)."""
    saved = session.get(SavedForm, token[:64])
    if saved is None or saved.path != path:
        return None
    session.delete(saved)
    if _aware(saved.created_at) < utcnow() - KEEP_SAVED_FORMS:
        return None
    return [(name, value) for name, value in saved.data]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite drops the zone


# Differences ----------------------------------------------------------------------------------


FIELD_LABELS = {
    "id": "Address on this site",
    "name": "Name",
    "listing_type": "Type of listing",
    "provider": "Provider",
    "summary": "Summary",
    "description": "Description",
    "mentoring_types": "Types of mentoring offered",
    "access": "Access",
    "regions": "Where it is offered",
    "applications": "Applying",
    "applications.how": "How to apply",
    "applications.timing": "When to apply",
    "applications.windows": "Application windows",
    "url": "Web address of the scheme",
    "cost": "Cost",
    "duration": "How long it lasts",
    "sources": "Sources",
    "status": "Status",
    "status.state": "Status",
    "status.evidence": "Evidence for the status",
    "status.checked": "Status last checked",
    "last_verified": "Last verified",
}
_ROLE_PARTS = {
    "rule": "Who can be a {role}",
    "evidence": "Who can be a {role}: what the source says",
    "reference": "Who can be a {role}: where it says it",
    "also_check": "Who can be a {role}: also check",
}


def field_label(path: str) -> str:
    """A field's path in words: "eligibility.mentee.rule" -> "Who can be a mentee"."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    parts = path.split(".")
    if parts[0] == "eligibility" and len(parts) >= 2:
        wording = _ROLE_PARTS.get(parts[2] if len(parts) > 2 else "rule", "Who can be a {role}")
        return wording.format(role=parts[1])
    return path.replace("_", " ").replace(".", ": ").capitalize()


@dataclass(frozen=True)
class FieldChange:
    """One field's change: `before` and `after` as text (JSON for rules and lists: see
    directory.in_words for them in words), `was` and `now` the values themselves."""

    field: str
    before: str
    after: str
    was: Any = dataclasses.field(default=None, compare=False, repr=False)
    now: Any = dataclasses.field(default=None, compare=False, repr=False)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A record as {"dotted.field": value}; rules and lists stay whole."""
    if isinstance(value, dict) and not _is_rule_block(prefix):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    return {prefix: value}


def _text(value: Any) -> str:
    """A field's value as one line of text: "" when empty, JSON for rules and lists."""
    if value is None or value is _ABSENT or value == [] or value == {}:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _is_rule_block(prefix: str) -> bool:
    return prefix.endswith(".rule")


@dataclass(frozen=True)
class Overlap:
    """A field both editors changed: `theirs` is published, `yours` would replace it."""

    field: str
    theirs: str
    yours: str
    their_value: Any = dataclasses.field(default=None, compare=False, repr=False)
    your_value: Any = dataclasses.field(default=None, compare=False, repr=False)


_ABSENT = object()


def _field_by_field(prefix: str, *values) -> bool:
    """Whether three versions of a part are compared key by key: dicts, except rules
    (a rule is one field, whole)."""
    return all(isinstance(v, dict) for v in values) and not _is_rule_block(prefix)


def _by_key(walk, keys: list[str], prefix: str, *versions: dict) -> dict:
    """`walk` over each key's values in the three `versions`, in `keys` order; a key
    whose result is _ABSENT is left out."""
    result = {}
    for key in dict.fromkeys(keys):
        values = [version.get(key, _ABSENT) for version in versions]
        value = walk(*values, f"{prefix}.{key}" if prefix else key)
        if value is not _ABSENT:
            result[key] = value
    return result


def merge(base: dict, mine: dict, theirs: dict) -> tuple[dict, list[Overlap]]:
    """Three-way merge of two edits of `base`, field by field (as `diff` splits them).

    A field only one side changed takes that side's value; a field both changed to
    different values is an overlap, and takes mine (the caller decides whether that
    may stand). Rules and lists are merged whole.
    """
    overlaps: list[Overlap] = []

    def walk(base_value, my_value, their_value, prefix: str):
        if my_value in (their_value, base_value):
            return their_value
        if their_value == base_value:
            return my_value
        if _field_by_field(prefix, base_value, my_value, their_value):
            keys = [*base_value, *my_value, *their_value]
            return _by_key(walk, keys, prefix, base_value, my_value, their_value)
        overlaps.append(
            Overlap(
                prefix,
                _text(their_value),
                _text(my_value),
                None if their_value is _ABSENT else their_value,
                None if my_value is _ABSENT else my_value,
            )
        )
        return my_value

    merged = walk(base, mine, theirs, "")
    return merged, overlaps


def keep_untouched(original: dict, shown: dict, submitted: dict) -> dict:
    """`submitted`, with every field the editor left as the form showed it (`shown`, the
    original after a trip through the form) put back exactly as `original` had it.

    A form can write a field differently without anyone changing it (a rule's
    conditions reordered, an empty list for a missing value); such a field is not an
    edit, and must neither conflict with nor undo someone else's change to it.
    """

    def walk(orig, seen, sent, prefix):
        if sent == seen:
            return orig
        if _field_by_field(prefix, orig, seen, sent):
            return _by_key(walk, [*sent, *orig], prefix, orig, seen, sent)
        return sent

    return walk(original, shown, submitted, "")


def diff(before: dict | None, after: dict | None) -> list[FieldChange]:
    """What changed between two records, field by field, in a stable order."""
    old, new = _flatten(before or {}), _flatten(after or {})
    fields = list(dict.fromkeys([*old, *new]))
    changes = []
    for name in fields:
        was, now = old.get(name), new.get(name)
        if _text(was) != _text(now):
            changes.append(FieldChange(name, _text(was), _text(now), was, now))
    return changes
