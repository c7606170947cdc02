"""The sign-in limit holds under parallel requests spread over two workers, on SQLite
and on PostgreSQL: counting and recording an attempt are one step."""

from __future__ import annotations

import concurrent.futures

import pytest

from directory import accounts
from directory.web import auth
from tests.system.support import Browser, Site, add_curator, csrf_token

PARALLEL = 40


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'directory.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    site = Site(url, workers=2).start()
    yield site
    site.stop()


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(site):
    email = add_curator(site, "target@example.org")
    ready = []
    for _ in range(PARALLEL):  # each with its own session and form, as separate clients
        browser = Browser(site)
        ready.append((browser, csrf_token(browser.get("/sign-in").text)))

    def wrong_password(prepared):
        browser, token = prepared
        form = [("csrf_token", token), ("email", email), ("password", "wrong password 1234")]
        return browser.post("/sign-in", form).text

    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        pages = list(pool.map(wrong_password, ready))
    checked = sum(auth.BAD_CREDENTIALS in page for page in pages)
    refused = sum(auth.TOO_MANY in page for page in pages)
    assert checked + refused == PARALLEL
    assert 1 <= checked <= accounts.ACCOUNT_LIMIT, f"{checked} passwords were checked"
    assert len(site.workers_pids()) == 2  # the requests were shared by two processes
    with pytest.raises(AssertionError):  # even the right password must wait now
        Browser(site).sign_in(email)
