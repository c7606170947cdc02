"""Hub leads and curators keeping listings current: the whole workflow."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlmodel import select

from directory import accounts, catalogue, editing
from directory.models import AuditEntry, PendingChange, ProblemReport, Revision, SchemeRow
from tests.web.conftest import make_app, text_of
from tests.web.html_forms import main_form

PASSWORD = "a long enough password 42"


@pytest.fixture
def editing_app(tmp_path, database_url):
    """A fresh app (SQLite and PostgreSQL) with a curator and a CSP hub lead."""
    app = make_app(tmp_path, database_url)
    with app.extensions["directory"].session() as db:
        for email, role, orgs in (
            ("cara@example.org", "curator", []),
            ("hugh@example.org", "hub_lead", ["csp"]),
        ):
            user = accounts.add_user(db, email, email.split("@")[0].title(), role, orgs, "test")
            accounts.set_password(user, PASSWORD)
    yield app
    app.extensions["directory"].close()


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    return client


def edit(client, scheme_id, **changes):
    """Open a listing's edit form, change some fields, and save it."""
    values = main_form(client.get(f"/editor/schemes/{scheme_id}/edit").get_data(as_text=True))
    for key, value in changes.items():
        values.setlist(key.replace("__", "-"), value if isinstance(value, list) else [value])
    values["action"] = changes.get("action", "save")
    return client.post(f"/editor/schemes/{scheme_id}/edit", data=values), values


def fill(values, changes: dict) -> None:
    """Set form fields, replacing what is there (MultiDict.update would add)."""
    for key, value in changes.items():
        values[key] = value


def published_name(app, scheme_id):
    with app.extensions["directory"].session() as db:
        return db.get(SchemeRow, scheme_id).name


def test_a_curator_publishes_directly_and_search_sees_it_at_once(editing_app):
    curator = signed_in(editing_app, "cara@example.org")
    response, _ = edit(curator, "csp-mentoring", name="CSP mentoring for everyone in physiotherapy")
    assert response.status_code == 302
    assert response.headers["Location"] == "/schemes/csp-mentoring"
    public = editing_app.test_client()
    assert "CSP mentoring for everyone in physiotherapy" in public.get(
        "/schemes/csp-mentoring"
    ).get_data(as_text=True)
    found = public.get("/api/v1/schemes?q=everyone+in+physiotherapy").json
    assert found["results"][0]["name"] == "CSP mentoring for everyone in physiotherapy"


def test_a_hub_leads_edit_waits_for_a_curator_and_the_public_sees_the_old_version(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    response, _ = edit(hub, "csp-mentoring", name="CSP mentoring (renamed by Hugh)")
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/editor/changes/"
    )
    assert (
        published_name(editing_app, "csp-mentoring")
        == "Chartered Society of Physiotherapy mentoring scheme"
    )
    change_url = response.headers["Location"]

    curator = signed_in(editing_app, "cara@example.org")
    page = text_of(curator.get(change_url).get_data(as_text=True))
    assert (
        "Chartered Society of Physiotherapy mentoring scheme" in page
        and "CSP mentoring (renamed by Hugh)" in page
    )
    approved = curator.post(change_url + "/approve", data={"comment": "Thanks"})
    assert approved.status_code == 302
    assert published_name(editing_app, "csp-mentoring") == "CSP mentoring (renamed by Hugh)"
    with editing_app.extensions["directory"].session() as db:
        latest = db.exec(
            select(Revision)
            .where(Revision.scheme_id == "csp-mentoring")
            .order_by(Revision.number.desc())
        ).first()
        assert latest.actor == "hugh@example.org (approved by cara@example.org)"
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "approve")).first() is not None
    search = editing_app.test_client().get("/api/v1/schemes?q=renamed+by+Hugh").json
    assert search["total"] == 1


def test_a_curator_rejects_with_a_comment_the_hub_lead_can_read(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    response, _ = edit(hub, "csp-mentoring", cost="£10")
    change_url = response.headers["Location"]
    curator = signed_in(editing_app, "cara@example.org")
    assert curator.post(change_url + "/reject", data={"comment": ""}).status_code == 302
    with editing_app.extensions["directory"].session() as db:
        assert db.exec(select(PendingChange)).one().status == "pending"  # a comment is needed
    curator.post(change_url + "/reject", data={"comment": "No source says it costs £10"})
    assert "No source says it costs £10" in text_of(hub.get(change_url).get_data(as_text=True))
    with editing_app.extensions["directory"].session() as db:
        assert db.exec(select(PendingChange)).one().status == "rejected"


def test_two_editors_changing_different_fields_both_keep_their_change(editing_app):
    first = signed_in(editing_app, "cara@example.org")
    second = signed_in(editing_app, "cara@example.org")
    second_form = main_form(second.get("/editor/schemes/bda-mentoring/edit").get_data(as_text=True))
    response, _ = edit(first, "bda-mentoring", cost="Free for BDA members")
    assert response.status_code == 302

    second_form["duration"] = "A year"
    second_form["action"] = "save"
    assert second.post("/editor/schemes/bda-mentoring/edit", data=second_form).status_code == 302
    with editing_app.extensions["directory"].session() as db:
        document = db.get(SchemeRow, "bda-mentoring").document
        assert (document["cost"], document["duration"]) == ("Free for BDA members", "A year")


def test_the_second_of_two_editors_of_one_field_is_refused_and_keeps_their_input(editing_app):
    first = signed_in(editing_app, "cara@example.org")
    second = signed_in(editing_app, "cara@example.org")
    second_form = main_form(second.get("/editor/schemes/bda-mentoring/edit").get_data(as_text=True))
    response, _ = edit(first, "bda-mentoring", cost="Free for BDA members")
    assert response.status_code == 302

    second_form["cost"] = "£20"
    second_form["action"] = "save"
    refused = second.post("/editor/schemes/bda-mentoring/edit", data=second_form)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    text = text_of(html)
    assert "Someone else changed this listing while you were editing it" in text
    assert "Theirs (published now): Free for BDA members" in text and "Yours: £20" in text
    assert "yours replaces theirs in Cost" in text
    assert main_form(html)["cost"] == "£20"  # their unsaved input is still there
    with editing_app.extensions["directory"].session() as db:
        assert db.get(SchemeRow, "bda-mentoring").document["cost"] == "Free for BDA members"


def test_a_hub_leads_edit_of_another_field_merges_with_a_newer_version(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    response, _ = edit(hub, "csp-mentoring", cost="Free")
    change_url = response.headers["Location"]
    curator = signed_in(editing_app, "cara@example.org")
    edit(curator, "csp-mentoring", duration="One year")
    assert curator.post(change_url + "/approve", data={}).status_code == 302
    with editing_app.extensions["directory"].session() as db:
        document = db.get(SchemeRow, "csp-mentoring").document
        assert (document["duration"], document["cost"]) == ("One year", "Free")
        assert db.exec(select(PendingChange)).one().status == "approved"


def test_a_hub_leads_stale_edit_cannot_be_approved_over_a_newer_version(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    response, _ = edit(hub, "csp-mentoring", cost="Free")
    change_url = response.headers["Location"]
    curator = signed_in(editing_app, "cara@example.org")
    edit(curator, "csp-mentoring", cost="£5 a year")
    refused = curator.post(change_url + "/approve", data={})
    assert refused.status_code == 302
    with editing_app.extensions["directory"].session() as db:
        assert db.get(SchemeRow, "csp-mentoring").document["cost"] == "£5 a year"
        assert db.exec(select(PendingChange)).one().status == "pending"


def test_editing_a_rule_through_the_structured_form(editing_app):
    curator = signed_in(editing_app, "cara@example.org")
    response, _ = edit(curator, "csp-mentoring", role_mentee__stage_values="student")
    assert response.status_code == 302
    with editing_app.extensions["directory"].session() as db:
        rule = db.get(SchemeRow, "csp-mentoring").document["eligibility"]["mentee"]["rule"]
    assert rule == {
        "all": [{"profession": "physiotherapist"}, {"stage": "student"}, {"member_of": "csp"}]
    }
    page = text_of(editing_app.test_client().get("/schemes/csp-mentoring").get_data(as_text=True))
    assert "You are a student" in page
    qualified = (
        editing_app.test_client()
        .get("/api/v1/eligibility?profession=physiotherapist&member_of=csp&stage=qualified")
        .json
    )
    assert "csp-mentoring" in [item["id"] for item in qualified["ineligible"]]


def test_a_rule_condition_can_exclude_values(editing_app):
    curator = signed_in(editing_app, "cara@example.org")
    edit(
        curator,
        "cahpr-regional-hubs",
        role_mentee__region_values="scotland",
        role_mentee__region_mode="not-in",
    )
    with editing_app.extensions["directory"].session() as db:
        rule = db.get(SchemeRow, "cahpr-regional-hubs").document["eligibility"]["mentee"]["rule"]
    assert rule == {"all": [{"profession": "ahp"}, {"not": {"region": "scotland"}}]}


def test_the_same_validation_as_directory_check_with_messages_beside_the_fields(editing_app):
    curator = signed_in(editing_app, "cara@example.org")
    response, _ = edit(
        curator,
        "csp-mentoring",
        summary="x" * 301,
        url="not a web address",
        sources__0__url="ftp://example.org",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    text = text_of(html)
    assert "Summary must be 300 characters or fewer" in text
    link = "Enter a web address starting with https://, like https://www.csp.org.uk/mentoring"
    assert text.count(link) == 2  # the scheme's, in the summary and beside the field
    source = "Enter the web address of source 1, starting with https://"
    assert text.count(source) == 2  # the source's is named, so the two read differently
    assert (
        published_name(editing_app, "csp-mentoring")
        == "Chartered Society of Physiotherapy mentoring scheme"
    )


def test_preview_shows_the_plain_english_rules_without_saving(editing_app):
    curator = signed_in(editing_app, "cara@example.org")
    response, _ = edit(curator, "csp-mentoring", name="Previewed name", action="preview")
    text = text_of(response.get_data(as_text=True))
    assert "Preview: how the public will see it" in text and "Previewed name" in text
    assert "You are a member of the Chartered Society of Physiotherapy (CSP)" in text
    assert published_name(editing_app, "csp-mentoring") != "Previewed name"


def test_every_change_is_a_revision_and_any_revision_can_be_restored(editing_app):
    curator = signed_in(editing_app, "cara@example.org")
    edit(curator, "io-mentoring", cost="Free")
    edit(curator, "io-mentoring", cost="£5 a month")
    history = text_of(curator.get("/editor/schemes/io-mentoring/history").get_data(as_text=True))
    assert "Revision 3: edited" in history and "Edited by cara@example.org on" in history
    with editing_app.extensions["directory"].session() as db:
        version = db.get(SchemeRow, "io-mentoring").version
    curator.post(
        "/editor/schemes/io-mentoring/revisions/2/restore",
        data={"version": version, "confirm": "yes"},
    )
    with editing_app.extensions["directory"].session() as db:
        assert db.get(SchemeRow, "io-mentoring").document["cost"] == "Free"
        numbers = db.exec(
            select(Revision.action)
            .where(Revision.scheme_id == "io-mentoring")
            .order_by(Revision.number)
        ).all()
    assert numbers == ["import", "edit", "edit", "restore"]
    history = text_of(curator.get("/editor/schemes/io-mentoring/history").get_data(as_text=True))
    assert "Revision 4: restored revision 2" in history
    assert re.search(r"Restored revision 2 by cara@example\.org on .+ at \d\d:\d\d UTC\.", history)


def test_mark_as_verified_today(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    hub.post("/editor/schemes/csp-mentoring/verify", data={"confirm": "yes"})
    page = text_of(editing_app.test_client().get("/schemes/csp-mentoring").get_data(as_text=True))
    today = dt.date.today()
    assert f"Checked by our curators on {today.day} {today:%B %Y}." in page
    assert "Not yet checked by our curators" not in page


def test_a_hub_lead_proposes_a_new_listing_for_their_organisation(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    values = main_form(hub.get("/editor/schemes/new").get_data(as_text=True))
    fill(
        values,
        {
            "scheme_id": "csp-peer-support-circles",
            "name": "CSP peer support circles",
            "summary": "Peer support for CSP members.",
            "description": "Circles of peers.",
            "role_mentee-reference": "A test reference",
            "role_mentee-profession_values": "physiotherapist",
            "sources-0-title": "Hugh's notes",
            "action": "save",
        },
    )
    response = hub.post("/editor/schemes/new", data=values)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:2000]
    assert editing_app.test_client().get("/schemes/csp-peer-support-circles").status_code == 404
    curator = signed_in(editing_app, "cara@example.org")
    curator.post(response.headers["Location"] + "/approve", data={})
    assert editing_app.test_client().get("/schemes/csp-peer-support-circles").status_code == 200


def test_a_hub_lead_cannot_propose_a_listing_for_another_organisation(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    values = main_form(hub.get("/editor/schemes/new").get_data(as_text=True))
    fill(
        values,
        {
            "scheme_id": "sneaky",
            "name": "Sneaky",
            "summary": "s",
            "description": "d",
            "provider": "sor",
            "role_mentee-reference": "r",
            "sources-0-title": "t",
            "action": "save",
        },
    )
    response = hub.post("/editor/schemes/new", data=values)
    assert response.status_code == 200
    with editing_app.extensions["directory"].session() as db:
        assert db.exec(select(PendingChange)).first() is None


def test_problem_reports_reach_the_listings_hub_leads_who_resolve_them(editing_app):
    public = editing_app.test_client()
    sent = public.post(
        "/schemes/csp-mentoring/report",
        data={"category": "out-of-date", "message": "The platform has moved."},
    )
    assert "Thank you for your report" in sent.get_data(as_text=True)
    assert public.get("/schemes/csp-mentoring").status_code == 200  # the listing is unchanged
    hub = signed_in(editing_app, "hugh@example.org")
    assert "The platform has moved." in hub.get("/editor/reports").get_data(as_text=True)
    with editing_app.extensions["directory"].session() as db:
        report = db.exec(select(ProblemReport)).one()
    hub.post(f"/editor/reports/{report.id}/resolve", data={"note": "Updated the link"})
    with editing_app.extensions["directory"].session() as db:
        assert db.get(ProblemReport, report.id).status == "resolved"


def test_the_dashboard_lists_listings_due_for_review(editing_app):
    hub = signed_in(editing_app, "hugh@example.org")
    text = text_of(hub.get("/editor/").get_data(as_text=True))
    assert "Due for review (1)" in text  # the one CSP listing, never verified
    assert "not known whether it still runs" in text  # and its status is unknown


def test_export_after_an_approved_change_writes_it_and_import_merges(editing_app, tmp_path):
    curator = signed_in(editing_app, "cara@example.org")
    edit(curator, "rcpod-mentoring", cost="Free")
    service = editing_app.extensions["directory"]
    from directory import store

    with service.session() as db:
        text = store.export_catalogue(db, service.vocabulary)
    assert "cost: Free" in text
    exported = catalogue.from_text(text, service.vocabulary)
    assert service.import_catalogue(exported, "test").changed is False


# Two separate choices ("a paramedic or a student, and in London or a CSP member"): the
# form shows one set of ways to qualify, so it keeps this rule as it is.
TWO_CHOICES = {
    "all": [
        {"any": [{"profession": "paramedic"}, {"stage": "student"}]},
        {"any": [{"region": "london"}, {"member_of": "csp"}]},
    ]
}


def test_editing_a_listing_the_form_cannot_show_keeps_its_rule(editing_app):
    service = editing_app.extensions["directory"]
    with service.session() as db:
        scheme, version = editing.published(db, "employer-mentoring")
        tricky = scheme.model_copy(
            update={
                "eligibility": {
                    "mentee": scheme.eligibility["mentee"].model_copy(update={"rule": TWO_CHOICES}),
                    "mentor": scheme.eligibility["mentor"],
                }
            }
        )
        editing.publish(db, tricky, "test", version)
    curator = signed_in(editing_app, "cara@example.org")
    page = curator.get("/editor/schemes/employer-mentoring/edit").get_data(as_text=True)
    assert "This rule was written in the catalogue file and is kept as it is" in page
    edit(curator, "employer-mentoring", cost="Free")
    with service.session() as db:
        document = db.get(SchemeRow, "employer-mentoring").document
    assert document["eligibility"]["mentee"]["rule"] == TWO_CHOICES
    assert document["cost"] == "Free"


def test_the_public_may_see_the_catalogue_a_moment_late_but_hub_leads_never(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}", CATALOGUE_MAX_AGE=3600)
    service = app.extensions["directory"]
    with service.session() as db:
        user = accounts.add_user(db, "hugh@example.org", "Hugh", "hub_lead", ["csp"], "test")
        accounts.set_password(user, PASSWORD)
    public, lead = app.test_client(), signed_in(app, "hugh@example.org")
    page, new_name = "/schemes/csp-mentoring", "Renamed through another worker"

    def shows_new_name(client) -> bool:
        return new_name in text_of(client.get(page).get_data(as_text=True))

    assert not shows_new_name(public)
    with service.session() as db:  # another worker or host publishes a change
        scheme, version = editing.published(db, "csp-mentoring")
        editing.publish(db, scheme.model_copy(update={"name": new_name}), "cara", version)
    assert not shows_new_name(public)  # the version was checked less than an hour ago
    assert shows_new_name(lead)  # signed in: always the latest
    assert shows_new_name(public)  # and this process has caught up since
    service.close()


def test_a_thread_brings_catalogue_and_index_up_to_an_edit_before_requests_get_it(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}", CATALOGUE_MAX_AGE=0.2)
    service, client = app.extensions["directory"], app.test_client()
    assert client.get("/api/v1/schemes?q=kaleidoscope").json["total"] == 0  # starts the thread
    before = service.cache.version
    with service.session() as db:  # another worker or host publishes a change
        scheme, row_version = editing.published(db, "csp-mentoring")
        changed = scheme.model_copy(update={"summary": "A kaleidoscope of mentors."})
        editing.publish(db, changed, "cara", row_version)
    deadline = time.monotonic() + 10
    while service.cache.version == before and time.monotonic() < deadline:
        assert service.index.version >= service.cache.version  # index first, always
        time.sleep(0.01)
    assert service.cache.version > before, "the thread did not pick the edit up"
    assert service.index.version == service.cache.version
    found = client.get("/api/v1/schemes?q=kaleidoscope").json
    assert [hit["id"] for hit in found["results"]] == ["csp-mentoring"]
    service.close()
