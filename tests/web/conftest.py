"""An app per test on a fresh database (SQLite, or both backends with `any_db_app`)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from directory import create_app
from tests.conftest import FIXTURE_CATALOGUE


def make_app(tmp_path, database_url: str, **config):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "CATALOGUE_FILE": str(FIXTURE_CATALOGUE),
            "WTF_CSRF_ENABLED": False,
            # Tests change the database behind the app's back and look at once; how long
            # the public may see the previous catalogue is tested on its own.
            "CATALOGUE_MAX_AGE": 0,
            **config,
        }
    )


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app for read-only tests: the fixture catalogue on SQLite. Tests that change
    anything use `fresh_app`, so they cannot leak into each other."""
    tmp_path = tmp_path_factory.mktemp("shared-app")
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}")
    yield app
    app.extensions["directory"].close()


@pytest.fixture
def fresh_app(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}")
    yield app
    app.extensions["directory"].close()


@pytest.fixture
def any_db_app(tmp_path, database_url):
    """The same app on SQLite and on PostgreSQL."""
    app = make_app(tmp_path, database_url)
    yield app
    app.extensions["directory"].close()


@pytest.fixture(scope="module")
def client(app):
    """A client of the shared app. Module-scoped for speed: read-only tests only."""
    return app.test_client()


def text_of(html: str) -> str:
    """Visible-ish text of a page, whitespace collapsed, for asserting sentences."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without_tags)).strip()


# The editing area's accounts, drafts and reports (tests/web/editing_fixtures.py).
from tests.web.editing_fixtures import (  # noqa: E402, F401
    any_db_editing_app,
    editing_app,
    editing_template,
    fast_password_checks,
)
