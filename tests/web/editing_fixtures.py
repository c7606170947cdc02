"""Editing-area fixtures: accounts in two organisations, drafts and reports to try.

`editing_app` is a fresh app on SQLite with a curator, a CSP hub lead, an SoR hub
lead and a bystander hub lead (for account actions), plus one pending change and
one open problem report for each of CSP and SoR, so every "other organisation"
URL has a real id to try. Building an app imports the catalogue and builds a
search index (seconds), so the SQLite database and index are built once per test
session and copied for each test; `build_editing_app` builds one from scratch on
any database (PostgreSQL too).

Import what a test module needs from here:

    from tests.web.editing_fixtures import editing_app, ids, sign_in  # noqa: F401
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel
from werkzeug.security import generate_password_hash

from directory import accounts, editing
from directory.models import ProblemReport, User
from tests.web.html_forms import main_form

PASSWORD = "a long password 123"
# The accounts' passwords are hashed cheaply: the real scrypt takes a third of a second per
# check, and these tests sign in hundreds of times. What they test (who may do what,
# throttling, tokens) does not depend on the hash's cost; `fast_password_checks` makes a
# check for an unknown email just as cheap, so both paths still cost the same.
FAST_HASH = "pbkdf2:sha256:1000"
CURATOR = "curator@example.org"
CSP_LEAD = "csp-lead@example.org"
SOR_LEAD = "sor-lead@example.org"
BYSTANDER = "bystander@example.org"  # a hub lead whose account curators' actions may change

# Each organisation's listing, and text that only its draft and its report contain,
# so a page that leaks them can be caught.
LISTING = {"csp": "csp-mentoring", "sor": "sor-leadership-mentoring"}
DRAFT_NAME = {"csp": "CSP draft name 7f3a", "sor": "SoR draft name 9c1e"}
REPORT_TEXT = {"csp": "CSP report text 2b8d", "sor": "SoR report text 5e4f"}


@dataclass
class EditingIds:
    users: dict[str, int] = field(default_factory=dict)  # email -> user id
    changes: dict[str, int] = field(default_factory=dict)  # organisation -> pending change id
    reports: dict[str, int] = field(default_factory=dict)  # organisation -> problem report id

    def lead(self, organisation: str) -> str:
        return {"csp": CSP_LEAD, "sor": SOR_LEAD}[organisation]


def ids(app: Flask) -> EditingIds:
    """The ids `populate` created in this app's database."""
    return app.extensions["editing_ids"]


def populate(app: Flask) -> EditingIds:
    """Accounts, one pending change and one open report per organisation (CSP and SoR)."""
    found = EditingIds()
    directory = app.extensions["directory"]
    with directory.session() as db:
        for email, role, organisations in (
            (CURATOR, accounts.CURATOR, []),
            (CSP_LEAD, accounts.HUB_LEAD, ["csp"]),
            (SOR_LEAD, accounts.HUB_LEAD, ["sor"]),
            (BYSTANDER, accounts.HUB_LEAD, ["bda"]),
        ):
            user = accounts.add_user(db, email, email.split("@")[0], role, organisations, "test")
            user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
            db.add(user)
            db.flush()
            found.users[email] = user.id
        for organisation, scheme_id in LISTING.items():
            scheme, version = editing.published(db, scheme_id)
            draft = scheme.model_copy(update={"name": DRAFT_NAME[organisation]})
            author = db.get(User, found.users[found.lead(organisation)])
            found.changes[organisation] = editing.propose(db, draft, author, version).id
            report = ProblemReport(
                scheme_id=scheme_id,
                organisation_id=organisation,
                category="wrong",
                message=REPORT_TEXT[organisation],
            )
            db.add(report)
            db.flush()
            found.reports[organisation] = report.id
    app.extensions["editing_ids"] = found
    return found


def build_editing_app(tmp_path: Path, database_url: str, **config) -> Flask:
    """A populated app built from scratch (any database, e.g. PostgreSQL)."""
    from tests.web.conftest import make_app  # conftest imports this module's fixtures

    app = make_app(tmp_path, database_url, **config)
    populate(app)
    return app


@pytest.fixture(scope="session")
def editing_template(tmp_path_factory):
    """A populated SQLite database and search index, built once, to copy."""
    folder = tmp_path_factory.mktemp("editing-template")
    app = build_editing_app(folder, f"sqlite:///{folder / 'test.sqlite3'}")
    found = ids(app)
    app.extensions["directory"].close()  # checkpoints SQLite's WAL into the file
    return folder, found


def copy_editing_app(template, tmp_path: Path, database_file: Path | None = None, **config):
    """A fresh app on a copy of the template's database."""
    from tests.web.conftest import make_app

    folder, found = template
    database_file = database_file or tmp_path / "test.sqlite3"
    shutil.copy(folder / "test.sqlite3", database_file)
    app = make_app(tmp_path, f"sqlite:///{database_file}", **config)
    app.extensions["editing_ids"] = found
    return app


@pytest.fixture
def fast_password_checks(monkeypatch):
    """Checking a password for an email with no account costs what the accounts' checks do."""
    monkeypatch.setattr(
        accounts, "_DUMMY_HASH", generate_password_hash("not a real password", method=FAST_HASH)
    )


@pytest.fixture
def editing_app(editing_template, tmp_path, fast_password_checks):
    app = copy_editing_app(editing_template, tmp_path)
    yield app
    app.extensions["directory"].close()


@pytest.fixture
def any_db_editing_app(editing_template, tmp_path, database_url, fast_password_checks):
    """`editing_app` on SQLite and on PostgreSQL."""
    if database_url.startswith("sqlite:///"):
        app = copy_editing_app(
            editing_template, tmp_path, Path(database_url.removeprefix("sqlite:///"))
        )
    else:
        app = build_editing_app(tmp_path, database_url)
    yield app
    app.extensions["directory"].close()


# Signing in ----------------------------------------------------------------------------------


def try_sign_in(client, email: str, password: str = PASSWORD, next: str | None = None, **kwargs):
    """Post the sign-in form as a browser would (with its CSRF token, if the app uses them)."""
    url = "/sign-in" + (f"?{urlencode({'next': next})}" if next is not None else "")
    data = main_form(client.get("/sign-in", **kwargs).get_data(as_text=True))
    data["email"] = email
    data["password"] = password
    return client.post(url, data=data, **kwargs)


def sign_in(client, email: str, password: str = PASSWORD, **kwargs):
    response = try_sign_in(client, email, password, **kwargs)
    assert response.status_code == 302, f"could not sign in as {email}"
    assert response.location == "/editor/", response.location
    return response


def signed_in(client) -> bool:
    response = client.get("/editor/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    return False


# Looking at the whole database ---------------------------------------------------------------


def all_rows(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order, to compare before and after."""
    rows = {}
    with app.extensions["directory"].session() as db:
        for table in SQLModel.metadata.sorted_tables:
            found = db.execute(sa_select(table)).all()
            rows[table.name] = sorted((tuple(_plain(v) for v in row) for row in found), key=repr)
    return rows


def _plain(value):
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC
    return value
