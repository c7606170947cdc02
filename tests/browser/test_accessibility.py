"""Every public page passes axe-core (WCAG 2.2 AA and best practice) on a phone and a
desktop, has one <h1> and a title, a working skip link, and fits a 320 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_axe_violations
from tests.browser.support import WIDTHS

PAGES = [
    pytest.param("/", id="home"),
    pytest.param("/search", id="search"),
    pytest.param("/search?q=physio&profession=physiotherapist", id="search-filtered"),
    pytest.param("/schemes/csp-mentoring", id="scheme-csp"),
    pytest.param("/schemes/ljmu-mpharm-near-peer-mentoring", id="scheme-ljmu"),
    pytest.param("/schemes/example-ended-student-programme", id="scheme-ended"),
    pytest.param("/schemes/example-between-rounds-scheme", id="scheme-between-rounds"),
    pytest.param("/browse/professions/art-therapist", id="profession-no-body-scheme"),
    pytest.param("/search?q=reverse+mentoring", id="search-guide-form"),
    pytest.param("/search?q=physiotherapy&role=mentee", id="search-filter-changed-nothing"),
    pytest.param("/browse", id="browse"),
    pytest.param("/browse/professions/paramedic", id="profession"),
    pytest.param("/browse/providers/sor", id="provider"),
    pytest.param("/mentoring-types", id="mentoring-types"),
    pytest.param("/mentoring-types/peer", id="mentoring-type"),
    pytest.param("/no-such-page", id="not-found"),
]


def open_page(page, path):
    response = page.goto(path)
    assert response is not None
    assert response.status == (404 if path == "/no-such-page" else 200)
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_axe_violations(axe_page, path):
    open_page(axe_page, path)
    assert_no_axe_violations(axe_page)


@pytest.mark.parametrize("path", PAGES)
def test_page_has_one_h1_a_title_and_a_working_skip_link(page, path):
    open_page(page, path)
    expect(page.locator("h1")).to_have_count(1)
    title = page.title()
    assert title.endswith(" – AHP Mentoring Directory"), f"title {title!r} does not name the page"

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    # The next Tab carries on inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate(
        "() => document.getElementById('main-content').contains(document.activeElement)"
    )


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_320px_screen_without_scrolling_sideways(new_page, path):
    page = open_page(new_page(width=320), path)
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{path} is {scroll_width}px wide on a 320px screen: it scrolls sideways"
    )
