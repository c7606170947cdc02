"""Editing: accounts, pending changes, problem reports, the audit log, rate limits;
change versions on listings so caches and indexes fetch only what changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ("organisation", "scheme"):
        with op.batch_alter_table(table) as batch:
            # Existing rows belong to "before any change was counted": version 0.
            batch.add_column(
                sa.Column("changed_in", sa.Integer(), nullable=False, server_default="0")
            )
            batch.create_index(f"ix_{table}_changed_in", ["changed_in"])
    with op.batch_alter_table("revision") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "organisation_member",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), primary_key=True),
        sa.Column(
            "organisation_id", sa.String(100), sa.ForeignKey("organisation.id"), primary_key=True
        ),
    )
    op.create_table(
        "pending_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scheme_id", sa.String(100), nullable=False, index=True),
        sa.Column("organisation_id", sa.String(100), nullable=False, index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("reviewed_at", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "problem_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scheme_id", sa.String(100), nullable=False, index=True),
        sa.Column("organisation_id", sa.String(100), nullable=False, index=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("message", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("resolution", sa.String(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TIMESTAMP, nullable=False, index=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("detail", sa.String(), nullable=True),
    )
    op.create_table(
        "rate_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, index=True),
        sa.Column("at", TIMESTAMP, nullable=False, index=True),
    )


def downgrade() -> None:
    for table in (
        "rate_attempt",
        "audit_log",
        "problem_report",
        "pending_change",
        "organisation_member",
        "user_account",
    ):
        op.drop_table(table)
    with op.batch_alter_table("revision") as batch:
        batch.drop_column("version")
    for table in ("scheme", "organisation"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_changed_in")
            batch.drop_column("changed_in")
