"""Database schema migrations (Alembic). `directory db upgrade` runs them; so does start-up.

Several processes may start at once (gunicorn workers, hosts): each takes a lock
first (an advisory lock on PostgreSQL, a file lock beside a SQLite file) so the
upgrade runs once and the others find the schema already current.
"""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

HERE = Path(__file__).parent
LOCK_ID = 4_627_337  # any constant: identifies this application's migration lock


def config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextlib.contextmanager
def _locked(engine: Engine):
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Bring the schema to `target`, once, whoever else is starting at the same time."""
    with _locked(engine), engine.begin() as connection:
        command.upgrade(config(connection), target)
