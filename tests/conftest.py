"""Shared fixtures: the vocabulary, the fixture catalogue, and databases on both backends.

Code tests run on the fixture catalogue (tests/fixtures/catalogue.yaml: `catalogue`),
so correcting or adding a real listing breaks none of them; the real catalogue
(`real_catalogue`) has its own acceptance tests (tests/scheme_cases.yaml and the
source checks).

Database tests run on SQLite and on PostgreSQL. PostgreSQL comes from
TEST_POSTGRES_URL (default: the local server at 127.0.0.1:5432, database `test`);
each test session works in its own throwaway database. On a laptop without
PostgreSQL those tests are skipped with the reason printed; under CI (CI=true)
a missing PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy
from hypothesis import settings

from directory import catalogue as cat
from directory import db
from directory import vocabulary as vocab
from directory.config import DEFAULT_DATA_DIR

# No per-example time limit: on a busy 2-core CI machine a slow example is not a bug,
# and speed is proven by bench/, never by timings in tests.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CATALOGUE = FIXTURES / "catalogue.yaml"
REAL_CATALOGUE = DEFAULT_DATA_DIR / "schemes.yaml"
POSTGRES_SERVER = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def base_vocabulary() -> vocab.Vocabulary:
    """data/vocabulary.yaml alone."""
    return vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml")


@pytest.fixture(scope="session")
def catalogue(base_vocabulary) -> cat.Catalogue:
    """The fixture catalogue, which the code tests and the test apps use."""
    return cat.load(FIXTURE_CATALOGUE, base_vocabulary)


@pytest.fixture(scope="session")
def vocabulary(catalogue) -> vocab.Vocabulary:
    """The vocabulary as the site uses it: with the catalogue's universities and courses."""
    return catalogue.vocabulary


@pytest.fixture(scope="session")
def real_catalogue(base_vocabulary) -> cat.Catalogue:
    """data/schemes.yaml: for the acceptance tests of the real listings only."""
    return cat.load(REAL_CATALOGUE, base_vocabulary)


def without_header(catalogue_text: str) -> str:
    """A catalogue file without its opening comment: the fixture's says it is a fixture."""
    lines = catalogue_text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


@pytest.fixture(scope="session")
def postgres_database():
    """Create a throwaway database on the PostgreSQL server for this test session."""
    server = db.make_engine(POSTGRES_SERVER)
    try:
        with server.connect():
            pass
    except sqlalchemy.exc.OperationalError as error:
        server.dispose()
        reason = f"PostgreSQL not reachable at {POSTGRES_SERVER}: {str(error).splitlines()[0]}"
        if IN_CI:
            pytest.fail(reason + " (CI must test PostgreSQL; .ci/run starts it)")
        pytest.skip(reason)
    name = f"directory_test_{uuid.uuid4().hex[:10]}"
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.url.set(database=name).render_as_string(hide_password=False)
    yield url
    server.dispose()
    cleanup = db.make_engine(POSTGRES_SERVER)
    with cleanup.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cleanup.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A URL for an empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url = request.getfixturevalue("postgres_database")
    engine = db.make_engine(url)
    db.drop_tables(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url):
    engine = db.make_engine(database_url)
    db.create_tables(engine)
    yield engine
    engine.dispose()
