"""Hub leads and curators keep listings current in a browser: a hub lead's edit (with a
rule condition) goes to a curator, who reviews the differences and approves it, and the
public sees it; two curators editing at once; axe-core on every editor page.

All of it runs on the editing server (tests/browser/conftest.py), so the public-page
tests never see these edits."""

from __future__ import annotations

import datetime as dt
import re
import socket
import time

import pytest
from playwright.sync_api import Page, expect

from directory import accounts, editing
from directory.models import ProblemReport
from tests.browser.axe import assert_no_axe_violations
from tests.browser.support import PASSWORD, WIDTHS
from tests.web.editing_fixtures import Inbox, smtp_settings

HUB_LEAD, CURATOR, OTHER_CURATOR = "hugh@example.org", "cara@example.org", "cody@example.org"
CSP = "Chartered Society of Physiotherapy mentoring scheme"
RENAMED = "Chartered Society of Physiotherapy peer mentoring circles"


def role_section(page: Page, role: str):
    """The edit form's fieldset for one role: "mentee" or "mentor"."""
    legend = "As a mentee (finding a mentor)" if role == "mentee" else "As a mentor"
    return page.get_by_role("group", name=legend, exact=True)


def send(page: Page, button: str) -> int:
    """Press the form's `button` (Publish, Send for review...); the response's status."""
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name=button, exact=True).click()
    return response.value.status


def test_a_hub_leads_edit_is_reviewed_approved_and_published(editor_page):
    # The hub lead edits their listing: a new name, and a condition in a rule section.
    hub = editor_page(HUB_LEAD)
    expect(hub.get_by_role("heading", level=1)).to_have_text("Your listings")
    hub.get_by_role("link", name=f"Edit {CSP}").click()
    expect(hub.get_by_role("heading", level=1)).to_have_text(f"Edit {CSP}")
    hub.get_by_role("textbox", name="Name", exact=True).fill(RENAMED)

    mentee = role_section(hub, "mentee")
    stage = mentee.locator("details").filter(has_text=re.compile(r"^\s*Career stage: no condition"))
    qualified = stage.get_by_role("checkbox", name="Qualified")
    expect(qualified).to_be_hidden()  # folded away until opened
    stage.locator("summary").click()
    expect(stage).to_have_js_property("open", True)
    qualified.check()
    assert send(hub, "Send for review") == 302  # to the change, now waiting for review

    expect(hub).to_have_url(re.compile(r"/editor/changes/\d+$"))
    change_url = hub.url
    expect(hub.locator(".govuk-notification-banner--success")).to_contain_text(
        "Sent to a curator for review"
    )
    expect(hub.locator(".govuk-caption-l")).to_have_text("Proposed edit · Pending")

    # The public still sees the published version.
    public = editor_page(None)
    public.goto("/schemes/csp-mentoring")
    expect(public.get_by_role("heading", level=1)).to_have_text(CSP)

    # A curator, signed in elsewhere, finds it waiting and reads the differences.
    curator = editor_page(CURATOR)
    waiting = curator.get_by_role("link", name=f"Edit: {RENAMED}")
    expect(waiting).to_be_visible()
    waiting.click()
    expect(curator).to_have_url(change_url)
    expect(curator.get_by_text("Proposed by Hugh (hugh@example.org)")).to_be_visible()
    differences = curator.get_by_role("table", name="What this change changes")
    name_row = differences.get_by_role("row", name=re.compile(r"^Name "))
    expect(name_row.locator("del")).to_have_text(CSP)
    expect(name_row.locator("ins")).to_have_text(RENAMED)
    rule_row = differences.get_by_role("row", name=re.compile(r"^Who can be a mentee "))
    expect(rule_row.locator("del")).not_to_contain_text("qualified")
    expect(rule_row.locator("ins")).to_contain_text("You are qualified")
    expect(differences.locator("tbody tr")).to_have_count(2)  # nothing else changed
    expect(curator.get_by_text("You are qualified").first).to_be_visible()

    curator.get_by_role("textbox", name="Comment for Hugh").fill("Thank you, Hugh")
    curator.get_by_role("button", name="Approve and publish").click()
    expect(curator).to_have_url(re.compile(r"/editor/changes$"))
    expect(curator.locator(".govuk-notification-banner--success")).to_contain_text(
        "Approved and published"
    )

    # The hub lead sees it approved, with the curator's comment.
    hub.reload()
    expect(hub.locator(".govuk-caption-l")).to_have_text("Proposed edit · Approved")
    expect(hub.get_by_text("Reviewer’s comment: Thank you, Hugh")).to_be_visible()

    # The public finds it by its new name, and its page shows the new condition.
    public.goto("/search")
    form = public.get_by_role("search")
    form.get_by_role("searchbox").fill("peer mentoring circles")
    form.get_by_role("button", name="Search", exact=True).click()
    first = public.locator(".app-result__title a").first
    expect(first).to_have_text(RENAMED)
    first.click()
    expect(public).to_have_url(re.compile(r"/schemes/csp-mentoring$"))
    expect(public.get_by_role("heading", level=1)).to_have_text(RENAMED)
    expect(public.get_by_text("You are qualified").first).to_be_visible()


def test_two_curators_editing_different_fields_both_keep_their_change(editor_page):
    first, second = editor_page(CURATOR), editor_page(OTHER_CURATOR)
    for page in (first, second):
        page.goto("/editor/schemes/bda-mentoring/edit")
        expect(page.get_by_role("button", name="Publish")).to_be_visible()
    first.get_by_role("textbox", name="Cost", exact=True).fill("Free for BDA members")
    send(first, "Publish")
    expect(first).to_have_url(re.compile(r"/schemes/bda-mentoring$"))

    second.get_by_role("textbox", name="How long it lasts", exact=True).fill("A year")
    assert send(second, "Publish") == 302  # merged: they changed different fields
    expect(second).to_have_url(re.compile(r"/schemes/bda-mentoring$"))
    expect(second.locator("main")).to_contain_text("A year")
    expect(second.locator("main")).to_contain_text("Free for BDA members")


def test_the_second_of_two_curators_to_change_one_field_sees_both_and_chooses(editor_page):
    first, second = editor_page(CURATOR), editor_page(OTHER_CURATOR)
    for page in (first, second):
        page.goto("/editor/schemes/bda-mentoring/edit")
    first.get_by_role("textbox", name="How long it lasts", exact=True).fill("Six months")
    send(first, "Publish")
    expect(first).to_have_url(re.compile(r"/schemes/bda-mentoring$"))

    duration = second.get_by_role("textbox", name="How long it lasts", exact=True)
    duration.fill("Two years")
    assert send(second, "Publish") == 409
    conflict = second.locator(".govuk-error-summary").filter(
        has_text="Someone else changed this listing while you were editing it"
    )
    expect(conflict).to_be_visible()
    expect(conflict).to_be_focused()
    expect(conflict).to_contain_text("Theirs (published now): Six months")
    expect(conflict).to_contain_text("Yours: Two years")
    expect(conflict).to_contain_text("yours replaces theirs in How long it lasts")
    expect(duration).to_have_value("Two years")  # their unsaved input is still there

    send(second, "Publish")  # a knowing choice, for that field only
    expect(second).to_have_url(re.compile(r"/schemes/bda-mentoring$"))
    expect(second.locator("main")).to_contain_text("Two years")


def test_a_curator_sees_their_publish_confirmed_on_the_listing(editor_page):
    curator = editor_page(CURATOR)
    curator.goto("/editor/schemes/io-mentoring/edit")
    curator.get_by_role("textbox", name="How long it lasts", exact=True).fill("Twelve months")
    send(curator, "Publish")
    expect(curator).to_have_url(re.compile(r"/schemes/io-mentoring$"))
    expect(curator.locator("main")).to_contain_text("Twelve months")
    # The page has loaded (above), so the banner is there now or not at all.
    banner = curator.locator(".govuk-notification-banner--success")
    assert banner.count() == 1, "no confirmation on the listing page"
    expect(banner).to_contain_text("Published: Institute of Osteopathy mentoring")


# Accessibility ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(editing_server) -> dict:
    """Something on every editor page: a second revision, a pending change, a report."""
    service = editing_server.app.extensions["directory"]
    with service.session() as db:
        scheme, version = editing.published(db, "rcpod-mentoring")
        editing.publish(db, scheme.model_copy(update={"cost": "Free"}), CURATOR, version)
    with service.session() as db:
        scheme, version = editing.published(db, "rcpod-mentoring")
        proposed = scheme.model_copy(update={"duration": "Six months"})
        change = editing.propose(db, proposed, accounts.find(db, HUB_LEAD), version)
        change_id = change.id
        db.add(
            ProblemReport(
                scheme_id="rcpod-mentoring",
                organisation_id=scheme.provider,
                category="out-of-date",
                message="The application page has moved.",
            )
        )
    service.refresh_index()
    return {"change": f"/editor/changes/{change_id}"}


def fill_in_sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def wrong_sign_in(page: Page) -> None:
    fill_in_sign_in(page, "nobody@example.org", "not the password at all")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct email address and password"
    )


def invalid_edit(page: Page) -> None:
    page.goto("/editor/schemes/rcpod-mentoring/edit")
    page.get_by_role("textbox", name="Summary").fill("x" * 301)
    page.get_by_role("textbox", name="Web address of the scheme").fill("not a web address")
    page.get_by_role("button", name="Preview", exact=True).click()  # saves nothing
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("300 characters or fewer")


def empty_report(page: Page) -> None:
    page.goto("/schemes/rcpod-mentoring/report")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_title(re.compile(r"^Error: "))


# (name, who is signed in, where, or a function that gets there)
EDITOR_PAGES = [
    ("sign-in", None, "/sign-in"),
    ("sign-in-error", None, wrong_sign_in),
    ("dashboard", CURATOR, "/editor/"),
    ("dashboard-hub-lead", HUB_LEAD, "/editor/"),
    ("edit-form", CURATOR, "/editor/schemes/rcpod-mentoring/edit"),
    ("edit-form-errors", CURATOR, invalid_edit),
    ("changes", CURATOR, "/editor/changes"),
    ("change", CURATOR, "change"),
    ("history", CURATOR, "/editor/schemes/rcpod-mentoring/history"),
    ("problem-reports", CURATOR, "/editor/reports"),
    ("accounts", CURATOR, "/editor/users"),
    ("organisations", CURATOR, "/editor/organisations"),
    ("audit-log", CURATOR, "/editor/audit"),
    ("report-a-problem", None, "/schemes/rcpod-mentoring/report"),
    ("report-a-problem-errors", None, empty_report),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("who", "where"),
    [pytest.param(who, where, id=name) for name, who, where in EDITOR_PAGES],
)
def test_editor_page_has_no_axe_violations(editor_page, seeded, who, where):
    page = editor_page(who, bypass_csp=True, shared=True)
    if callable(where):
        where(page)
    else:
        response = page.goto(seeded.get(where, where))
        assert response is not None and response.status == 200
    page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true })")
    assert_no_axe_violations(page)


# Issue 17: nothing typed is lost, and people are told -------------------------------------


@pytest.fixture
def inbox(editing_server):
    """The editing server sends its mail to a real SMTP server here, which the test reads."""
    from aiosmtpd.controller import Controller

    found = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        found.port = probe.getsockname()[1]
    controller = Controller(found, hostname="127.0.0.1", port=found.port)
    controller.start()
    app = editing_server.app
    before = app.config["MAIL_SETTINGS"]
    app.config["MAIL_SETTINGS"] = smtp_settings(found)
    app.extensions.pop("mailer", None)
    yield found
    app.config["MAIL_SETTINGS"] = before
    app.extensions.pop("mailer", None)
    controller.stop()


def mailed_link(inbox: Inbox, to: str, subject: str) -> str:
    """The path of the link in the newest mail to `to` whose subject has `subject`."""
    for _ in range(50):  # mail leaves just after the response: give it a moment
        found = [m for m in inbox.to(to) if subject in m["Subject"]]
        if found:
            return re.search(r"https?://[^/\s]+(/\S+)", inbox.body(found[-1])).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} about {subject!r}")


@pytest.mark.parametrize("width", WIDTHS)
def test_saving_an_organisation_keeps_its_courses_and_a_curator_can_add_one(
    editor_page, screenshot, width
):
    curator = editor_page(CURATOR, width=width)
    curator.goto("/editor/organisations/ljmu/edit")
    courses = curator.get_by_role("textbox", name="Courses (universities and colleges only)")
    expect(courses).to_have_value(re.compile(r"^mpharm: Master of Pharmacy \(MPharm\)"))
    curator.get_by_role("textbox", name="Description").fill("A university in Liverpool.")
    screenshot(curator, "organisation-form")
    curator.get_by_role("button", name="Save", exact=True).click()
    expect(curator.locator(".govuk-notification-banner--success")).to_contain_text("Saved")
    public = editor_page(None)
    public.goto("/schemes/ljmu-mpharm-near-peer-mentoring")
    expect(public.locator("main")).to_contain_text("Master of Pharmacy")


def test_verifying_leaves_a_waiting_edit_approvable_and_mail_tells_each_step(
    editor_page, inbox, editing_server
):
    hub = editor_page(HUB_LEAD)
    hub.goto("/editor/schemes/csp-mentoring/edit")
    hub.get_by_role("textbox", name="Cost", exact=True).fill("Free to CSP members")
    hub.get_by_role("textbox", name="Note to the curator (optional)").fill("From the CSP page")
    assert send(hub, "Send for review") == 302
    expect(hub.locator(".govuk-notification-banner--success")).to_contain_text(
        "They have been sent an email"
    )

    curator = editor_page(CURATOR)
    service = editing_server.app.extensions["directory"]
    with service.session() as db:  # a curator marks it verified meanwhile
        _, version = editing.published(db, "csp-mentoring")
        editing.verify(db, "csp-mentoring", CURATOR, version, dt.date.today())

    curator.goto(mailed_link(inbox, CURATOR, "Change waiting for review"))
    expect(curator.locator("main")).to_contain_text("Note from Hugh: From the CSP page")
    expect(curator.locator("main")).not_to_contain_text("cannot be approved")
    curator.get_by_role("button", name="Approve and publish").click()
    expect(curator.locator(".govuk-notification-banner--success")).to_contain_text("Approved")

    hub.goto(mailed_link(inbox, HUB_LEAD, "was approved"))
    expect(hub.locator(".govuk-caption-l")).to_have_text("Proposed edit · Approved")
    public = editor_page(None)
    public.goto("/schemes/csp-mentoring")
    expect(public.locator("main")).to_contain_text("Free to CSP members")


def test_saving_after_a_conflict_keeps_the_curators_summary(editor_page, screenshot, width):
    hub = editor_page(HUB_LEAD, width=width)
    hub.goto("/editor/schemes/csp-mentoring/edit")
    curator = editor_page(CURATOR)
    curator.goto("/editor/schemes/csp-mentoring/edit")
    summary = "Mentoring for CSP members, matched through the CSP's own scheme."
    curator.get_by_role("textbox", name="Summary").fill(summary)
    curator.get_by_role("textbox", name="How long it lasts", exact=True).fill("Six months")
    send(curator, "Publish")

    hub.get_by_role("textbox", name="How long it lasts", exact=True).fill("A year")
    assert send(hub, "Send for review") == 409
    conflict = hub.locator(".govuk-error-summary")
    expect(conflict).to_contain_text("yours replaces theirs in How long it lasts")
    expect(conflict).not_to_contain_text("Summary")
    screenshot(hub, "conflict")
    assert send(hub, "Send for review") == 302

    curator.goto(hub.url)
    expect(curator.locator(".govuk-warning-text")).to_contain_text(
        "chose to replace their version with this one there"
    )
    changed = curator.get_by_role("table", name="What this change changes")
    expect(changed).to_contain_text("How long it lasts")
    expect(changed).not_to_contain_text("Summary")  # the curator's summary is kept
    screenshot(curator, "change-with-warning")


def test_a_form_sent_after_the_session_ended_comes_back_after_signing_in(editor_page, screenshot):
    hub = editor_page(HUB_LEAD)
    hub.goto("/editor/schemes/csp-mentoring/edit")
    typed = "Typed over half an hour, then the session ended."
    hub.get_by_role("textbox", name="Description").fill(typed)
    hub.context.clear_cookies()  # what a 30-minute idle session amounts to
    hub.get_by_role("button", name="Send for review", exact=True).click()
    expect(hub).to_have_url(re.compile(r"/sign-in\?next="))
    expect(hub.locator("main")).to_contain_text("sign in again to carry on")
    screenshot(hub, "signed-out")
    hub.get_by_role("textbox", name="Email address").fill(HUB_LEAD)
    hub.get_by_role("textbox", name="Password").fill(PASSWORD)
    hub.get_by_role("button", name="Sign in", exact=True).click()
    expect(hub).to_have_url(re.compile(r"/editor/schemes/csp-mentoring/edit\?restore="))
    expect(hub.locator("main")).to_contain_text("This is what you typed before you were signed out")
    expect(hub.get_by_role("textbox", name="Description")).to_have_value(typed)
    assert send(hub, "Send for review") == 302


def test_editors_are_warned_before_the_session_ends_and_can_stay(editor_page):
    hub = editor_page(HUB_LEAD)
    hub.clock.install()
    hub.goto("/editor/schemes/csp-mentoring/edit")
    warning = hub.locator('[data-module="app-session-warning"]')
    expect(warning).to_be_hidden()
    hub.clock.fast_forward("25:01")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("You will be signed out at")
    hub.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()


def test_a_problem_report_is_mailed_to_the_hub_lead_with_a_link(editor_page, inbox):
    public = editor_page(None)
    public.goto("/schemes/csp-mentoring/report")
    public.get_by_role("radio", name="A link does not work").check()
    public.get_by_role("textbox", name="Tell us more").fill("The sign-up link goes nowhere.")
    public.get_by_role("button", name="Send report").click()
    hub = editor_page(HUB_LEAD)
    hub.goto(mailed_link(inbox, HUB_LEAD, "Problem reported"))
    expect(hub.locator("main")).to_contain_text("The sign-up link goes nowhere.")


ISSUE_17_PAGES = [
    ("organisation-form", CURATOR, "/editor/organisations/ljmu/edit"),
    ("new-listing", HUB_LEAD, "/editor/schemes/new"),
    ("edit-form-hub-lead", HUB_LEAD, "/editor/schemes/csp-mentoring/edit"),
    ("forgot-password", None, "/forgot-password"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("who", "where"),
    [pytest.param(who, where, id=name) for name, who, where in ISSUE_17_PAGES],
)
def test_issue_17_pages_have_no_axe_violations(editor_page, who, where, screenshot):
    page = editor_page(who, bypass_csp=True, shared=True)
    response = page.goto(where)
    assert response is not None and response.status == 200
    page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true })")
    assert_no_axe_violations(page)
    screenshot(page)
