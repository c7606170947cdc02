"""Database tables (SQLModel). The database is the one source of truth at runtime.

Each organisation and scheme is stored as its validated catalogue record (the
`document` JSON, exactly what `directory export` writes) plus the columns we
query or join on. Keeping the whole record in one column means a new
catalogue field needs no migration, and import/export cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

Document = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _timestamp(index: bool = False) -> Any:
    column = Column(DateTime(timezone=True), nullable=False, index=index)
    return Field(default_factory=utcnow, sa_column=column)


class OrganisationRow(SQLModel, table=True):
    __tablename__ = "organisation"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=100, index=True)
    document: dict = Field(sa_column=Column(Document, nullable=False))
    content_hash: str = Field(max_length=32)
    synced_hash: str | None = Field(default=None, max_length=32)  # hash at the last YAML sync
    changed_in: int = Field(default=0, index=True)  # catalogue version of the last change
    updated_at: dt.datetime = _timestamp()


class SchemeRow(SQLModel, table=True):
    """The published (approved) version of a listing."""

    __tablename__ = "scheme"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=300)
    provider_id: str = Field(foreign_key="organisation.id", max_length=100, index=True)
    listing_type: str = Field(max_length=100, index=True)
    document: dict = Field(sa_column=Column(Document, nullable=False))
    content_hash: str = Field(max_length=32)
    synced_hash: str | None = Field(default=None, max_length=32)
    version: int = Field(default=1)  # bumped on every change: optimistic locking for editors
    changed_in: int = Field(default=0, index=True)  # catalogue version of the last change
    created_at: dt.datetime = _timestamp()
    updated_at: dt.datetime = _timestamp()


class Revision(SQLModel, table=True):
    """Every change to a published listing, kept for history, diffs and restores."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("scheme_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(max_length=100, index=True)
    number: int
    version: int | None = None  # the listing's version after this change (None: removed)
    action: str = Field(max_length=40)  # import | edit | restore | remove | verify
    actor: str = Field(max_length=300)  # "import data/schemes.yaml", "user:3 (jo@example.org)"
    document: dict | None = Field(default=None, sa_column=Column(Document, nullable=True))
    content_hash: str | None = Field(default=None, max_length=32)
    comment: str | None = None
    created_at: dt.datetime = _timestamp()


class CatalogueState(SQLModel, table=True):
    """One row: a counter bumped by every catalogue change.

    Search indexes on every host compare their own version with this one to
    know when to rebuild, so an edit on one host shows up in search everywhere.
    """

    __tablename__ = "catalogue_state"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0)
    updated_at: dt.datetime = _timestamp()


# Editing: accounts, pending changes, problem reports, the audit log -------------------------


class User(SQLModel, table=True):
    """A curator or hub lead. There is no self-registration: curators invite."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)  # stored lower-cased
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)  # curator | hub_lead
    password_hash: str | None = Field(default=None, max_length=300)  # None until first set
    active: bool = Field(default=True)
    session_version: int = Field(default=1)  # bumped to sign the user out everywhere
    created_at: dt.datetime = _timestamp()


class OrganisationMember(SQLModel, table=True):
    """Which organisations' listings a hub lead looks after."""

    __tablename__ = "organisation_member"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=100)


class PendingChange(SQLModel, table=True):
    """A hub lead's edit or new listing, waiting for a curator. The public keeps
    seeing the published version until a curator approves it."""

    __tablename__ = "pending_change"

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(max_length=100, index=True)
    organisation_id: str = Field(max_length=100, index=True)  # whose listing: for permissions
    kind: str = Field(max_length=10)  # edit | new
    document: dict = Field(sa_column=Column(Document, nullable=False))
    base_version: int | None = None  # the published version the edit started from
    author_id: int = Field(foreign_key="user_account.id")
    note: str | None = None  # the proposer's note to the curator
    # Fields where the proposer knowingly replaces someone else's change (shown to curators).
    replaces: list | None = Field(default=None, sa_column=Column(Document, nullable=True))
    status: str = Field(
        default="pending", max_length=12, index=True
    )  # pending|approved|rejected|withdrawn
    reviewer_id: int | None = Field(default=None, foreign_key="user_account.id")
    comment: str | None = None
    created_at: dt.datetime = _timestamp()
    reviewed_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class SavedForm(SQLModel, table=True):
    """What someone typed into an editing form when their session had ended: kept so
    they can sign in again and carry on. Found only by its random token; kept a day."""

    __tablename__ = "saved_form"

    token: str = Field(primary_key=True, max_length=64)
    path: str = Field(max_length=300)  # the form's address
    data: list = Field(sa_column=Column(Document, nullable=False))  # [[name, value], ...]
    created_at: dt.datetime = _timestamp(index=True)


class ProblemReport(SQLModel, table=True):
    """ "Report a problem with this listing": no account, no personal data."""

    __tablename__ = "problem_report"

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(max_length=100, index=True)
    organisation_id: str = Field(max_length=100, index=True)
    category: str = Field(max_length=40)
    message: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=10, index=True)  # open | resolved
    resolution: str | None = None
    resolved_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = _timestamp()
    resolved_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class AuditEntry(SQLModel, table=True):
    """Security-relevant events: sign-ins (and failures), approvals, rejections, role changes."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _timestamp(index=True)
    actor: str = Field(max_length=320)  # an email, or "anonymous", or "cli"
    action: str = Field(max_length=40, index=True)
    target: str | None = Field(default=None, max_length=200)
    detail: str | None = None


class Attempt(SQLModel, table=True):
    """Rate limiting shared by every process: failed sign-ins, problem reports."""

    __tablename__ = "rate_attempt"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(
        max_length=200, index=True
    )  # "signin-account:jo@example.org", "signin-ip:1.2.3.4"
    at: dt.datetime = _timestamp(index=True)
