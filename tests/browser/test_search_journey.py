"""Someone looking for mentoring searches, filters, pages through and opens a listing:
with JavaScript on and off, on a phone and a desktop, and with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import WIDTHS, tab_until

COUNT = re.compile(r"(\d+) listings? found")
PAGE_SIZE = 10


def result_count(page: Page) -> int:
    """The count the results page shows (call once the new page's URL is expected)."""
    heading = page.locator("#result-count h2")
    expect(heading).to_have_text(COUNT)
    return int(COUNT.search(heading.inner_text()).group(1))


def expect_count(page: Page, count: int) -> None:
    expect(page.locator("#result-count h2")).to_have_text(
        re.compile(rf"^\s*{count} listings? found")
    )


def result_links(page: Page):
    return page.locator(".app-result__title a")


def search_from(page: Page, text: str) -> None:
    """Type into the page's search box (the one in role=search) and press its button."""
    form = page.get_by_role("search")
    form.get_by_role("searchbox").fill(text)
    form.get_by_role("button", name="Search", exact=True).click()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("javascript", ["js-on", "js-off"])
def test_search_filter_page_through_and_open_a_listing(new_page, javascript, catalogue, screenshot):
    page = new_page(javascript=javascript == "js-on")
    page.goto("/")

    # Search from the home page.
    search_from(page, "physio")
    expect(page).to_have_url(re.compile(r"/search\?q=physio$"))
    expect(page.locator("#result-count")).to_contain_text("found for physio")
    found = result_count(page)
    assert found >= 1
    expect(result_links(page)).to_have_count(min(found, PAGE_SIZE))
    screenshot(page, "results")

    # Tick a filter in the sidebar; the count beside it, with the listings open to all
    # AHPs (counted once, apart: they are open to physiotherapists too), is what we get.
    filters = page.get_by_role("form", name="Filter")
    box = filters.get_by_role("checkbox", name=re.compile(r"^Physiotherapist \(\d+\)$"))
    everyone = filters.get_by_role("checkbox", name=re.compile(r"^Open to all AHPs \(\d+\)$"))
    predicted = sum(
        int(re.search(r"\((\d+)\)", b.evaluate("e => e.labels[0].innerText"))[1])
        for b in (box, everyone)
    )
    box.check()
    filters.get_by_role("button", name="Apply filters").first.click()
    expect(page).to_have_url(re.compile(r"profession=physiotherapist"))
    expect_count(page, predicted)
    expect(page.get_by_role("checkbox", name=re.compile(r"^Physiotherapist"))).to_be_checked()
    chip = page.get_by_role("link", name=re.compile(r"^Remove filter:"))
    expect(chip).to_have_count(1)
    expect(chip).to_have_accessible_name("Remove filter: Physiotherapist")

    # The chip removes the filter and keeps the words.
    chip.click()
    expect(page).not_to_have_url(re.compile(r"profession="))
    expect(page).to_have_url(re.compile(r"q=physio"))
    expect(page.get_by_role("link", name=re.compile(r"^Remove filter:"))).to_have_count(0)
    expect_count(page, found)

    # Clear the words: every listing, over two pages.
    search_from(page, "")
    expect(page).to_have_url(re.compile(r"/search\?q=$"))
    total = len(catalogue.schemes)
    assert total > PAGE_SIZE, "the catalogue is too small to test paging"
    expect_count(page, total)
    first_page = result_links(page).all_inner_texts()
    assert len(first_page) == PAGE_SIZE
    pages = page.get_by_role("navigation", name="Search results pages")
    expect(pages.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")

    pages.get_by_role("link", name="Page 2").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(page).to_have_title(re.compile(r"\(page 2 of 2\)"))
    expect(pages.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    expect(result_links(page)).to_have_count(total - PAGE_SIZE)
    second_page = result_links(page).all_inner_texts()
    assert not set(first_page) & set(second_page)

    # The browser's back button returns to page 1, and the URL says so.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"page=2"))
    expect(pages.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")
    expect(result_links(page)).to_have_text(first_page)

    # Open a listing from the results.
    name = first_page[0]
    result_links(page).first.click()
    expect(page).to_have_url(re.compile(r"/schemes/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    # What its facts rest on, and how old: not a blanket "not yet verified".
    expect(page.locator(".app-facts").first).to_contain_text(re.compile(r"^From "))
    screenshot(page, "scheme")


@pytest.mark.parametrize("width", WIDTHS)
def test_search_and_open_a_listing_with_the_keyboard_alone(page):
    page.goto("/")
    tab_until(page, "input#q")
    page.keyboard.type("physio")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=physio$"))
    page.wait_for_load_state()

    first = result_links(page).first
    name = first.inner_text()
    tab_until(page, ".app-result__title a")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_filter_and_remove_the_filter_with_the_keyboard_alone(page):
    page.goto("/search?q=physio")
    tab_until(page, "#profession-physiotherapist", limit=80)
    page.keyboard.press("Space")
    expect(page.locator("#profession-physiotherapist")).to_be_checked()
    tab_until(page, "form[aria-labelledby=filters-heading] button", limit=80)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"profession=physiotherapist"))
    page.wait_for_load_state()

    tab_until(page, ".app-chip")
    expect(page.locator(":focus")).to_have_accessible_name("Remove filter: Physiotherapist")
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"profession="))
    expect(page.locator(".app-chip")).to_have_count(0)
