"""Issue 17: a hub lead writes "a CSP member, or a physiotherapy student" in the rule
form (no JSON, no JavaScript needed), and is warned before sending a rule nobody can
meet. Nothing is saved, so the other editing tests see the listing as it was."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import SCREENSHOTS
from tests.browser.support import WIDTHS, sign_in
from tests.browser.test_editing_journey import CURATOR, HUB_LEAD, role_section, send


def shot(page: Page, start, label: str, height: int = 1100) -> None:
    """A screenshot of the page from `start` down, `height` pixels: the part to look at."""
    box = start.bounding_box()  # in the window: the page is scrolled by scrollY
    top = box["y"] + page.evaluate("scrollY")
    page.screenshot(
        path=SCREENSHOTS / f"rule-form-{label}-{page.viewport_size['width']}.png",
        full_page=True,
        clip={
            "x": 0,
            "y": max(top - 20, 0),
            "width": page.viewport_size["width"],
            "height": height,
        },
    )


def condition(scope, label: str):
    """A question's folded condition ("Career stage: no condition"), opened."""
    details = scope.locator("details").filter(has_text=re.compile(rf"^\s*{label}: ")).first
    if not details.evaluate("(d) => d.open"):
        details.locator("summary").click()
    return details


@pytest.mark.parametrize("width", WIDTHS)
def test_a_hub_lead_writes_an_any_of_rule_and_is_warned_of_a_contradiction(editor_page, width):
    hub: Page = editor_page(HUB_LEAD, bypass_csp=True)
    hub.goto("/editor/schemes/csp-mentoring/edit")
    with hub.expect_response(lambda r: r.request.method == "POST"):
        role_section(hub, "mentee").get_by_role("button", name="Add another way to qualify").click()
    mentee = role_section(hub, "mentee")
    expect(mentee.get_by_role("heading", name="Ways to qualify")).to_be_visible()
    first = mentee.get_by_role("group", name="Way 1", exact=True)
    second = mentee.get_by_role("group", name="Or way 2", exact=True)
    # The listing's conditions (a physiotherapist and a CSP member) became way 1.
    expect(
        condition(first, "Membership").get_by_role("checkbox", name=re.compile("CSP"))
    ).to_be_checked()
    condition(first, "Profession").get_by_role("checkbox", name="Physiotherapist").uncheck()
    condition(second, "Profession").get_by_role("checkbox", name="Physiotherapist").check()
    condition(second, "Career stage").get_by_role("checkbox", name="Student").check()

    assert send(hub, "Preview") == 200
    preview = hub.locator(".app-preview")
    expect(preview).to_contain_text("At least one of these applies")
    expect(preview).to_contain_text("You are a member of the Chartered Society of Physiotherapy")
    expect(preview).to_contain_text("You are a student")
    expect(hub.get_by_text("Nobody can meet these conditions")).to_have_count(0)
    shot(hub, role_section(hub, "mentee").get_by_role("heading", name="Ways to qualify"), "ways")

    # A slip: "qualified" and a study level for everyone. The checker would turn everyone
    # away, so sending it for review asks first.
    everyone = role_section(hub, "mentee")
    condition(everyone, "Career stage").get_by_role("checkbox", name="Qualified").check()
    condition(everyone, "Study level").get_by_role("checkbox", name="Level 6").check()
    assert send(hub, "Send for review") == 200
    summary = hub.locator(".govuk-error-summary")
    link = summary.get_by_role(
        "link", name=re.compile("^Nobody can take part as a mentee under these conditions")
    )
    expect(link).to_have_count(1)
    expect(role_section(hub, "mentee").locator(".govuk-warning-text")).to_contain_text(
        "Nobody can meet these conditions"
    )
    assert_no_axe_violations(hub)
    assert hub.evaluate("document.documentElement.scrollWidth <= innerWidth")  # no sideways scroll
    shot(hub, summary, "errors", height=600)
    shot(hub, role_section(hub, "mentee").locator(".govuk-warning-text"), "warning", height=500)
    link.click()
    expect(
        hub.get_by_role("checkbox", name="Keep these conditions: it is what the sources say")
    ).to_be_focused()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_listings_errors_link_to_their_fields_in_page_order(editor_page, width):
    curator: Page = editor_page(CURATOR, bypass_csp=True)
    curator.goto("/editor/schemes/new")
    expect(curator.get_by_role("heading", level=1)).to_have_text("Add a new listing")
    curator.get_by_role("textbox", name="Web address of the scheme").fill("www.example.org")
    assert send(curator, "Publish") == 200
    summary = curator.locator(".govuk-error-summary")
    links = summary.get_by_role("link")
    expect(links.first).to_have_text(re.compile("^Enter a short name for the web address"))
    messages = links.all_inner_texts()
    assert "Select the organisation that runs this listing" in messages
    assert len(messages) == len(set(messages))
    assert_no_axe_violations(curator)
    assert curator.evaluate(
        "document.documentElement.scrollWidth <= innerWidth"
    )  # no sideways scroll
    shot(curator, summary, "new-listing-errors", height=900)
    # Each link takes the person to its field, in the order of the page.
    tops = []
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        links.nth(i).click()
        expect(curator.locator(target)).to_be_focused()
        tops.append(curator.locator(target).bounding_box()["y"] + curator.evaluate("scrollY"))
    assert tops == sorted(tops)
    url_group = curator.locator(".govuk-form-group--error").filter(has=curator.locator("#url"))
    shot(curator, url_group, "url-error", 400)


def test_adding_a_way_to_qualify_works_without_javascript(browser, editing_server):
    context = browser.new_context(java_script_enabled=False, base_url=editing_server.url)
    try:
        hub = context.new_page()
        sign_in(hub, HUB_LEAD)
        hub.goto("/editor/schemes/csp-mentoring/edit")
        mentor = role_section(hub, "mentor")
        mentor.get_by_role("button", name="Add another way to qualify").click()
        mentor = role_section(hub, "mentor")
        expect(mentor.get_by_role("heading", name="Ways to qualify")).to_be_visible()
        expect(mentor.get_by_role("group", name="Or way 2", exact=True)).to_be_visible()
        # The mentors' condition (any AHP) and step moved to way 1, as typed.
        first = mentor.get_by_role("group", name="Way 1", exact=True)
        expect(first.get_by_role("checkbox", name="Any Allied Health Profession")).to_be_checked()
        expect(first.get_by_role("textbox", name=re.compile("^Steps to confirm"))).to_have_value(
            re.compile("^contact the CAHPR research leads")
        )
    finally:
        context.close()
