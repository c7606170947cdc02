"""Alembic environment: runs on the connection directory.migrations.upgrade() hands it."""

from alembic import context
from sqlmodel import SQLModel

from directory import models  # noqa: F401  (the tables)

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
