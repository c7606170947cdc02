"""Two hosts, each with its own instance folder, sharing one PostgreSQL database."""

from __future__ import annotations

import concurrent.futures
import re
import time

import pytest

from tests.system.editing import open_edit_form, save
from tests.system.support import Browser, Site, add_curator, wait_for


@pytest.fixture
def hosts(pg_url):
    first = Site(pg_url, workers=2).start()
    second = Site(pg_url, workers=2).start()
    yield first, second
    first.stop()
    second.stop()


def test_an_edit_is_found_by_search_on_every_host_within_two_seconds(hosts):
    first, second = hosts
    curator = Browser(first)
    curator.sign_in(add_curator(first))
    assert "kaleidoscope" not in second.get("/schemes/bda-mentoring").text  # warm host two
    response = save(
        curator,
        "bda-mentoring",
        open_edit_form(curator, "bda-mentoring"),
        name="British Dietetic Association kaleidoscope mentoring",
    )
    assert response.status == 302
    saved = time.monotonic()

    # Issue #18: an edit is found on every host within 2 s. Each check may land on any of
    # a host's workers, each of which catches up on its own, so each waits within what
    # is left of the same 2 s from the save.
    checks = [
        (first, "/api/v1/schemes?q=kaleidoscope", '"bda-mentoring"'),
        (second, "/api/v1/schemes?q=kaleidoscope", '"bda-mentoring"'),
        (second, "/schemes/bda-mentoring", "kaleidoscope mentoring"),
        (second, "/search?q=kaleidoscope", "kaleidoscope"),
    ]
    for host, path, text in checks:
        wait_for(
            lambda h=host, p=path, t=text: t in h.get(p).text,
            timeout=max(0.0, saved + 2 - time.monotonic()),
            what=f"{path} on {host.base}",
        )
    assert time.monotonic() - saved < 2


def save_together(one, two, listing: str, change_one: dict, change_two: dict):
    """Both open the same version of the listing, then both save at once."""
    form_one = open_edit_form(one, listing)
    form_two = open_edit_form(two, listing)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(save, one, listing, form_one, **change_one),
            pool.submit(save, two, listing, form_two, **change_two),
        ]
        return [future.result(timeout=60) for future in futures]


def test_concurrent_edits_through_both_hosts_never_lose_an_update(hosts):
    first, second = hosts
    email = add_curator(first)
    one, two = Browser(first), Browser(second)
    one.sign_in(email)
    two.sign_in(email)
    # Different fields: saved one after the other they merge (#17); saved in the very same
    # instant, the loser may still be refused, but it is told and nothing is mixed or lost.
    results = save_together(one, two, "io-mentoring", {"cost": "Free"}, {"duration": "A year"})
    # Read as someone signed in: the public may see a catalogue up to CATALOGUE_MAX_AGE old.
    listing = one.get("/api/v1/schemes/io-mentoring").text
    kept = ['"cost":"Free"' in listing, '"duration":"A year"' in listing]
    for result, was_kept in zip(results, kept, strict=True):
        assert result.status in (302, 409)
        assert was_kept == (result.status == 302), (result.status, listing[:300])
        if result.status == 409:
            assert "Someone else changed this listing while you were editing it" in result.text
    assert any(kept)
    # The same field: exactly one wins; the other is told, and nothing is mixed.
    results = save_together(one, two, "io-mentoring", {"cost": "Ten pounds"}, {"cost": "None"})
    statuses = sorted(r.status for r in results)
    assert statuses == [302, 409], statuses
    refused = next(r for r in results if r.status == 409)
    assert "Someone else changed this listing while you were editing it" in refused.text
    listing = two.get("/api/v1/schemes/io-mentoring").text
    assert ('"cost":"Ten pounds"' in listing) != ('"cost":"None"' in listing)


def save_many(site: Site, email: str, rounds: int) -> list[int]:
    browser = Browser(site)
    browser.sign_in(email)
    statuses = []
    for i in range(rounds):
        form = open_edit_form(browser, "rcpod-mentoring")
        statuses.append(save(browser, "rcpod-mentoring", form, cost=f"{site.port}-{i}").status)
    return statuses


def test_many_saves_through_both_hosts_each_win_or_are_refused(hosts):
    first, second = hosts
    email = add_curator(first)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = [
            f.result(timeout=240)
            for f in [
                pool.submit(save_many, first, email, 6),
                pool.submit(save_many, second, email, 6),
            ]
        ]
    statuses = [s for outcome in outcomes for s in outcome]
    assert set(statuses) <= {302, 409}
    wins = statuses.count(302)
    history = Browser(first)
    history.sign_in(email)
    page = history.get("/editor/schemes/rcpod-mentoring/history").text
    revisions = re.findall(r'id="revision-(\d+)"', page)
    assert len(revisions) == 1 + wins  # the import, then one revision per saved edit
