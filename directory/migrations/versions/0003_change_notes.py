"""Pending changes: the proposer's note, and the fields it knowingly replaces.

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


def downgrade() -> None:
    with op.batch_alter_table("pending_change") as batch:
        batch.drop_column("replaces")
        batch.drop_column("note")
