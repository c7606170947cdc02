"""Issue 17, item 10: differences read as words (never field paths or JSON), and a closed
change shows what it changed then, not a difference against today's listing."""

from __future__ import annotations

from bs4 import BeautifulSoup

from directory import accounts, editing
from tests.web.conftest import text_of
from tests.web.editing_fixtures import CSP_LEAD, CURATOR, sign_in
from tests.web.html_forms import main_form

LONG_URL = "https://www.csp.org.uk/professional-clinical/cpd-and-education/" + "mentoring-" * 12


def diff_rows(html: str, caption: str) -> dict[str, tuple[str, str]]:
    """{field: (was, now)} from the page's table of differences with that caption."""
    soup = BeautifulSoup(html, "html.parser")
    table = next(t for t in soup.select("table.app-diff") if caption in t.caption.get_text())
    rows = {}
    for row in table.select("tbody tr"):
        was, now = (cell.find(["del", "ins"]) for cell in row.find_all("td"))
        rows[row.th.get_text(strip=True)] = (
            was.get_text() if was else "",
            now.get_text() if now else "",
        )
    return rows


def propose(app, email: str, scheme_id: str, **updates) -> int:
    with app.extensions["directory"].session() as db:
        scheme, version = editing.published(db, scheme_id)
        change = editing.propose(
            db, scheme.model_copy(update=updates), accounts.find(db, email), version
        )
        return change.id


def test_a_change_page_shows_rules_lists_and_long_addresses_in_words(editing_app):
    with editing_app.extensions["directory"].session() as db:
        scheme, _ = editing.published(db, "csp-mentoring")
    mentee = scheme.eligibility["mentee"]
    rule = {"all": [*mentee.rule["all"], {"stage": "qualified"}]}
    change_id = propose(
        editing_app,
        CSP_LEAD,
        "csp-mentoring",
        eligibility={**scheme.eligibility, "mentee": mentee.model_copy(update={"rule": rule})},
        regions=("scotland", "wales"),
        url=LONG_URL,
    )
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = curator.get(f"/editor/changes/{change_id}").get_data(as_text=True)
    rows = diff_rows(page, "What this change changes")
    assert set(rows) == {"Who can be a mentee", "Where it is offered", "Web address of the scheme"}
    _, now = rows["Who can be a mentee"]
    assert now.splitlines() == [
        "All of these apply:",
        "• You are a physiotherapist",
        "• You are a member of the Chartered Society of Physiotherapy (CSP)",
        "• You are qualified",
    ]
    assert rows["Where it is offered"] == ("Not stated in the sources", "Scotland and Wales")
    assert rows["Web address of the scheme"][1] == LONG_URL
    values = " ".join(was + now for was, now in rows.values())
    assert "{" not in values and "[" not in values and "eligibility." not in page


def test_a_closed_change_shows_what_it_changed_then(editing_app):
    with editing_app.extensions["directory"].session() as db:
        scheme, _ = editing.published(db, "csp-mentoring")
    before = scheme.cost
    change_id = propose(editing_app, CSP_LEAD, "csp-mentoring", cost="Free")
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    curator.post(f"/editor/changes/{change_id}/approve", data={"comment": ""})
    with editing_app.extensions["directory"].session() as db:  # changed again since
        scheme, version = editing.published(db, "csp-mentoring")
        editing.publish(db, scheme.model_copy(update={"cost": "£5 a month"}), CURATOR, version)
    page = curator.get(f"/editor/changes/{change_id}").get_data(as_text=True)
    assert "Proposed edit · Approved" in text_of(page)
    assert diff_rows(page, "What this change changed") == {"Cost": (before, "Free")}


def test_the_conflict_box_shows_both_versions_in_words(editing_app):
    first, second = editing_app.test_client(), editing_app.test_client()
    sign_in(first, CURATOR)
    sign_in(second, CURATOR)
    url = "/editor/schemes/csp-mentoring/edit"
    mine = main_form(first.get(url).get_data(as_text=True))
    theirs = main_form(second.get(url).get_data(as_text=True))
    for form, region in ((theirs, "scotland"), (mine, "wales")):
        form["regions_stated"] = "yes"
        form.setlist("regions", [region])
        form["action"] = "save"
    assert second.post(url, data=theirs).status_code == 302
    response = first.post(url, data=mine)
    assert response.status_code == 409
    box = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        ".govuk-error-summary .app-diff"
    )
    text = " ".join(box.get_text(" ").split())
    assert "Where it is offered" in text
    assert "Theirs (published now): Scotland" in text and "Yours: Wales" in text
    assert "[" not in text and '"' not in text
