"""Schema migrations: an older database holding data upgrades without losing any,
and the newest migration matches the models exactly."""

from __future__ import annotations

import datetime as dt
import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from directory import db, migrations, store
from directory.models import SchemeRow


def test_the_latest_migration_matches_the_models(database_url):
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert migrations.current(engine) == migrations.head()
    engine.dispose()


def test_an_older_schema_holding_data_upgrades_without_losing_any(database_url, catalogue):
    engine = db.make_engine(database_url)
    migrations.upgrade(engine, "0001")
    now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    csp = catalogue.schemes["csp-mentoring"]
    org = catalogue.organisations["csp"]
    from directory.catalogue import record

    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, kind, document, content_hash, updated_at) "
                "VALUES (:id, :name, :kind, :doc, 'h1', :at)"
            ),
            {
                "id": org.id,
                "name": org.name,
                "kind": org.kind,
                "doc": json.dumps(record(org)),
                "at": now,
            },
        )
        connection.execute(
            text(
                "INSERT INTO scheme (id, name, provider_id, listing_type, document, content_hash, "
                "version, created_at, updated_at) VALUES (:id, :name, 'csp', 'scheme', :doc, 'h2', 3, :at, :at)"
            ),
            {"id": csp.id, "name": csp.name, "doc": json.dumps(record(csp)), "at": now},
        )
        connection.execute(
            text(
                "INSERT INTO revision (scheme_id, number, action, actor, document, created_at) "
                "VALUES ('csp-mentoring', 1, 'import', 'import data/schemes.yaml', :doc, :at)"
            ),
            {"doc": json.dumps(record(csp)), "at": now},
        )
        connection.execute(
            text("INSERT INTO catalogue_state (id, version, updated_at) VALUES (1, 7, :at)"),
            {"at": now},
        )

    migrations.upgrade(engine)

    with Session(engine) as session:
        row = session.get(SchemeRow, "csp-mentoring")
        assert (row.name, row.version, row.changed_in, row.content_hash) == (csp.name, 3, 0, "h2")
        assert row.document == record(csp)
        assert store.catalogue_version(session) == 7
        revision = session.exec(text("SELECT number, actor, version FROM revision")).one()
        assert tuple(revision) == (1, "import data/schemes.yaml", None)
        # the new tables are there and usable
        assert session.exec(text("SELECT count(*) FROM user_account")).one()[0] == 0
    engine.dispose()


def test_running_the_migrations_again_changes_nothing(database_url):
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    migrations.upgrade(engine)
    assert migrations.current(engine) == migrations.head()
    engine.dispose()
