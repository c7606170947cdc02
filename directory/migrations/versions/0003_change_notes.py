"""Pending changes: the proposer's note, and the fields it knowingly replaces;
forms kept when a session ended before they were saved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("pending_change") as batch:
        batch.add_column(sa.Column("note", sa.String(), nullable=True))
        batch.add_column(sa.Column("replaces", DOCUMENT, nullable=True))
    op.create_table(
        "saved_form",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("data", DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("saved_form")
    with op.batch_alter_table("pending_change") as batch:
        batch.drop_column("replaces")
        batch.drop_column("note")
