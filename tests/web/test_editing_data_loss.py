"""Issue 17: the editing paths that used to lose or corrupt someone's work."""

from __future__ import annotations

from tests.web.conftest import text_of
from tests.web.editing_fixtures import CURATOR, sign_in
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
