"""Issue 17, items 1 and 12: the organisation form gives an organisation sources, and
never blanks a field it did not show (courses, sources, abbreviation, address...)."""

from __future__ import annotations

from directory.models import OrganisationRow
from tests.web.conftest import text_of
from tests.web.editing_fixtures import CURATOR, sign_in
from tests.web.html_forms import main_form

URL = "/editor/organisations/ljmu/edit"


def document(app) -> dict:
    with app.extensions["directory"].session() as db:
        return db.get(OrganisationRow, "ljmu").document


def curator_form(app):
    curator = app.test_client()
    sign_in(curator, CURATOR)
    return curator, main_form(curator.get(URL).get_data(as_text=True))


def test_saving_keeps_courses_sources_and_every_other_field(editing_app):
    before = document(editing_app)
    curator, form = curator_form(editing_app)
    form["description"] = "A university in Liverpool."
    assert curator.post(URL, data=form).status_code == 302
    after = document(editing_app)
    assert after == {**before, "description": "A university in Liverpool."}


def test_a_form_missing_fields_keeps_what_the_organisation_has(editing_app):
    before = document(editing_app)
    curator, form = curator_form(editing_app)
    for name in ("abbreviation", "url", "programmes", *[k for k in form if k.startswith("sour")]):
        form.poplist(name)
    form["description"] = "Changed"
    assert curator.post(URL, data=form).status_code == 302
    assert document(editing_app) == {**before, "description": "Changed"}


def test_a_curator_gives_an_organisation_a_source(editing_app):
    curator, form = curator_form(editing_app)
    page = curator.post(URL, data={**form.to_dict(flat=False), "action": "add-source"})
    text = text_of(page.get_data(as_text=True))
    assert "Source 2" in text and "University or education body" in text  # types still there
    form = main_form(page.get_data(as_text=True))
    form["sources-1-title"] = "LJMU: Pharmacy"
    form["sources-1-url"] = "https://www.ljmu.ac.uk/study/courses/undergraduates/pharmacy"
    form["sources-1-date"] = "2024-09"
    form["action"] = "save"
    response = curator.post(URL, data=form)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    sources = document(editing_app)["sources"]
    assert [s["title"] for s in sources] == [
        "Organisations' home pages (public facts list)",
        "LJMU: Pharmacy",
    ]
    assert sources[1]["date"] == "2024-09"
