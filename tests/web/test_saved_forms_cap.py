"""Issue 17: a signed-out post to an editing form is kept for signing in again, so forged
cross-site posts could fill the database with kept forms. At most MAX_SAVED_FORMS are
kept; the oldest go first."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func
from sqlmodel import select

from directory import editing
from directory.models import SavedForm
from tests.web.editing_fixtures import CSP_LEAD, copy_editing_app, sign_in


def forged_post(client, summary: str) -> str:
    """A cross-site post: no session cookie, no CSRF token. The token it is kept under."""
    response = client.post(
        "/editor/schemes/csp-mentoring/edit", data={"summary": summary, "action": "save"}
    )
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")
    back = parse_qs(urlsplit(response.location).query)["next"][0]
    return parse_qs(urlsplit(back).query)["restore"][0]


def test_forged_posts_keep_at_most_the_cap_and_drop_the_oldest(
    editing_template, tmp_path, fast_password_checks
):
    app = copy_editing_app(editing_template, tmp_path, WTF_CSRF_ENABLED=True)
    try:
        attacker = app.test_client()
        tokens = [forged_post(attacker, f"forged {n}") for n in range(editing.MAX_SAVED_FORMS + 5)]
        with app.extensions["directory"].session() as db:
            kept = db.exec(select(func.count()).select_from(SavedForm)).one()
            still = set(db.exec(select(SavedForm.token)))
        assert kept == editing.MAX_SAVED_FORMS
        assert still == set(tokens[5:])  # the five oldest were dropped

        # Someone whose session really ended still gets theirs back.
        hub = app.test_client()
        sign_in(hub, CSP_LEAD)
        page = hub.get(f"/editor/schemes/csp-mentoring/edit?restore={tokens[-1]}")
        assert f"forged {editing.MAX_SAVED_FORMS + 4}" in page.get_data(as_text=True)
    finally:
        app.extensions["directory"].close()


def test_the_cap_holds_on_every_database(any_db_editing_app, monkeypatch):
    monkeypatch.setattr(editing, "MAX_SAVED_FORMS", 3)
    service = any_db_editing_app.extensions["directory"]
    tokens = []
    for n in range(5):
        with service.session() as db:
            tokens.append(editing.keep_form(db, "/editor/organisations/new", [("name", str(n))]))
    with service.session() as db:
        assert set(db.exec(select(SavedForm.token))) == set(tokens[2:])
