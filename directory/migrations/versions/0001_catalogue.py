"""The catalogue: organisations, schemes, their revisions and the catalogue version.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False, index=True),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("synced_hash", sa.String(32), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "scheme",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column(
            "provider_id",
            sa.String(100),
            sa.ForeignKey("organisation.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("listing_type", sa.String(100), nullable=False, index=True),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("synced_hash", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scheme_id", sa.String(100), nullable=False, index=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("document", DOCUMENT, nullable=True),
        sa.Column("content_hash", sa.String(32), nullable=True),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("scheme_id", "number"),
    )
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    for table in ("catalogue_state", "revision", "scheme", "organisation"):
        op.drop_table(table)
