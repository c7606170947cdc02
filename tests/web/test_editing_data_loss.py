"""Issue 17: the editing paths that used to lose or corrupt someone's work."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from directory import editing
from directory.models import PendingChange, SchemeRow
from tests.web.conftest import text_of
from tests.web.editing_fixtures import (
    CSP_LEAD,
    CURATOR,
    DRAFT_NAME,
    copy_editing_app,
    ids,
    sign_in,
    try_sign_in,
)
from tests.web.html_forms import main_form


def organisation_document(app, org_id):
    from directory.models import OrganisationRow

    with app.extensions["directory"].session() as db:
        return db.get(OrganisationRow, org_id).document


def test_saving_an_organisation_keeps_its_courses(editing_app, caplog):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/organisations/ljmu/edit").get_data(as_text=True))
    form["description"] = "A university in Liverpool."
    response = curator.post("/editor/organisations/ljmu/edit", data=form)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    document = organisation_document(editing_app, "ljmu")
    assert document["description"] == "A university in Liverpool."
    assert [p["slug"] for p in document["programmes"]] == ["mpharm"]
    assert document["programmes"][0]["synonyms"] == ["MPharm", "pharmacy degree"]
    editing_app.test_client().get("/schemes/ljmu-mpharm-near-peer-mentoring")
    assert "no longer compile" not in caplog.text  # the LJMU listing's rules still work


def test_a_form_without_the_courses_field_never_blanks_them(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/organisations/ljmu/edit").get_data(as_text=True))
    del form["programmes"]
    form["description"] = "Changed"
    assert curator.post("/editor/organisations/ljmu/edit", data=form).status_code == 302
    assert organisation_document(editing_app, "ljmu")["programmes"][0]["slug"] == "mpharm"


def test_a_curator_manages_an_organisations_courses(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = curator.get("/editor/organisations/ljmu/edit").get_data(as_text=True)
    assert "Courses" in text_of(page)
    form = main_form(page)
    assert "mpharm: Master of Pharmacy (MPharm)" in form["programmes"]
    form["programmes"] += "\nbsc-nursing-ljmu: BSc (Hons) Nursing"
    assert curator.post("/editor/organisations/ljmu/edit", data=form).status_code == 302
    slugs = [p["slug"] for p in organisation_document(editing_app, "ljmu")["programmes"]]
    assert slugs == ["mpharm", "bsc-nursing-ljmu"]


def test_a_course_a_listing_asks_about_cannot_be_removed(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/organisations/ljmu/edit").get_data(as_text=True))
    form["programmes"] = ""
    response = curator.post("/editor/organisations/ljmu/edit", data=form)
    assert response.status_code == 200
    assert "asks about it" in text_of(response.get_data(as_text=True))
    assert organisation_document(editing_app, "ljmu")["programmes"][0]["slug"] == "mpharm"


def test_an_organisation_can_be_given_sources(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/organisations/ljmu/edit").get_data(as_text=True))
    index = len([k for k in form if k.endswith("-title")]) - 1
    form[f"sources-{index}-title"] = "LJMU home page"
    form[f"sources-{index}-url"] = "https://www.ljmu.ac.uk/"
    assert curator.post("/editor/organisations/ljmu/edit", data=form).status_code == 302
    sources = organisation_document(editing_app, "ljmu")["sources"]
    assert sources[-1] == {"title": "LJMU home page", "url": "https://www.ljmu.ac.uk/"}


def published_document(app, scheme_id):
    with app.extensions["directory"].session() as db:
        return db.get(SchemeRow, scheme_id).document


def test_verifying_a_listing_leaves_a_waiting_edit_approvable(editing_app):
    found = ids(editing_app)
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    verified = curator.post("/editor/schemes/csp-mentoring/verify", data={"confirm": "yes"})
    assert verified.status_code == 302
    verified = published_document(editing_app, "csp-mentoring")["last_verified"]
    change_url = f"/editor/changes/{found.changes['csp']}"
    assert "cannot be approved" not in text_of(curator.get(change_url).get_data(as_text=True))
    assert curator.post(change_url + "/approve", data={}).status_code == 302
    document = published_document(editing_app, "csp-mentoring")
    assert document["name"] == DRAFT_NAME["csp"]
    assert document["last_verified"] == verified


def test_a_second_edit_of_other_fields_merges_once_the_first_is_approved(editing_app):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    form = main_form(hub.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True))
    form["cost"] = "Free to members"
    form["action"] = "save"
    second = hub.post("/editor/schemes/csp-mentoring/edit", data=form).location
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    curator.post(f"/editor/changes/{ids(editing_app).changes['csp']}/approve", data={})
    assert curator.post(second + "/approve", data={}).status_code == 302
    document = published_document(editing_app, "csp-mentoring")
    assert (document["name"], document["cost"]) == (DRAFT_NAME["csp"], "Free to members")


def test_saving_after_a_conflict_keeps_their_other_fields_and_says_where_yours_wins(
    editing_app,
):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    form = main_form(hub.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True))
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    theirs = main_form(curator.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True))
    theirs["summary"] = "A summary the curator corrected from the CSP's page."
    theirs["cost"] = "Free"
    theirs["action"] = "save"
    assert curator.post("/editor/schemes/csp-mentoring/edit", data=theirs).status_code == 302

    form["cost"] = "£10 for non-members"
    form["action"] = "save"
    conflict = hub.post("/editor/schemes/csp-mentoring/edit", data=form)
    assert conflict.status_code == 409
    text = text_of(conflict.get_data(as_text=True))
    assert "yours replaces theirs in Cost" in text
    again = main_form(conflict.get_data(as_text=True))
    again["action"] = "save"
    saved = hub.post("/editor/schemes/csp-mentoring/edit", data=again)
    assert saved.status_code == 302
    with editing_app.extensions["directory"].session() as db:
        change = db.exec(select(PendingChange).order_by(PendingChange.id.desc())).first()
        assert change.document["summary"] == "A summary the curator corrected from the CSP's page."
        assert change.document["cost"] == "£10 for non-members"
        assert change.replaces == ["cost"]
    page = text_of(curator.get(saved.location).get_data(as_text=True))
    assert "chose to replace their version with this one there" in page and "Cost" in page
    assert "Summary" not in page.split("What this change changes")[1]


def test_merge_takes_each_sides_own_fields_and_reports_real_overlaps_only():
    base = {"name": "A", "cost": None, "eligibility": {"mentee": {"rule": {"x": 1}, "ev": "e"}}}
    mine = {"name": "A", "cost": "Free", "eligibility": {"mentee": {"rule": {"x": 2}, "ev": "e"}}}
    theirs = {"name": "B", "cost": None, "eligibility": {"mentee": {"rule": {"x": 1}, "ev": "f"}}}
    merged, overlaps = editing.merge(base, mine, theirs)
    assert merged == {
        "name": "B",
        "cost": "Free",
        "eligibility": {"mentee": {"rule": {"x": 2}, "ev": "f"}},
    }
    assert overlaps == []
    _, overlaps = editing.merge(base, {**base, "name": "C"}, theirs)
    assert [(o.field, o.theirs, o.yours) for o in overlaps] == [("name", "B", "C")]


def test_a_field_the_form_rewrote_unchanged_is_not_an_edit():
    original = {"regions": None, "summary": "S"}
    shown = {"regions": [], "summary": "S"}
    assert editing.keep_untouched(original, shown, {"regions": [], "summary": "T"}) == {
        "regions": None,
        "summary": "T",
    }


@pytest.fixture
def csrf_editing_app(editing_template, tmp_path, fast_password_checks):
    folder = tmp_path / "csrf"
    folder.mkdir()
    app = copy_editing_app(editing_template, folder, WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["directory"].close()


@pytest.mark.parametrize("csrf", [True, False])
def test_a_form_sent_after_the_session_ended_is_kept_until_signed_in_again(csrf, request):
    app = request.getfixturevalue("csrf_editing_app" if csrf else "editing_app")
    hub = app.test_client()
    sign_in(hub, CSP_LEAD)
    form = main_form(hub.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True))
    form["summary"] = "Typed for half an hour before saving."
    form["action"] = "save"
    later = app.test_client()  # the session cookie has expired: a browser sends none
    response = later.post("/editor/schemes/csp-mentoring/edit", data=form)
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")
    assert "sign in again" in text_of(later.get(response.location).get_data(as_text=True))
    back = parse_qs(urlsplit(response.location).query)["next"][0]
    signed = try_sign_in(later, CSP_LEAD, next=back)
    assert signed.location == back
    page = later.get(back).get_data(as_text=True)
    assert "Nothing is saved yet" in text_of(page)
    restored = main_form(page)
    assert restored["summary"] == "Typed for half an hour before saving."
    restored["action"] = "save"
    assert later.post("/editor/schemes/csp-mentoring/edit", data=restored).status_code == 302
    assert "restore" not in later.get(back).get_data(as_text=True)  # kept once only


def test_a_kept_form_is_only_for_its_own_page(editing_app):
    with editing_app.extensions["directory"].session() as db:
        token = editing.keep_form(db, "/editor/schemes/csp-mentoring/edit", [("summary", "x")])
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = curator.get(f"/editor/schemes/sor-leadership-mentoring/edit?restore={token}")
    assert "Nothing is saved yet" not in text_of(page.get_data(as_text=True))


def test_editing_pages_warn_before_the_session_ends_and_can_keep_it(editing_app):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    page = hub.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True)
    assert 'data-module="app-session-warning"' in page and 'data-lifetime-seconds="1800"' in page
    assert "You are signed out after 30 minutes without saving" in text_of(page)
    assert hub.get("/editor/still-here").json == {"ok": True, "signed_in": True}


def test_saving_a_listing_keeps_its_status_and_the_dates_its_sources_give(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    url = "/editor/schemes/example-between-rounds-scheme/edit"
    form = main_form(curator.get(url).get_data(as_text=True))
    form["cost"] = "Free"
    form["action"] = "save"
    assert curator.post(url, data=form).status_code == 302
    document = published_document(editing_app, "example-between-rounds-scheme")
    assert document["cost"] == "Free"
    assert document["sources"][0]["date"] == "2026-03"
    assert document["status"]["state"] == "not-running-now"
    assert document["status"]["evidence"][0]["quote"] == "There is no round open at the moment."
    assert document["status"]["checked"] == "2026-11-01"


def test_a_hub_lead_sets_a_listings_status_with_its_evidence(editing_app):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    form = main_form(hub.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True))
    form["status_state"] = "running"
    form.setlist("status_checked", ["1", "12", "2026"])  # day, month and year boxes
    form["status_evidence-0-title"] = "CSP mentoring page"
    form["status_evidence-0-url"] = "https://www.csp.org.uk/mentoring"
    form["status_evidence-0-date"] = "2026-11"
    form["status_evidence-0-quote"] = "Sign up to be a mentee."
    form["action"] = "save"
    response = hub.post("/editor/schemes/csp-mentoring/edit", data=form)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    with editing_app.extensions["directory"].session() as db:
        change = db.get(PendingChange, int(response.location.rsplit("/", 1)[1]))
        status = change.document["status"]
    assert status["state"] == "running" and status["checked"] == "2026-12-01"
    assert status["evidence"][0]["date"] == "2026-11"


def test_the_preview_covers_every_section(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    url = "/editor/schemes/example-between-rounds-scheme/edit"
    form = main_form(curator.get(url).get_data(as_text=True))
    form["action"] = "preview"
    page = text_of(curator.post(url, data=form).get_data(as_text=True))
    preview = page.split("Preview: how the public will see it")[1].split("Nothing is saved")[0]
    for heading in ("Who can take part", "Applying", "Sources", "Whether it still runs"):
        assert heading in preview
    assert "Not running now" in preview and "There is no round open at the moment." in preview


def test_the_review_queue_puts_unknown_status_first_then_old_sources():
    from directory import catalogue as cat
    from directory import vocabulary as vocab
    from tests.conftest import DEFAULT_DATA_DIR, FIXTURE_CATALOGUE

    catalogue = cat.load(FIXTURE_CATALOGUE, vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml"))
    listings = list(catalogue.schemes.values())
    queue = editing.review_queue(listings, dt.date(2030, 1, 1))
    reasons = [reason for _, reason in queue]
    first_known = next(i for i, r in enumerate(reasons) if r != "not known whether it still runs")
    assert all(r == "not known whether it still runs" for r in reasons[:first_known])
    assert all(r.startswith(("newest source", "no source")) for r in reasons[first_known:])
    assert len(queue) == len(listings)  # in 2030 everything needs looking at


def test_editing_a_listing_with_a_change_waiting_says_whose_and_links_to_it(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = curator.get("/editor/schemes/csp-mentoring/edit").get_data(as_text=True)
    change = ids(editing_app).changes["csp"]
    assert "csp-lead proposed a change to this listing on" in text_of(page)
    assert f'href="/editor/changes/{change}"' in page
    dashboard = text_of(curator.get("/editor/").get_data(as_text=True))
    assert "proposed by csp-lead on" in dashboard


def test_a_curators_new_listing_does_not_default_to_the_first_organisation(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/schemes/new").get_data(as_text=True))
    assert form.get("provider", "") == ""
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    assert main_form(hub.get("/editor/schemes/new").get_data(as_text=True))["provider"] == "csp"


def test_every_change_to_the_catalogue_is_in_the_audit_log(editing_app):
    from directory.models import AuditEntry

    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/schemes/bda-mentoring/edit").get_data(as_text=True))
    form["cost"], form["action"] = "Free", "save"
    curator.post("/editor/schemes/bda-mentoring/edit", data=form)
    curator.post("/editor/schemes/bda-mentoring/verify", data={"confirm": "yes"})
    asked = curator.post("/editor/schemes/bda-mentoring/revisions/1/restore", data={})
    assert "Restore revision 1 of" in text_of(asked.get_data(as_text=True))  # asks first
    curator.post("/editor/schemes/bda-mentoring/revisions/1/restore", data={"confirm": "yes"})
    with editing_app.extensions["directory"].session() as db:
        actions = {
            e.action
            for e in db.exec(select(AuditEntry).where(AuditEntry.target == "bda-mentoring"))
        }
    assert {"publish", "verify", "restore"} <= actions


def test_form_errors_name_the_field_in_govuk_words(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get("/editor/schemes/new").get_data(as_text=True))
    form["scheme_id"], form["url"], form["action"] = "Bad Id", "not a web address", "preview"
    page = text_of(curator.post("/editor/schemes/new", data=form).get_data(as_text=True))
    summary = page.split("There is a problem")[1]
    assert "Enter the listing’s name" in summary
    assert "Select the organisation that runs this listing" in summary
    assert "Enter a summary" in summary
    assert "Enter a web address starting with https://, like https://www.csp.org.uk/mentoring" in (
        summary
    )
    assert "slug" not in page and "should not be empty" not in page
