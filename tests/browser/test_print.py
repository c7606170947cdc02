"""A printed listing keeps its content and drops the site's navigation and footer."""

from __future__ import annotations

from playwright.sync_api import expect


def test_printed_scheme_page_has_no_navigation_or_footer(page):
    page.goto("/schemes/csp-mentoring")
    header_nav = page.get_by_role("navigation", name="Main")
    footer = page.locator("footer.govuk-footer")
    expect(header_nav).to_be_visible()
    expect(footer).to_be_visible()

    page.emulate_media(media="print")
    expect(page.locator("header.app-site-header")).to_have_css("display", "none")
    expect(page.locator(".govuk-service-navigation")).to_have_css("display", "none")
    expect(footer).to_have_css("display", "none")
    expect(header_nav).to_be_hidden()
    expect(footer).to_be_hidden()

    # The listing itself is still there, with each link's address written out.
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".govuk-summary-list")).to_be_visible()
    provider_link = page.locator(".govuk-summary-list a[href^='/browse/providers/']").first
    after = provider_link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "/browse/providers/" in after
