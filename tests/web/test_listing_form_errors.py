"""Issue 17: the listing form's error messages, GOV.UK style: each names its field in
plain words, the summary lists them in the order of the page, once each, and every one
links to a field that is on the page (the rule's errors too)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.web.editing_fixtures import CSP_LEAD, CURATOR, sign_in
from tests.web.html_forms import main_form
from tests.web.test_rule_form import publish_mentee_rule

JARGON = ("slug", "should ", "None", "not a valid", "Not a valid", "eligibility", "[0]")
EDIT = "/editor/schemes/csp-mentoring/edit"


def summary_of(html: str) -> list[tuple[str, str]]:
    """The error summary's (message, link target id), checked GOV.UK style: every message
    links to a field on the page, in the page's order, and no two read alike."""
    soup = BeautifulSoup(html, "html.parser")
    items = soup.select(".govuk-error-summary__list li")
    found = []
    for item in items:
        link = item.find("a")
        assert link is not None, f"not linked to its field: {item.get_text(strip=True)}"
        found.append((link.get_text(strip=True), link["href"].removeprefix("#")))
    targets = [soup.find(id=target) for _, target in found]
    missing = [found[i] for i, t in enumerate(targets) if t is None]
    assert not missing, f"links to nothing on the page: {missing}"
    assert all(t.name in ("input", "textarea", "select") for t in targets), targets
    in_page = [element.get("id") for element in soup.find_all(id=True)]
    positions = [in_page.index(target) for _, target in found]
    assert positions == sorted(positions), f"not in page order: {found}"
    messages = [message for message, _ in found]
    assert len(messages) == len(set(messages)), f"repeated: {messages}"
    for message in messages:
        assert not any(word in message for word in JARGON), message
        # The same words beside the field.
        assert message in soup.select_one(f"#{found[messages.index(message)][1]}").find_parent(
            class_="govuk-form-group--error"
        ).get_text(" ", strip=True)
    return found


def post(client, url: str, changes: dict) -> str:
    form = main_form(client.get(url).get_data(as_text=True))
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        elif isinstance(value, list):
            form.setlist(key, value)
        else:
            form[key] = value
    form["action"] = changes.get("action", "save")
    return client.post(url, data=form).get_data(as_text=True)


@pytest.fixture
def curator(editing_app):
    client = editing_app.test_client()
    sign_in(client, CURATOR)
    return client


def test_a_new_listing_with_everything_missing_lists_each_field_in_page_order(curator):
    html = post(
        curator,
        "/editor/schemes/new",
        {
            "scheme_id": "Bad Id",
            "url": "not a web address",
            "sources-0-url": "ftp://example.org",
            "role_mentee-reference": "",
            "role_mentee-evidence": "",
        },
    )
    assert [message for message, _ in summary_of(html)] == [
        "Enter a short name for the web address using only lower-case letters, numbers "
        "and hyphens, like csp-peer-mentoring",
        "Enter the listing’s name",
        "Select the organisation that runs this listing",
        "Enter a summary",
        "Enter a description",
        "Enter a web address starting with https://, like https://www.csp.org.uk/mentoring",
        "Enter where the source says who can take part as a mentee (a web address or document)",
        "Enter the title of source 1",
        "Enter the web address of source 1, starting with https://, like "
        "https://www.csp.org.uk/mentoring",
    ]


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        (
            {"role_mentee-reference": "", "role_mentor-reference": "", "summary": "x" * 301},
            [
                "Summary must be 300 characters or fewer",
                "Enter where the source says who can take part as a mentee "
                "(a web address or document)",
                "Enter where the source says who can take part as a mentor "
                "(a web address or document)",
            ],
        ),
        (
            {"sources-0-date": "yesterday", "sources-1-url": "ftp://example.org"},
            [
                "Enter the date source 1 gives, like 2024, 2024-09 or 2024-09-15",
                "Enter the web address of source 2, starting with https://, like "
                "https://www.csp.org.uk/mentoring",
            ],
        ),
        (
            {"windows-0-opens": ["1", "2", "2027"], "applications_timing": "windows"},
            ["Enter the date application window 1 closes"],
        ),
        (
            {"windows-0-opens": ["31", "2", "2027"], "status_checked": ["40", "1", "2026"]},
            [
                "The date application window 1 opens must be a real date",
                "The date you checked must be a real date",
            ],
        ),
        (
            {"status_state": "running"},
            ["Enter the page that says whether it still runs, with a quotation from it"],
        ),
        (
            {"status_state": "running", "status_evidence-0-title": "A page"},
            ["Enter what evidence 1 says, in the page’s own words"],
        ),
        (  # the rule's own errors link to the role they are about
            {"role_mentee-offered": None, "role_mentor-offered": None},
            ["Select at least one way to take part: as a mentee or as a mentor"],
        ),
    ],
)
def test_each_message_names_its_field_and_links_to_it(curator, changes, messages):
    assert [message for message, _ in summary_of(post(curator, EDIT, changes))] == messages


def test_a_kept_rule_changed_outside_the_form_is_linked_to_its_role(curator, editing_app):
    two_choices = {
        "all": [
            {"any": [{"stage": "student"}, {"region": "london"}]},
            {"any": [{"member_of": "csp"}, {"profession": "ahp"}]},
        ]
    }
    publish_mentee_rule(editing_app, two_choices)  # a rule the form keeps as it is
    found = summary_of(post(curator, EDIT, {"role_mentee-advanced": "{not json"}))
    assert found == [
        ("This rule was changed outside the form: reload the page", "role_mentee-offered")
    ]


def test_a_new_listings_organisation_is_chosen_not_defaulted(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = BeautifulSoup(curator.get("/editor/schemes/new").get_data(as_text=True), "html.parser")
    chosen = page.select_one("#provider option[selected]")
    assert chosen is not None and chosen["value"] == "", "an organisation was chosen for them"
    assert (
        page.select_one('#provider option[value=""]').get_text(strip=True)
        == "Choose the organisation"
    )


@pytest.mark.parametrize(
    ("who", "heading", "button"),
    [
        (CURATOR, "Add a new listing", "Publish"),
        (CSP_LEAD, "Propose a new listing", "Send for review"),
    ],
)
def test_a_new_listings_words_match_what_the_button_does(editing_app, who, heading, button):
    client = editing_app.test_client()
    sign_in(client, who)
    page = BeautifulSoup(client.get("/editor/schemes/new").get_data(as_text=True), "html.parser")
    assert page.find("h1").get_text(strip=True) == heading
    assert page.select_one('button[value="save"]').get_text(strip=True) == button
