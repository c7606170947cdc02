"""A curator's journey through what changed (issue 17, items 10 and 11): differences read
as words and fit a phone and a desktop even with long values; from a listing's public
page to its edit form; verifying and restoring ask first and land in the audit log.

Runs on the editing server (tests/browser/conftest.py). Test data here uses example.org
addresses: nothing in it is a fact about a real organisation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from directory import accounts, editing
from tests.browser.axe import assert_no_axe_violations
from tests.browser.support import WIDTHS

CURATOR, HUB_LEAD, OTHER_CURATOR = "cara@example.org", "hugh@example.org", "cody@example.org"
LONG_URL = "https://example.org/" + "a-very-long-address-with-no-spaces-" * 6 + "end"
LONG_SUMMARY = (
    "A test summary long enough to wrap over several lines on a phone: it says nothing "
    "about the real scheme and exists to show that long values wrap inside the table of "
    "differences instead of widening the page and making anyone scroll sideways."
)
LONG_SOURCE = {
    "title": "A test page with a long title that keeps going well past the width of a phone",
    "url": LONG_URL,
    "date": "2024-09",
    "quote": "Words quoted from the test page, long enough to need two or three lines.",
}


def fits_the_width(page: Page) -> None:
    """No sideways scrolling: the page is no wider than the window."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]",
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def long_edit(scheme) -> dict:
    """A change to many fields at once, with long values, including a rule and lists."""
    mentee = scheme.eligibility["mentee"]
    rule = {"all": [mentee.rule, {"any": [{"stage": "student"}, {"region": ["wales"]}]}]}
    return {
        "summary": LONG_SUMMARY,
        "url": LONG_URL,
        "regions": ("scotland", "wales", "northern-ireland"),
        "mentoring_types": ("peer", "group", "reverse"),
        "eligibility": {**scheme.eligibility, "mentee": mentee.model_copy(update={"rule": rule})},
        "sources": (*scheme.sources, LONG_SOURCE),
    }


@pytest.fixture(scope="module")
def long_changes(editing_server) -> dict:
    """A pending change with long differences (SoR), and a published one (NIHR)."""
    service = editing_server.app.extensions["directory"]
    with service.session() as db:
        scheme, version = editing.published(db, "sor-leadership-mentoring")
        proposed = scheme.model_validate({**scheme.model_dump(), **long_edit(scheme)})
        change = editing.propose(db, proposed, accounts.find(db, OTHER_CURATOR), version)
        change_id = change.id
    with service.session() as db:
        scheme, version = editing.published(db, "nihr-academy-mentoring")
        edited = scheme.model_validate({**scheme.model_dump(), **long_edit(scheme)})
        editing.publish(db, edited, OTHER_CURATOR, version)
    service.refresh_index()
    return {
        "change": f"/editor/changes/{change_id}",
        "history": "/editor/schemes/nihr-academy-mentoring/history",
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("where", ["change", "history"])
def test_long_differences_read_as_words_and_fit_the_page(
    editor_page, long_changes, where, width, screenshot
):
    page = editor_page(CURATOR, bypass_csp=True, shared=True, width=width)
    response = page.goto(long_changes[where])
    assert response is not None and response.status == 200
    table = page.locator("table.app-diff").first
    rule = table.get_by_role("row", name=re.compile(r"^Who can be a mentee"))
    expect(rule.locator("ins")).to_contain_text("At least one of these applies:")
    expect(rule.locator("ins")).to_contain_text("You are a student")
    expect(table.get_by_role("row", name=re.compile(r"^Where it is offered"))).to_contain_text(
        "Scotland, Wales and Northern Ireland"
    )
    expect(table.locator("ins").filter(has_text=LONG_URL).first).to_be_visible()
    expect(table).not_to_contain_text("{")
    expect(table).not_to_contain_text('["')
    fits_the_width(page)
    assert_no_axe_violations(page)
    screenshot(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_curator_goes_from_the_public_page_to_edit_verify_and_restore(
    editor_page, editing_server, width, screenshot
):
    curator = editor_page(CURATOR, bypass_csp=True, width=width)
    curator.goto("/schemes/rcslt-leadership-information")
    curator.get_by_role("link", name="Edit this listing").click()
    expect(curator).to_have_url(re.compile(r"/editor/schemes/rcslt-leadership-information/edit$"))

    # Verifying asks first, on a page that fits and passes axe.
    curator.goto("/editor/")
    curator.get_by_role("button", name=re.compile(r"^Mark as verified today\W+RCSLT")).click()
    expect(curator.get_by_role("heading", level=1)).to_contain_text("as verified today?")
    fits_the_width(curator)
    assert_no_axe_violations(curator)
    screenshot(curator, "verify-confirm")
    curator.get_by_role("button", name="Yes, mark it verified today").click()
    expect(curator.locator(".govuk-notification-banner--success")).to_contain_text(
        "Marked as verified today"
    )

    # Restoring asks first too; then the history says what happened, as a sentence.
    curator.goto("/editor/schemes/rcslt-leadership-information/history")
    curator.get_by_role("button", name="Restore revision 1").click()
    expect(curator.get_by_role("heading", level=1)).to_contain_text("Restore revision 1 of")
    fits_the_width(curator)
    assert_no_axe_violations(curator)
    curator.get_by_role("button", name="Yes, restore revision 1").click()
    expect(curator.locator(".govuk-notification-banner--success")).to_contain_text(
        "Restored revision 1 as a new revision"
    )
    newest = curator.locator("section.app-group").first
    expect(newest.get_by_role("heading", level=2)).to_have_text(
        re.compile(r"^Revision \d+: restored revision 1$")
    )
    expect(newest).to_contain_text(re.compile(r"Restored revision 1 by cara@example\.org on "))
    fits_the_width(curator)
    screenshot(curator, "history-after-restore")

    curator.goto("/editor/audit")
    log = curator.locator("table")
    expect(log).to_contain_text("Restored an earlier revision: rcslt-leadership-information")
    expect(log).to_contain_text("Marked as verified: rcslt-leadership-information")
    fits_the_width(curator)
    assert_no_axe_violations(curator)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_edit_link_is_for_who_may_edit_only(editor_page, width, screenshot):
    hub = editor_page(HUB_LEAD, bypass_csp=True, width=width)
    response = hub.goto("/schemes/csp-mentoring")
    assert response is not None and response.headers["cache-control"] == "private, no-store"
    expect(hub.get_by_role("link", name="Edit this listing")).to_be_visible()
    assert_no_axe_violations(hub)
    screenshot(hub, "hub-lead")
    hub.goto("/schemes/sor-leadership-mentoring")  # another organisation's
    expect(hub.get_by_role("link", name="Edit this listing")).to_have_count(0)
    public = editor_page(None)
    response = public.goto("/schemes/csp-mentoring")
    assert response is not None and "cache-control" not in response.headers
    expect(public.get_by_role("link", name="Edit this listing")).to_have_count(0)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_conflict_box_shows_both_versions_in_words_and_fits(editor_page, width, screenshot):
    mine = editor_page(CURATOR, bypass_csp=True, width=width)
    mine.goto("/editor/schemes/bapo-mentoring/edit")
    theirs = editor_page(OTHER_CURATOR)
    theirs.goto("/editor/schemes/bapo-mentoring/edit")
    their_url = f"{LONG_URL}-{width}"  # each run changes it again
    theirs.get_by_role("textbox", name="Web address of the scheme").fill(their_url)
    theirs.get_by_role("button", name="Publish", exact=True).click()
    expect(theirs.locator(".govuk-notification-banner--success")).to_contain_text("Published")

    mine.get_by_role("textbox", name="Web address of the scheme").fill(f"{their_url}-mine")
    with mine.expect_response(lambda r: r.request.method == "POST") as response:
        mine.get_by_role("button", name="Publish", exact=True).click()
    assert response.value.status == 409
    box = mine.locator(".govuk-error-summary").filter(has_text="Someone else changed")
    expect(box).to_contain_text("Web address of the scheme")
    expect(box).to_contain_text(f"Theirs (published now): {their_url}")
    fits_the_width(mine)
    assert_no_axe_violations(mine)
    screenshot(mine, "conflict")
