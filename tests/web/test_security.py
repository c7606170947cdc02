"""Security, each property with a test (issue #6).

The editing area's accounts, drafts and reports come from tests/web/editing_fixtures.py:
a curator, a CSP hub lead and an SoR hub lead, and a pending change and a problem
report for each of CSP and SoR. Tests that change anything get their own app. The
access-control tests (who may use which editing URL) also run on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import itsdangerous.timed
import pytest
from sqlmodel import select
from werkzeug.security import generate_password_hash

from directory import ConfigError, accounts, create_app, editing
from directory.models import AuditEntry, ProblemReport
from directory.web import auth
from directory.web.editor import KEEPS_WHAT_WAS_TYPED
from tests.web.conftest import text_of
from tests.web.editing_fixtures import (
    BYSTANDER,
    CSP_LEAD,
    CURATOR,
    DRAFT_NAME,
    FAST_HASH,
    LISTING,
    PASSWORD,
    REPORT_TEXT,
    SOR_LEAD,
    EditingIds,
    all_rows,
    copy_editing_app,
    ids,
    sign_in,
    signed_in,
    try_sign_in,
)
from tests.web.html_forms import main_form

WRONG = "not the password 000"


# Helpers ---------------------------------------------------------------------------------------


class Page(HTMLParser):
    """A page's forms, scripts and elements, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.scripts: list[dict] = []
        self.styles: list[str] = []  # the text inside each <style>
        self._in_style = False
        self.elements: list[tuple[str, dict]] = []
        self._form: dict | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        self.elements.append((tag, a))
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action")}
            self._form["fields"] = []
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None:
            self._form["fields"].append({"tag": tag, **a})
        elif tag == "button" and self._form is not None and "formaction" in a:
            self._form.setdefault("formactions", []).append(a["formaction"])
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "style":
            self.styles.append("")
            self._in_style = True

    def handle_data(self, data):
        if self._in_style:
            self.styles[-1] += data

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        if tag == "form":
            self._form = None


def csp_nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert match, response.headers["Content-Security-Policy"]
    return match.group(1)


def same_page(html: str, *replace: str) -> str:
    """A page with its per-response parts (CSP nonces) and the given strings blanked."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    for text in replace:
        html = html.replace(text, "<replaced>")
    return html


def build(rule, values: dict) -> str:
    """A URL for a rule, its arguments filled from `values` (real ids)."""
    missing = rule.arguments - set(values) - set(rule.defaults or {})
    assert not missing, f"{rule.endpoint}: give the walk a real value for {sorted(missing)}"
    arguments = {k: values[k] for k in rule.arguments if k not in (rule.defaults or {})}
    return rule.build(arguments, append_unknown=False)[1]


def reset_token_for(app, email: str) -> str:
    with app.extensions["directory"].session() as db:
        return accounts.reset_token(app.config["SECRET_KEY"], accounts.find(db, email))


def audit_entries(app, action: str, actor: str | None = None) -> list[AuditEntry]:
    with app.extensions["directory"].session() as db:
        query = select(AuditEntry).where(AuditEntry.action == action)
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        return list(db.exec(query))


def count(app, model) -> int:
    with app.extensions["directory"].session() as db:
        return len(db.exec(select(model)).all())


@pytest.fixture
def clock(monkeypatch):
    """Signed cookies' and reset links' clock (itsdangerous), moved forward by tests."""

    class Clock:
        now = int(time.time())

        def advance(self, **delta) -> None:
            self.now += int(dt.timedelta(**delta).total_seconds())

    fake = Clock()
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: fake.now)
    return fake


def edit_form(client, scheme_id: str) -> dict:
    """The edit form of a listing as its page shows it, ready to save."""
    response = client.get(f"/editor/schemes/{scheme_id}/edit")
    assert response.status_code == 200
    data = main_form(response.get_data(as_text=True))
    data.pop("csrf_token", None)
    data["action"] = "save"
    return data


def new_listing_form(provider: str) -> dict:
    """A complete, valid new listing for `provider`."""
    return {
        "scheme_id": f"{provider}-new-test-listing",
        "name": "A new test listing",
        "provider": provider,
        "listing_type": "scheme",
        "summary": "A listing made by a test.",
        "description": "Made by a test.",
        "role_mentee-offered": "y",
        "role_mentee-profession_values": "physiotherapist",
        "role_mentee-profession_mode": "in",
        "role_mentee-evidence": "Open to physiotherapists.",
        "role_mentee-reference": "https://example.org/scheme",
        "access": "open",
        "regions_stated": "no",
        "applications_timing": "unknown",
        "windows-0-opens": ["", "", ""],  # day, month, year
        "windows-0-closes": ["", "", ""],
        "sources-0-title": "The scheme's page",
        "sources-0-url": "https://example.org/scheme",
        "action": "save",
    }


# 1. CSRF on every form ----------------------------------------------------------------------------


@pytest.fixture
def csrf_app(editing_template, tmp_path):
    app = copy_editing_app(editing_template, tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["directory"].close()


# Long forms (KEEPS_WHAT_WAS_TYPED) are not thrown away when their token fails: what was
# typed is kept, nothing is saved, and the person returns to the form (test_editing_data_loss).


def refused_for_its_token(endpoint: str, response) -> bool:
    if endpoint in KEEPS_WHAT_WAS_TYPED:
        return response.status_code == 302 and "restore=" in response.headers["Location"]
    return response.status_code == 400 and "This page was open too long" in response.get_data(
        as_text=True
    )


def test_every_post_route_refuses_a_post_without_a_csrf_token(csrf_app):
    found = ids(csrf_app)
    values = {
        "scheme_id": LISTING["sor"],
        "number": 1,
        "change_id": found.changes["sor"],
        "report_id": found.reports["sor"],
        "user_id": found.users[BYSTANDER],
        "org_id": "sor",
        "token": reset_token_for(csrf_app, BYSTANDER),
    }
    client = csrf_app.test_client()
    sign_in(client, CURATOR)  # signed in as the most powerful account, with its token
    scheme_form = edit_form(client, LISTING["sor"])
    # Bodies that would change something if the token were not checked.
    body = {
        "email": "new-person@example.org",
        "name": "New Person",
        "password": "a brand new password 456",
        "confirm": "a brand new password 456",
        "role": "curator",
        "active": "0",
        "comment": "looks right",
        "note": "dealt with",
        "category": "wrong",
        "message": "The link is broken.",
        "kind": "professional-body",
    }
    before = all_rows(csrf_app)
    posts = [
        (rule, build(rule, values))
        for rule in csrf_app.url_map.iter_rules()
        if "POST" in rule.methods
    ]
    assert len(posts) >= 15, [rule.endpoint for rule, _ in posts]
    accepted = []
    for rule, url in posts:
        data = scheme_form if rule.endpoint == "editor.edit_scheme" else body
        response = client.post(url, data=data)
        if not refused_for_its_token(rule.endpoint, response):
            accepted.append(f"{rule.endpoint} POST {url}: {response.status_code}")
    assert accepted == []
    after = all_rows(csrf_app)
    kept = after.pop("saved_form")
    before.pop("saved_form")
    assert after == before  # nothing saved, and only the long forms' typing kept aside
    assert len(kept) == sum(rule.endpoint in KEEPS_WHAT_WAS_TYPED for rule, _ in posts)
    assert signed_in(client)  # even the sign-out form was refused

    # The same post with the page's token is accepted: the 400s came from the missing token.
    page = client.get(f"/schemes/{LISTING['sor']}/report").get_data(as_text=True)
    token = main_form(page)["csrf_token"]
    report = {"category": "wrong", "message": "The link is broken."}
    other = csrf_app.test_client()  # a token belongs to its session: another one cannot use it
    other.get(f"/schemes/{LISTING['sor']}/report")
    stolen = other.post(f"/schemes/{LISTING['sor']}/report", data={**report, "csrf_token": token})
    assert stolen.status_code == 400
    sent = client.post(f"/schemes/{LISTING['sor']}/report", data={**report, "csrf_token": token})
    assert sent.status_code == 200
    assert count(csrf_app, ProblemReport) == len(before["problem_report"]) + 1


# Editing URLs that answer scripts, not people: no page, so no form to carry a token.
NOT_PAGES = {"editor.still_here"}


def test_every_post_form_carries_a_csrf_token(csrf_app):
    found = ids(csrf_app)
    with csrf_app.extensions["directory"].session() as db:  # a history with a restore button
        _, version = editing.published(db, LISTING["sor"])
        editing.verify(db, LISTING["sor"], CURATOR, version, dt.date.today())
    # SoR's listing has a restore button now; CSP's change still offers "Approve".
    values = {"scheme_id": LISTING["sor"], "change_id": found.changes["csp"], "org_id": "sor"}
    anonymous = csrf_app.test_client()
    curator = csrf_app.test_client()
    sign_in(curator, CURATOR)
    author = csrf_app.test_client()  # only a change's author sees "Withdraw"
    sign_in(author, SOR_LEAD)
    pages = [
        ("/sign-in", anonymous),
        ("/forgot-password", anonymous),
        (f"/reset-password/{reset_token_for(csrf_app, BYSTANDER)}", anonymous),
        (f"/schemes/{LISTING['csp']}", anonymous),
        (f"/schemes/{LISTING['csp']}/report", anonymous),
        (f"/editor/changes/{found.changes['sor']}", author),
    ]
    pages += [
        (build(rule, values), curator)
        for rule in csrf_app.url_map.iter_rules()
        if rule.endpoint.startswith("editor.")
        and "GET" in rule.methods
        and rule.endpoint not in NOT_PAGES
    ]
    adapter = csrf_app.url_map.bind("localhost")
    posted_to = set()
    for url, client in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        posts = [f for f in Page(response.get_data(as_text=True)).forms if f["method"] == "post"]
        assert posts, f"{url} shows no form to post"
        for form in posts:
            tokens = [f.get("value") for f in form["fields"] if f.get("name") == "csrf_token"]
            assert len(tokens) == 1 and tokens[0], f"{url}: a form posting to {form['action']}"
            buttons = form.get("formactions", [])  # each button posts to its own URL
            for target in buttons if buttons and not form["action"] else [form["action"] or url]:
                posted_to.add(adapter.match(urlsplit(target).path, method="POST")[0])
    # Every route that takes a POST was reached through one of the forms checked.
    post_routes = {r.endpoint for r in csrf_app.url_map.iter_rules() if "POST" in r.methods}
    assert post_routes - posted_to == set()


# 2. Redirects after signing in stay on this site ---------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil",
        "https:evil.example",
        "///evil.example",
        "/\t/evil.example",
        " //evil.example",
        "evil.example",
    ],
)
def test_signing_in_never_sends_you_to_another_site(editing_app, target):
    client = editing_app.test_client()
    response = try_sign_in(client, CURATOR, next=target)
    assert response.status_code == 302
    assert response.location == "/editor/"
    already = client.get("/sign-in?" + urlencode({"next": target}))  # signed in already
    assert already.status_code == 302
    assert already.location == "/editor/"


def test_signing_in_returns_you_to_the_page_you_asked_for(editing_app):
    client = editing_app.test_client()
    asked = client.get("/editor/changes")
    assert asked.status_code == 302
    assert asked.location == "/sign-in?next=%2Feditor%2Fchanges"
    response = try_sign_in(client, CURATOR, next="/editor/changes")
    assert response.status_code == 302
    assert response.location == "/editor/changes"


# 3. Session cookie flags ------------------------------------------------------------------------


def cookie_attributes(response, name: str = "session") -> dict[str, str]:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            parts = [p.strip() for p in header.split(";")[1:]]
            return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts}
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_in_development(
    editing_app,
):
    assert editing_app.config["ENVIRONMENT"] == "development"
    cookie = cookie_attributes(sign_in(editing_app.test_client(), CURATOR))
    assert "httponly" in cookie
    assert cookie["samesite"] == "Lax"
    assert "secure" not in cookie  # a developer's http://127.0.0.1 would lose the session


def test_the_session_cookie_is_secure_in_production(editing_template, tmp_path):
    app = copy_editing_app(
        editing_template,
        tmp_path,
        ENVIRONMENT="production",
        SECRET_KEY="a production secret " * 4,
        WTF_CSRF_ENABLED=True,
    )
    try:
        client = app.test_client()
        # A visitor's first cookie (the report form's CSRF token), and a curator's after signing in.
        anonymous = cookie_attributes(client.get(f"/schemes/{LISTING['csp']}"))
        signed = cookie_attributes(sign_in(client, CURATOR))
        for cookie in (anonymous, signed):
            assert "secure" in cookie
            assert "httponly" in cookie
            assert cookie["samesite"] == "Lax"
    finally:
        app.extensions["directory"].close()


# 4. Security headers ---------------------------------------------------------------------------

HEADER_PAGES = [
    "/",
    f"/schemes/{LISTING['csp']}",
    "/search?q=mentoring",
    "/check/",
    "/check/profession?role=mentee",  # the type-ahead: its own script and styles
    "/sign-in",
    "/no-such-page",
    "/editor/",
    "/editor/changes",
    "/editor/users",
    f"/editor/schemes/{LISTING['csp']}/edit",
    "/api/v1/schemes",
    f"/api/v1/schemes/{LISTING['csp']}",
    "/feed.atom",
]


@pytest.mark.parametrize("path", HEADER_PAGES)
def test_every_response_has_the_security_headers(editing_app, path):
    client = editing_app.test_client()
    if path.startswith("/editor/"):
        sign_in(client, CURATOR)
    response = client.get(path)
    assert response.status_code in (200, 404)
    policy = {
        d.split()[0]: d.split()[1:]
        for d in response.headers["Content-Security-Policy"].split(";")
        if d.strip()
    }
    nonce = csp_nonce(response)
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in policy["script-src"]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:"):
        assert unsafe not in policy["script-src"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )
    # Styles: only the <style> elements the layout puts inside pages, by the same nonce;
    # no linked stylesheet, no style attribute, no other inline style.
    assert policy["style-src"] == [f"'nonce-{nonce}'"]
    if response.mimetype == "text/html":
        page = Page(response.get_data(as_text=True))
        assert page.scripts, "the layout's scripts are missing"
        assert [s.get("nonce") for s in page.scripts] == [nonce] * len(page.scripts)
        styles = [a for tag, a in page.elements if tag == "style"]
        assert styles, "the layout's styles are missing"
        assert [a.get("nonce") for a in styles] == [nonce] * len(styles)
        assert all(css.strip() for css in page.styles)
        assert not [a for tag, a in page.elements if tag == "link" and a.get("rel") == "stylesheet"]
        assert not [tag for tag, a in page.elements if "style" in a]
    assert csp_nonce(client.get(path)) != nonce  # a new nonce for every response


@pytest.mark.parametrize(
    "path", ["/sign-in", "/forgot-password", "reset-link", "/editor/", "/editor/users"]
)
def test_signed_in_pages_and_password_pages_are_never_cached(editing_app, path):
    """Drafts, accounts and password links must not stay in a browser's or proxy's cache."""
    client = editing_app.test_client()
    if path == "reset-link":
        path = f"/reset-password/{reset_token_for(editing_app, BYSTANDER)}"
    if path.startswith("/editor/"):
        sign_in(client, CURATOR)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")


# 5. Sign-in throttling ----------------------------------------------------------------------------


def test_five_failed_sign_ins_lock_the_account_even_against_the_right_password(editing_app):
    client = editing_app.test_client()
    for _ in range(5):
        failed = try_sign_in(client, CSP_LEAD, WRONG)
        assert failed.status_code == 200
        assert auth.BAD_CREDENTIALS in text_of(failed.get_data(as_text=True))
    refused = try_sign_in(client, CSP_LEAD)
    assert refused.status_code == 200
    assert auth.TOO_MANY in text_of(refused.get_data(as_text=True))
    assert not signed_in(client)
    sign_in(editing_app.test_client(), SOR_LEAD)  # other accounts, same address: unaffected

    failures = audit_entries(editing_app, "sign-in-failed", CSP_LEAD)
    assert [e.detail for e in failures] == ["from 127.0.0.1"] * 5
    assert len(audit_entries(editing_app, "sign-in-throttled", CSP_LEAD)) == 1


def test_four_failed_sign_ins_do_not_lock_and_success_starts_the_count_again(editing_app):
    for _ in range(2):
        client = editing_app.test_client()
        for _ in range(4):
            try_sign_in(client, CSP_LEAD, WRONG)
        sign_in(client, CSP_LEAD)


def test_a_locked_account_can_sign_in_again_after_15_minutes(editing_app, monkeypatch):
    client = editing_app.test_client()
    for _ in range(5):
        try_sign_in(client, CSP_LEAD, WRONG)
    assert auth.TOO_MANY in text_of(try_sign_in(client, CSP_LEAD).get_data(as_text=True))
    later = accounts.utcnow() + dt.timedelta(minutes=15, seconds=5)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    sign_in(client, CSP_LEAD)


def test_twenty_failures_from_one_address_block_it_but_not_other_addresses(editing_app):
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    client = editing_app.test_client()
    for i in range(19):
        failed = try_sign_in(client, f"guess{i}@example.org", WRONG, environ_base=attacker)
        assert auth.BAD_CREDENTIALS in text_of(failed.get_data(as_text=True))
    sign_in(editing_app.test_client(), CSP_LEAD, environ_base=attacker)  # 19: not yet
    try_sign_in(client, "guess19@example.org", WRONG, environ_base=attacker)

    blocked = editing_app.test_client()
    refused = try_sign_in(blocked, CURATOR, environ_base=attacker)
    assert refused.status_code == 200
    assert auth.TOO_MANY in text_of(refused.get_data(as_text=True))
    assert not signed_in(blocked)
    sign_in(editing_app.test_client(), CURATOR, environ_base={"REMOTE_ADDR": "198.51.100.9"})

    failures = audit_entries(editing_app, "sign-in-failed")
    assert len(failures) == 20
    assert {e.detail for e in failures} == {"from 203.0.113.7"}
    # No such accounts: what was typed is not kept (the privacy page says so)
    assert {e.actor for e in failures} == {accounts.UNKNOWN_ACCOUNT}


@pytest.mark.parametrize(
    "email",
    ["a" * 180 + "@example.org", "b" * 400 + "@example.org"],
    ids=["an account with a long email", "an unknown email too long for an account"],
)
def test_a_long_email_address_is_throttled_like_any_other(any_db_editing_app, email):
    app = any_db_editing_app
    if len(email) <= 320:
        with app.extensions["directory"].session() as db:
            user = accounts.add_user(db, email, "Long", accounts.HUB_LEAD, ["csp"], "test")
            user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    client = app.test_client()
    for _ in range(5):
        failed = try_sign_in(client, email, WRONG)
        assert failed.status_code == 200
        assert auth.BAD_CREDENTIALS in text_of(failed.get_data(as_text=True))
    refused = try_sign_in(client, email)
    assert refused.status_code == 200
    assert auth.TOO_MANY in text_of(refused.get_data(as_text=True))
    assert not signed_in(client)


# 6. No user enumeration ---------------------------------------------------------------------------


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(editing_app, monkeypatch):
    with editing_app.extensions["directory"].session() as db:
        accounts.set_active(db, accounts.find(db, BYSTANDER), False, "test")
        accounts.add_user(db, "invited@example.org", "Invited", accounts.HUB_LEAD, ["csp"], "test")
    checks = []
    real_check = accounts.check_password_hash

    def counting_check(hashed, password):
        checks.append(password)
        return real_check(hashed, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting_check)
    answers = {}
    for email, password in (
        ("nobody@example.org", WRONG),  # no such account
        (CSP_LEAD, WRONG),  # a wrong password
        (BYSTANDER, PASSWORD),  # a disabled account, right password
        ("invited@example.org", WRONG),  # invited, no password yet
    ):
        checks.clear()
        response = try_sign_in(editing_app.test_client(), email, password)
        answers[email] = (response.status_code, same_page(response.get_data(as_text=True), email))
        assert checks == [password], f"{email}: the password was not checked exactly once"
    first = answers["nobody@example.org"]
    assert first[0] == 200
    assert auth.BAD_CREDENTIALS in first[1]
    for email, answer in answers.items():
        assert answer == first, email


def test_forgotten_password_gives_the_same_page_for_known_and_unknown_emails(editing_app):
    pages = []
    for email in (CSP_LEAD, "nobody@example.org"):
        response = editing_app.test_client().post("/forgot-password", data={"email": email})
        html = response.get_data(as_text=True)
        assert email not in html
        pages.append((response.status_code, same_page(html)))
    assert pages[0] == pages[1]
    assert pages[0][0] == 200
    assert "Check your email" in text_of(pages[0][1])  # development mails to the log


# 7. Every editing route requires the right role -----------------------------------------------

# Who may use each editing endpoint: "editor" any signed-in account; "member" hub leads of
# the organisation the URL names (and curators); "author" only who proposed the change;
# "curator" curators only. A new editor route must be added here (see the guard test).
ACCESS = {
    "editor.dashboard": "editor",
    "editor.still_here": "editor",
    "editor.changes": "editor",
    "editor.reports": "editor",
    "editor.new_scheme": "editor",
    "editor.edit_scheme": "member",
    "editor.history": "member",
    "editor.verify": "member",
    "editor.change": "member",
    "editor.resolve_report": "member",
    "editor.withdraw": "author",
    "editor.restore": "curator",
    "editor.approve": "curator",
    "editor.reject": "curator",
    "editor.users": "curator",
    "editor.invite": "curator",
    "editor.change_role": "curator",
    "editor.change_access": "curator",
    "editor.reset_link": "curator",
    "editor.organisations": "curator",
    "editor.edit_organisation": "curator",
    "editor.audit_log": "curator",
}
ORGANISATION_ARGUMENTS = {"scheme_id", "change_id", "report_id"}


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str
    owner: str | None  # the organisation whose listing, change or report the URL names

    def __str__(self) -> str:
        return f"{self.endpoint} {self.method} {self.url}"


def editor_cases(app, found: EditingIds) -> list[Case]:
    """Every editor URL with real ids, once for each organisation it can name; GETs first."""
    cases = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("editor."):
            continue
        owners = ["csp", "sor"] if rule.arguments & ORGANISATION_ARGUMENTS else [None]
        for owner in owners:
            values = {
                "number": 1,
                "user_id": found.users[BYSTANDER],
                "org_id": "sor",
            }
            if owner:
                values.update(
                    scheme_id=LISTING[owner],
                    change_id=found.changes[owner],
                    report_id=found.reports[owner],
                )
            url = build(rule, values)
            cases += [
                Case(rule.endpoint, m, url, owner) for m in ("GET", "POST") if m in rule.methods
            ]
    return sorted(cases, key=lambda c: (c.method != "GET", c.url))


def post_body(case: Case, edit_form_of) -> dict:
    """What a browser would post to the endpoint: real forms, so a missing check would bite."""
    if case.endpoint == "editor.edit_scheme":
        return edit_form_of(case.owner)
    return {
        "editor.new_scheme": new_listing_form("csp"),
        "editor.approve": {"comment": "Looks right"},
        "editor.reject": {"comment": "Please cite a source"},
        "editor.resolve_report": {"note": "Fixed the link"},
        "editor.change_role": {"role": "curator"},
        "editor.change_access": {"active": "0"},
        "editor.invite": {
            "email": "invitee@example.org",
            "name": "Invitee",
            "role": "curator",
        },
        "editor.edit_organisation": {"name": "Renamed", "kind": "professional-body"},
    }.get(case.endpoint, {})


def expected(role: str, case: Case) -> set[int]:
    access = ACCESS[case.endpoint]
    success = {200, 204} if case.method == "GET" else {200, 302}
    if role == "curator":
        return {403} if access == "author" else success  # curators reject, not withdraw
    organisation = {"csp_lead": "csp", "sor_lead": "sor"}[role]
    if access == "curator":
        return {403}
    if case.owner is not None and case.owner != organisation:
        return {403, 404}
    return success


ROLE_EMAILS = {"curator": CURATOR, "csp_lead": CSP_LEAD, "sor_lead": SOR_LEAD}


def test_every_editor_endpoint_is_in_the_access_table(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("editor.")}
    assert endpoints - set(ACCESS) == set(), "add the new editing route to ACCESS"
    assert set(ACCESS) - endpoints == set(), "remove routes that no longer exist"
    # Every rule can be walked: the walk knows a real value for each of its arguments.
    placeholder = EditingIds(
        users={BYSTANDER: 1}, changes={"csp": 1, "sor": 2}, reports={"csp": 1, "sor": 2}
    )
    assert {case.endpoint for case in editor_cases(app, placeholder)} == endpoints


@pytest.mark.parametrize("role", ["anonymous", "csp_lead", "sor_lead", "curator"])
def test_every_editing_route_requires_the_right_role(any_db_editing_app, role):
    app = any_db_editing_app
    curator = app.test_client()
    sign_in(curator, CURATOR)
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, ROLE_EMAILS[role])
    cases = editor_cases(app, ids(app))
    assert len(cases) > 30
    wrong = []
    for case in cases:
        if case.method == "GET":
            response = client.get(case.url)
        else:
            body = post_body(case, lambda owner: edit_form(curator, LISTING[owner]))  # current
            response = client.post(case.url, data=body)
        status, location = response.status_code, response.location or ""
        if role == "anonymous":
            if status != 302 or not location.startswith("/sign-in"):
                wrong.append(f"{case}: not sent to sign in ({status} {location})")
        elif status not in expected(role, case) or location.startswith("/sign-in"):
            wrong.append(f"{case}: {status} {location}, expected {sorted(expected(role, case))}")
    assert wrong == []


# 8. A hub lead never sees or changes another organisation's work ------------------------------


def test_a_hub_lead_cannot_read_or_change_another_organisations_work(any_db_editing_app):
    app = any_db_editing_app
    found = ids(app)
    curator = app.test_client()
    sign_in(curator, CURATOR)
    their_form = edit_form(curator, LISTING["sor"])
    lead = app.test_client()
    sign_in(lead, CSP_LEAD)
    own_form = edit_form(lead, LISTING["csp"])
    own_form["provider"] = "sor"  # my own listing, moved to their organisation
    theirs = LISTING["sor"]
    change, report = found.changes["sor"], found.reports["sor"]
    sor_lead, me = found.users[SOR_LEAD], found.users[CSP_LEAD]
    before = all_rows(app)

    attempts = [
        ("GET", f"/editor/schemes/{theirs}/edit", None),
        ("POST", f"/editor/schemes/{theirs}/edit", their_form),
        ("GET", f"/editor/schemes/{theirs}/history", None),
        ("POST", f"/editor/schemes/{theirs}/verify", {}),
        ("POST", f"/editor/schemes/{theirs}/revisions/1/restore", {}),
        ("GET", f"/editor/changes/{change}", None),
        ("POST", f"/editor/changes/{change}/approve", {"comment": "fine"}),
        ("POST", f"/editor/changes/{change}/reject", {"comment": "no"}),
        ("POST", f"/editor/changes/{change}/withdraw", {}),
        ("POST", f"/editor/reports/{report}/resolve", {"note": "done"}),
        ("GET", "/editor/users", None),
        ("POST", f"/editor/users/{sor_lead}/role", {"role": "curator"}),
        ("POST", f"/editor/users/{me}/role", {"role": "curator", "organisations": "sor"}),
        ("POST", f"/editor/users/{sor_lead}/access", {"active": "0"}),
        ("POST", f"/editor/users/{sor_lead}/reset-link", {}),
        ("POST", "/editor/users/new", {"email": "x@example.org", "name": "X", "role": "curator"}),
        ("GET", "/editor/audit", None),
    ]
    leaks = [DRAFT_NAME["sor"], REPORT_TEXT["sor"], SOR_LEAD, "/reset-password/"]
    for method, url, data in attempts:
        response = lead.get(url) if method == "GET" else lead.post(url, data=data)
        assert response.status_code in (403, 404), f"{method} {url}: {response.status_code}"
        html = response.get_data(as_text=True)
        assert not [text for text in leaks if text in html], f"{method} {url} shows them"

    # Their organisation cannot be chosen for a new listing, nor for my own listing.
    for url, data in (
        ("/editor/schemes/new", new_listing_form("sor")),
        (f"/editor/schemes/{LISTING['csp']}/edit", own_form),
    ):
        response = lead.post(url, data=data)
        assert response.status_code == 200, url
        assert "There is a problem" in text_of(response.get_data(as_text=True)), url

    # Lists show my organisation's drafts and reports, never theirs.
    for url in ("/editor/", "/editor/changes", "/editor/reports"):
        html = lead.get(url).get_data(as_text=True)
        assert DRAFT_NAME["sor"] not in html and REPORT_TEXT["sor"] not in html, url
    assert DRAFT_NAME["csp"] in lead.get("/editor/changes").get_data(as_text=True)
    assert REPORT_TEXT["csp"] in lead.get("/editor/reports").get_data(as_text=True)

    assert all_rows(app) == before
    assert signed_in(lead)


def test_drafts_are_never_shown_to_the_public(editing_app):
    client = editing_app.test_client()
    for url in (
        f"/schemes/{LISTING['sor']}",
        f"/schemes/{LISTING['sor']}.json",
        f"/api/v1/schemes/{LISTING['sor']}",
        "/search?q=draft",
        "/api/v1/schemes?q=draft",
        "/feed.atom",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert DRAFT_NAME["sor"] not in response.get_data(as_text=True), url


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("windows-0-opens", ["1"]),
        ("role_mentee-advanced", ["{not json"]),
        ("version", ["not a number"]),
    ],
)
def test_a_tampered_edit_form_gets_an_answer_not_a_server_error(editing_app, field, values):
    client = editing_app.test_client()
    sign_in(client, CSP_LEAD)
    data = edit_form(client, LISTING["csp"])
    data.setlist(field, values)
    before = all_rows(editing_app)
    response = client.post(f"/editor/schemes/{LISTING['csp']}/edit", data=data)
    assert response.status_code in (200, 400)
    assert all_rows(editing_app) == before


# 9. Output escaping ------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOAD = SCRIPT + ATTRIBUTE


@pytest.fixture
def hostile_app(editing_app):
    """csp-mentoring published (as a curator) with markup in every free-text field, a draft
    of it, a problem report and a failed sign-in carrying the same markup."""
    app = editing_app
    with app.extensions["directory"].session() as db:
        scheme, version = editing.published(db, LISTING["csp"])
        mentee = scheme.eligibility["mentee"].model_copy(
            update={
                "rule": {"all": [scheme.eligibility["mentee"].rule, {"confirm": f"ask {PAYLOAD}"}]},
                "evidence": f"Evidence {PAYLOAD}",
                "also_check": (f"check {PAYLOAD}",),
            }
        )
        source = scheme.sources[0].model_copy(update={"title": f"Source {PAYLOAD}"})
        record = scheme.model_copy(
            update={
                "name": f"Mentoring {PAYLOAD}",
                "summary": f"Summary {PAYLOAD}",
                "description": f"First {PAYLOAD}\n\nSecond {PAYLOAD}",
                "eligibility": {**scheme.eligibility, "mentee": mentee},
                "sources": (source, *scheme.sources[1:]),
                "cost": f"Cost {PAYLOAD}",
            }
        )
        row = editing.publish(db, record, CURATOR, version)
        draft = record.model_copy(update={"name": f"Draft {PAYLOAD}"})
        author = accounts.find(db, CSP_LEAD)
        app.extensions["hostile_change"] = editing.propose(db, draft, author, row.version).id
    app.extensions["directory"].refresh_index()
    client = app.test_client()
    report = {"category": "wrong", "message": f"Report {PAYLOAD}"}
    assert client.post(f"/schemes/{LISTING['csp']}/report", data=report).status_code == 200
    # A failed sign-in no longer keeps what was typed; a reviewer's comment still reaches
    # the audit log as written.
    with app.extensions["directory"].session() as db:
        editing.audit(db, CURATOR, "reject", "change 1 (csp)", f"Comment {PAYLOAD}")
    return app


def assert_inert(response, where: str, escaped: str = "&lt;script&gt;alert(1)") -> None:
    assert response.status_code == 200, where
    html = response.get_data(as_text=True)
    assert escaped in html, f"{where} does not show the listing's text"
    for raw in (SCRIPT, "<img src=x", "<script>alert", ATTRIBUTE):
        assert raw not in html, f"{where} shows {raw!r} unescaped"
    page = Page(html)
    nonce = csp_nonce(response)
    assert all(s.get("nonce") == nonce for s in page.scripts), f"{where}: a script of its own"
    handlers = [(tag, name) for tag, a in page.elements for name in a if name.startswith("on")]
    assert handlers == [], where
    assert not [a for tag, a in page.elements if tag == "img" and a.get("src") == "x"], where


def test_listing_text_is_escaped_on_every_public_page(hostile_app):
    client = hostile_app.test_client()
    csp = LISTING["csp"]
    for url in (
        f"/schemes/{csp}",
        f"/schemes/{csp}/report",
        "/search?q=physiotherapy+mentoring",
        "/browse/providers/csp",
        "/browse/professions/physiotherapist",
        "/mentoring-types/cross-disciplinary",
        "/check/results?profession=physiotherapist&member_of=csp",
    ):
        assert_inert(client.get(url), url)
    # Highlighting wraps matched words in <mark> and must still escape everything else.
    highlighted = client.get("/search?q=alert")
    assert_inert(highlighted, "search for alert", escaped="&lt;script&gt;<mark>alert</mark>(1)")
    api = client.get("/api/v1/schemes?q=alert").json
    names = [hit["highlight"]["name"] for hit in api["results"]]
    assert names and all("<script>" not in n and "<img" not in n for n in names), names


def test_listing_text_is_escaped_in_the_editing_pages(hostile_app):
    client = hostile_app.test_client()
    sign_in(client, CURATOR)
    change = hostile_app.extensions["hostile_change"]
    for url in (
        "/editor/",
        f"/editor/schemes/{LISTING['csp']}/edit",
        f"/editor/schemes/{LISTING['csp']}/history",
        "/editor/changes",
        f"/editor/changes/{change}",
        "/editor/reports",
        "/editor/audit",
    ):
        assert_inert(client.get(url), url)


def test_the_sitemap_is_well_formed_and_carries_no_listing_text(hostile_app):
    response = hostile_app.test_client().get("/sitemap.xml")
    assert response.status_code == 200
    assert PAYLOAD not in response.get_data(as_text=True)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [e.text for e in ET.fromstring(response.data).findall("s:url/s:loc", ns)]
    assert f"http://localhost/schemes/{LISTING['csp']}" in locations


def test_the_atom_feed_escapes_listing_text(hostile_app):
    response = hostile_app.test_client().get("/feed.atom")
    assert response.status_code == 200
    assert SCRIPT not in response.get_data(as_text=True)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.data)  # not well-formed: ParseError
    titles = [e.text for e in feed.findall("a:entry/a:title", ns)]
    assert f"Mentoring {PAYLOAD}" in titles
    assert not feed.findall(".//a:script", ns) and not feed.findall(".//script")


# 10. SECRET_KEY is required in production --------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DIRECTORY_ENV", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    # A development key left in the instance folder is not good enough for production.
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("a development key " * 4)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENVIRONMENT": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENVIRONMENT": "production", "SECRET_KEY": ""})
    monkeypatch.setenv("DIRECTORY_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    assert not (tmp_path / "unused.sqlite3").exists()  # refused before touching the database


def test_production_uses_the_secret_key_from_the_environment(
    editing_template, tmp_path, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "the production secret " * 3)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = copy_editing_app(editing_template, tmp_path, ENVIRONMENT="production", SECRET_KEY=None)
    try:
        assert app.config["SECRET_KEY"] == "the production secret " * 3
    finally:
        app.extensions["directory"].close()


# 11. Sessions end after inactivity -------------------------------------------------------------


@pytest.mark.parametrize("lifetime", [None, dt.timedelta(minutes=5)], ids=["default", "5 min"])
def test_a_session_ends_after_the_idle_lifetime(editing_template, tmp_path, clock, lifetime):
    config = {"PERMANENT_SESSION_LIFETIME": lifetime} if lifetime else {}
    app = copy_editing_app(editing_template, tmp_path, **config)
    try:
        idle = app.permanent_session_lifetime
        if lifetime is None:
            assert idle == dt.timedelta(minutes=30)
        client = app.test_client()
        sign_in(client, CURATOR)
        clock.advance(seconds=idle.total_seconds() - 60)
        assert signed_in(client)  # each request starts the idle time again
        clock.advance(seconds=idle.total_seconds() - 60)
        assert signed_in(client)
        clock.advance(seconds=idle.total_seconds() + 1)
        assert not signed_in(client)
    finally:
        app.extensions["directory"].close()


def test_a_session_cookie_stops_working_once_its_owner_signs_out(editing_app):
    client = editing_app.test_client()
    sign_in(client, CURATOR)
    copied = client.get_cookie("session").value  # e.g. from a shared computer, or a proxy log
    assert client.post("/sign-out").status_code == 302
    assert not signed_in(client)
    replay = editing_app.test_client()
    replay.set_cookie("session", copied)
    assert not signed_in(replay)


# 12. Password reset links ---------------------------------------------------------------------------


def test_a_reset_link_works_once(editing_app):
    link = f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}"
    client = editing_app.test_client()
    assert client.get(link).status_code == 200
    new = {"password": "a brand new password 456", "confirm": "a brand new password 456"}
    done = client.post(link, data=new)
    assert done.status_code == 302
    assert done.location == "/sign-in"
    sign_in(editing_app.test_client(), CSP_LEAD, new["password"])
    for response in (client.get(link), client.post(link, data=new)):
        assert response.status_code == 400
        assert "This link does not work" in text_of(response.get_data(as_text=True))


def test_a_reset_link_expires_after_three_days(editing_app, clock):
    link = f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}"
    client = editing_app.test_client()
    clock.advance(days=3, seconds=-60)
    assert client.get(link).status_code == 200
    clock.advance(seconds=61)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "This link does not work" in text_of(expired.get_data(as_text=True))


def test_a_disabled_account_cannot_use_its_reset_link(editing_app):
    link = f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}"
    with editing_app.extensions["directory"].session() as db:
        accounts.set_active(db, accounts.find(db, CSP_LEAD), False, CURATOR)
    client = editing_app.test_client()
    assert client.get(link).status_code == 400
    posted = client.post(link, data={"password": "a" * 20, "confirm": "a" * 20})
    assert posted.status_code == 400


def test_a_forged_or_foreign_reset_link_does_not_work(editing_app):
    token = reset_token_for(editing_app, CSP_LEAD)
    with editing_app.extensions["directory"].session() as db:
        foreign = accounts.reset_token("another site's key", accounts.find(db, CSP_LEAD))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = editing_app.test_client()
    for bad in (foreign, tampered, "nonsense"):
        assert client.get(f"/reset-password/{bad}").status_code == 400


def test_setting_a_new_password_signs_out_every_other_session(editing_app):
    elsewhere = editing_app.test_client()
    sign_in(elsewhere, CSP_LEAD)
    link = f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}"
    new = {"password": "a brand new password 456", "confirm": "a brand new password 456"}
    assert editing_app.test_client().post(link, data=new).status_code == 302
    assert not signed_in(elsewhere)
    assert try_sign_in(editing_app.test_client(), CSP_LEAD, PASSWORD).status_code == 200


# 13. Report a problem ----------------------------------------------------------------------------
# Its CSRF protection is checked with every other POST route (test_every_post_route_...).

REPORT_URL = f"/schemes/{LISTING['csp']}/report"


def report(client, message: str = "The link is broken.", address: str = "192.0.2.10", **extra):
    data = {"category": "broken-link", "message": message, **extra}
    return client.post(REPORT_URL, data=data, environ_base={"REMOTE_ADDR": address})


def test_a_report_with_the_hidden_field_filled_is_thanked_but_not_kept(editing_app):
    before = all_rows(editing_app)
    response = report(editing_app.test_client(), website="https://spam.example")
    assert response.status_code == 200
    assert "Thank you" in text_of(response.get_data(as_text=True))
    assert all_rows(editing_app) == before
    assert report(editing_app.test_client()).status_code == 200  # without it: kept
    assert count(editing_app, ProblemReport) == len(before["problem_report"]) + 1


def test_a_sixth_report_in_an_hour_from_one_address_is_refused(editing_app):
    client = editing_app.test_client()
    before = count(editing_app, ProblemReport)
    for _ in range(5):
        assert "Thank you" in text_of(report(client).get_data(as_text=True))
    refused = report(client)
    assert refused.status_code == 200
    assert "You have sent several reports in the last hour. Try again later." in text_of(
        refused.get_data(as_text=True)
    )
    assert count(editing_app, ProblemReport) == before + 5
    assert "Thank you" in text_of(report(client, address="198.51.100.9").get_data(as_text=True))


def test_a_report_message_is_at_most_1000_characters(editing_app):
    client = editing_app.test_client()
    before = count(editing_app, ProblemReport)
    too_long = report(client, "x" * 1001)
    assert too_long.status_code == 200
    assert "Tell us more must be 1,000 characters or fewer" in text_of(
        too_long.get_data(as_text=True)
    )
    assert count(editing_app, ProblemReport) == before
    assert "Thank you" in text_of(report(client, "x" * 1000).get_data(as_text=True))
    assert count(editing_app, ProblemReport) == before + 1


def test_the_report_form_asks_for_no_personal_data(app):
    html = app.test_client().get(f"/schemes/{LISTING['csp']}").get_data(as_text=True)
    (form,) = [f for f in Page(html).forms if (f["action"] or "").endswith("/report")]
    assert {f["name"] for f in form["fields"]} == {"category", "message", "website"}
    assert not [f for f in form["fields"] if f.get("type") in ("email", "tel")]
    assert set(ProblemReport.model_fields) == {
        "id",
        "scheme_id",
        "organisation_id",
        "category",
        "message",
        "status",
        "resolution",
        "resolved_by",
        "created_at",
        "resolved_at",
    }


def test_the_development_server_logs_requests_without_their_answers(app, caplog):
    """`flask run` (scripts/site.sh) logs each request line: never its query string."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    url = f"http://127.0.0.1:{server.port}/check/results?profession=physiotherapist&region=london"
    with caplog.at_level("INFO", logger="werkzeug"):
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
        thread.join(timeout=10)
    server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /check/results HTTP/1.1" in line for line in lines), lines
    assert not any("physiotherapist" in line or "london" in line for line in lines), lines
