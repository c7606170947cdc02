"""Browser tests: the real site on a live server, driven through Debian's Chromium.

Fixtures:
  live_server   base URL of the site, served by werkzeug in a thread on a free loopback
                port, on its own temporary SQLite database and search index (session)
  editing_server  a second site, for tests that change listings (so the public-page tests
                never see their edits): .url, .app, and accounts with PASSWORD (session):
                curators cara@ and cody@example.org, CSP hub lead hugh@example.org
  browser       Chromium from /usr/bin/chromium, or $CHROMIUM (session). Playwright's
                own browser download does not work here, so never `playwright install`
  width         viewport width, 1280 unless a test parametrises it:
                    @pytest.mark.parametrize("width", WIDTHS)   (tests/browser/support.py)
  page          a fresh page with JavaScript on, at `width`; page.goto("/search") works
  no_js_page    the same with JavaScript off
  axe_page      the same with the Content-Security-Policy bypassed, so axe can be injected
                (tests/browser/axe.py: assert_no_axe_violations(axe_page))
  new_page      more pages: new_page(javascript=False, bypass_csp=True, width=320)
  editor_page   editor_page("cara@example.org") -> a page on the editing server, signed
                in, in its own browser context (so two people can be signed in at once);
                editor_page(None) is signed out; shared=True reuses one signed-in context
                per person and kind for the session (for read-only scans: faster)
  screenshot    screenshot(page, "label") saves
                test-results/screenshots/<test-name>[-<param ids>][-<label>]-<width>.png

Pages of one kind share a browser context (for speed); each test gets new pages and
the cookies are cleared after it. A test fails if the browser logs a console error or
an uncaught script error on any of its pages: that is how a CSP violation shows up.

Without Chromium, node_modules/axe-core or the built assets (static/dist) these tests
are skipped with the reason printed; under CI (CI=true) that is a failure instead.
Every test in this folder is marked `browser`: leave them out with -m "not browser".
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from directory import accounts, create_app
from tests.browser.axe import AXE_JS
from tests.browser.support import DESKTOP, PASSWORD, sign_in
from tests.conftest import FIXTURE_CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # Debian's
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
BUILT_CSS = ROOT / "static" / "dist" / "main.css"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

VIEWPORT_HEIGHT = 900

# Upper bounds, not waits: generous so a busy CI machine does not make tests flaky.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def unavailable(reason: str) -> None:
    """Skip (on a laptop) or fail (under CI, which must run the browser tests)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the browser tests; .ci/run sets them up)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Server:
    url: str
    app: Flask


@contextmanager
def serving(folder: Path) -> Iterator[Server]:
    """The site on its own SQLite database and search index in `folder`, in a thread."""
    if not BUILT_CSS.exists():
        unavailable(f"{BUILT_CSS.relative_to(ROOT)} is missing: run `npm ci && npm run build`")
    app = create_app(
        {
            "SECRET_KEY": "browser-tests",
            "DATABASE_URL": f"sqlite:///{folder / 'directory.sqlite3'}",
            "CATALOGUE_FILE": str(FIXTURE_CATALOGUE),
            "AUTO_IMPORT": True,
            "BUILD_INDEX": True,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["directory"].close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("live-server")) as server:
        yield server.url


EDITORS = (
    ("cara@example.org", "Cara", "curator", []),
    ("cody@example.org", "Cody", "curator", []),
    ("hugh@example.org", "Hugh", "hub_lead", ["csp"]),
)


@pytest.fixture(scope="session")
def editing_server(tmp_path_factory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("editing-server")) as server:
        with server.app.extensions["directory"].session() as db:
            for email, name, role, organisations in EDITORS:
                user = accounts.add_user(db, email, name, role, organisations, "browser-tests")
                accounts.set_password(user, PASSWORD)
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    if not AXE_JS.exists():
        unavailable(f"{AXE_JS.relative_to(ROOT)} not found: run `npm ci`")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def width() -> int:
    return DESKTOP


@pytest.fixture(scope="session")
def contexts(browser, live_server) -> Iterator[dict]:
    """One browser context per kind (JavaScript on or off, CSP bypassed or not), shared by
    the tests for speed: each test gets its own page and the cookies are cleared after it."""
    made: dict[tuple[bool, bool], BrowserContext] = {}

    def get(javascript: bool, bypass_csp: bool) -> BrowserContext:
        key = (javascript, bypass_csp)
        if key not in made:
            made[key] = browser.new_context(
                java_script_enabled=javascript, bypass_csp=bypass_csp, base_url=live_server
            )
            made[key].set_default_timeout(15_000)
        return made[key]

    yield get
    for context in made.values():
        context.close()


@pytest.fixture
def new_page(contexts, width):
    pages: list[Page] = []
    problems: list[str] = []

    def make(*, javascript=True, bypass_csp=False, width=width, check_console=True) -> Page:
        page = contexts(javascript, bypass_csp).new_page()
        page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
        pages.append(page)
        if check_console:
            watch_for_errors(page, problems)
        return page

    yield make
    for page in pages:
        page.context.clear_cookies()
        page.close()
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)


def watch_for_errors(page: Page, problems: list[str]) -> None:
    """Note the page's console errors and uncaught script errors in `problems`."""
    page.on("console", lambda message: _note_console_error(message, page, problems))
    page.on("pageerror", lambda error: problems.append(f"script error: {error} ({page.url})"))


def _note_console_error(message, page: Page, problems: list[str]) -> None:
    if message.type != "error":
        return
    # A page that is itself an error (the 404 page) logs its own status: tests check that.
    if message.text.startswith("Failed to load resource") and message.location["url"] == page.url:
        return
    problems.append(f"console error: {message.text} ({message.location['url'] or page.url})")


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.fixture
def no_js_page(new_page) -> Page:
    return new_page(javascript=False)


@pytest.fixture
def axe_page(new_page) -> Page:
    return new_page(bypass_csp=True)


@pytest.fixture(scope="session")
def editor_contexts(browser, editing_server) -> Iterator[dict]:
    """Signed-in contexts on the editing server, one per person and kind, kept for the
    session: for tests that only look. Tests that sign out or edit use their own."""
    made: dict[tuple, BrowserContext] = {}
    yield made
    for context in made.values():
        context.close()


@pytest.fixture
def editor_page(browser, editing_server, editor_contexts, width):
    own: list[BrowserContext] = []
    pages: list[Page] = []
    problems: list[str] = []

    def make(email: str | None, *, bypass_csp=False, shared=False, width=width) -> Page:
        key = (email, bypass_csp)
        if shared and key in editor_contexts:
            context = editor_contexts[key]
            fresh = False
        else:
            context = browser.new_context(bypass_csp=bypass_csp, base_url=editing_server.url)
            context.set_default_timeout(15_000)
            if shared:
                editor_contexts[key] = context
            else:
                own.append(context)
            fresh = True
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
        pages.append(page)
        watch_for_errors(page, problems)
        if fresh and email:
            sign_in(page, email)
        return page

    yield make
    for page in pages:
        page.close()
    for context in own:
        context.close()
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def screenshot(request):
    """screenshot(page, label="") -> the path of a full-page PNG of the page as it is now."""
    callspec = getattr(request.node, "callspec", None)
    parts = [request.node.originalname]
    if callspec:  # the test's parameter ids, less the width (which ends the name)
        ids = [part for part in callspec.id.split("-") if not re.fullmatch(r"\d+px", part)]
        parts += ["-".join(ids)] if ids else []

    def take(page: Page, label: str = "") -> Path:
        name = "-".join([*parts, *([label] if label else []), str(page.viewport_size["width"])])
        path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=True)
        return path

    return take
