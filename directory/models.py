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


def _timestamp(**kwargs) -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False), **kwargs
    )


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
