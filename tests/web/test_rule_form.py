"""Issue 17: the rule form writes "any of" across questions, and warns before saving a
rule nobody can meet (checked by the rule engine, not a list of known contradictions)."""

from __future__ import annotations

import copy
import json

from bs4 import BeautifulSoup

from directory import catalogue as cat
from directory import editing
from directory import vocabulary as vocab
from directory.config import DEFAULT_DATA_DIR
from directory.models import PendingChange, SchemeRow
from directory.web import listing_form
from tests.conftest import REAL_CATALOGUE
from tests.web.conftest import text_of
from tests.web.editing_fixtures import CSP_LEAD, CURATOR, sign_in
from tests.web.html_forms import main_form

EDIT = "/editor/schemes/csp-mentoring/edit"
PARAMEDICS_RULE = {
    "all": [
        {
            "any": [
                {"research_stage": ["new-to-research", "doctoral"]},
                {"all": [{"research_stage": "mid-career"}, {"confirm": "start a new topic"}]},
            ]
        },
        {"confirm": "ask the College whether you need to be a member"},
    ]
}


def press(client, url: str, form, action: str):
    form = copy.copy(form)
    form["action"] = action
    return client.post(url, data=form)


def with_two_ways(client):
    """The CSP listing's form after "Add another way to qualify" for mentees."""
    opened = main_form(client.get(EDIT).get_data(as_text=True))
    return main_form(press(client, EDIT, opened, "add-way-mentee").get_data(as_text=True))


def publish_mentee_rule(app, rule: dict, scheme_id: str = "csp-mentoring") -> None:
    """Publish a rule for a listing's mentees, as if written in the catalogue file."""
    with app.extensions["directory"].session() as db:
        scheme, version = editing.published(db, scheme_id)
        mentee = scheme.eligibility["mentee"].model_copy(update={"rule": rule})
        changed = scheme.model_copy(
            update={"eligibility": {**scheme.eligibility, "mentee": mentee}}
        )
        editing.publish(db, changed, "test", version)


def published_rule(app, scheme_id="csp-mentoring", role="mentee"):
    with app.extensions["directory"].session() as db:
        return db.get(SchemeRow, scheme_id).document["eligibility"][role]["rule"]


def test_a_hub_lead_writes_member_or_student_without_json(editing_app):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    # The CSP's rule (physiotherapist, CSP member) becomes the first way to qualify.
    form = with_two_ways(hub)
    assert form.getlist("role_mentee-ways-0-member_of_values") == ["csp"]
    assert form.getlist("role_mentee-ways-0-profession_values") == ["physiotherapist"]
    assert not form.getlist("role_mentee-member_of_values")
    form.setlist("role_mentee-ways-0-profession_values", [])
    form.setlist("role_mentee-ways-1-profession_values", ["physiotherapist"])
    form.setlist("role_mentee-ways-1-stage_values", ["student"])
    saved = press(hub, EDIT, form, "save")
    assert saved.status_code == 302, text_of(saved.get_data(as_text=True))
    with editing_app.extensions["directory"].session() as db:
        change = db.get(PendingChange, int(saved.headers["Location"].rsplit("/", 1)[1]))
        rule = change.document["eligibility"]["mentee"]["rule"]
    assert rule == {
        "any": [
            {"member_of": "csp"},
            {"all": [{"profession": "physiotherapist"}, {"stage": "student"}]},
        ]
    }


def test_the_any_of_rule_reaches_the_checker(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = with_two_ways(curator)
    form.setlist("role_mentee-ways-0-profession_values", [])
    form.setlist("role_mentee-ways-1-profession_values", ["physiotherapist"])
    form.setlist("role_mentee-ways-1-stage_values", ["student"])
    assert press(curator, EDIT, form, "save").status_code == 302
    student = curator.get(
        "/api/v1/eligibility?profession=physiotherapist&member_of=none&stage=student"
    ).json
    assert "csp-mentoring" in [item["id"] for item in student["eligible"]]
    # Reopened, the form shows the same two ways, and saving it unchanged changes nothing.
    form = main_form(curator.get(EDIT).get_data(as_text=True))
    assert form.getlist("role_mentee-ways-0-member_of_values") == ["csp"]
    assert form.getlist("role_mentee-ways-1-stage_values") == ["student"]
    before = published_rule(editing_app)
    assert press(curator, EDIT, form, "save").status_code == 302
    assert published_rule(editing_app) == before


def test_a_catalogue_rule_with_conditions_for_everyone_and_ways_round_trips(
    editing_app, vocabulary
):
    shape = listing_form.structured(PARAMEDICS_RULE, vocabulary)
    assert shape == {
        "everyone": [{"confirm": "ask the College whether you need to be a member"}],
        "ways": [
            [
                {
                    "question": "research_stage",
                    "values": ["new-to-research", "doctoral"],
                    "negated": False,
                }
            ],
            [
                {"question": "research_stage", "values": ["mid-career"], "negated": False},
                {"confirm": "start a new topic"},
            ],
        ],
    }
    publish_mentee_rule(editing_app, PARAMEDICS_RULE)
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = curator.get(EDIT).get_data(as_text=True)
    assert "kept as it is" not in page  # the form can show it: no longer a read-only rule
    form = main_form(page)
    form["role_mentee-evidence"] = "Changed evidence, rule untouched."
    form["role_mentee-ways-1-confirm"] = "start a project on a new topic"
    assert press(curator, EDIT, form, "save").status_code == 302
    rule = published_rule(editing_app)
    assert rule["all"][0]["any"][1] == {
        "all": [{"research_stage": "mid-career"}, {"confirm": "start a project on a new topic"}]
    }
    assert rule["all"][1] == PARAMEDICS_RULE["all"][1]
    assert rule["all"][0]["any"][0] == PARAMEDICS_RULE["all"][0]["any"][0]


def test_an_empty_way_is_dropped_and_one_way_is_just_conditions(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = with_two_ways(curator)
    assert press(curator, EDIT, form, "save").status_code == 302  # way 2 left empty
    assert published_rule(editing_app) == {
        "all": [{"profession": "physiotherapist"}, {"member_of": "csp"}]
    }


def unmeetable_form(client):
    form = main_form(client.get(EDIT).get_data(as_text=True))
    form.setlist("role_mentee-stage_values", ["qualified"])
    form.setlist("role_mentee-level_values", ["4"])
    return form


def test_a_rule_nobody_can_meet_is_not_saved_until_confirmed(editing_app):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    form = unmeetable_form(hub)
    refused = press(hub, EDIT, form, "save")
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    text = text_of(html)
    assert "Nobody can meet these conditions" in text
    message = "Nobody can take part as a mentee under these conditions: change them, or tick the box to keep them"
    soup = BeautifulSoup(html, "html.parser")
    links = soup.select(".govuk-error-summary a")
    assert [a.get_text(strip=True) for a in links] == [message]
    assert soup.find(id=links[0]["href"][1:]) is not None
    with editing_app.extensions["directory"].session() as db:
        waiting = len(editing.pending_for(db, "csp-mentoring"))
    form = main_form(html)
    form["role_mentee-meetable_checked"] = "y"
    assert press(hub, EDIT, form, "save").status_code == 302
    with editing_app.extensions["directory"].session() as db:
        assert len(editing.pending_for(db, "csp-mentoring")) == waiting + 1


def test_every_profession_excluded_is_warned_about_but_a_fine_rule_is_not(editing_app, vocabulary):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    form = main_form(curator.get(EDIT).get_data(as_text=True))
    form.setlist("role_mentee-profession_values", vocabulary.slugs("professions"))
    form["role_mentee-profession_mode"] = "not-in"
    assert "Nobody can meet these conditions" in text_of(
        press(curator, EDIT, form, "save").get_data(as_text=True)
    )
    form = main_form(curator.get(EDIT).get_data(as_text=True))
    preview = text_of(press(curator, EDIT, form, "preview").get_data(as_text=True))
    assert "Nobody can meet" not in preview


def test_the_warning_shows_on_preview_without_blocking_it(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    page = text_of(press(curator, EDIT, unmeetable_form(curator), "preview").get_data(as_text=True))
    assert "Preview: how the public will see it" in page
    assert "Nobody can meet these conditions" in page
    assert "There is a problem" not in page


def test_a_way_to_qualify_nobody_can_meet_is_warned_about_before_saving(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    before = published_rule(editing_app)
    form = with_two_ways(curator)
    form.setlist("role_mentee-ways-1-stage_values", ["qualified"])
    form.setlist("role_mentee-ways-1-level_values", ["4"])  # qualified, at a study level
    refused = press(curator, EDIT, form, "save")
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert [a.get_text(strip=True) for a in soup.select(".govuk-error-summary a")] == [
        "Nobody can take part as a mentee in way 2: change its conditions, "
        "or tick the box to keep them"
    ]
    ways = soup.select(".app-way")
    assert "Nobody can qualify this way" not in ways[0].get_text()
    assert "Nobody can qualify this way" in ways[1].get_text()
    assert published_rule(editing_app) == before  # nothing saved
    form = main_form(html)
    form["role_mentee-meetable_checked"] = "y"
    assert press(curator, EDIT, form, "save").status_code == 302
    assert published_rule(editing_app)["any"][1] == {
        "all": [{"stage": "qualified"}, {"level": "4"}]
    }


def test_the_warning_names_the_conditions_that_clash(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    text = text_of(press(curator, EDIT, unmeetable_form(curator), "save").get_data(as_text=True))
    assert "These cannot all be true: you are qualified; you are studying at Level 4." in text
    form = with_two_ways(curator)
    form.setlist("role_mentee-ways-1-stage_values", ["qualified"])
    form.setlist("role_mentee-ways-1-level_values", ["4"])
    text = text_of(press(curator, EDIT, form, "save").get_data(as_text=True))
    assert (
        text.count("These cannot all be true: you are qualified; you are studying at Level 4.") == 1
    )


def _same_meaning(rule):
    """A rule with the order of its all-of conditions left out (the form writes them in
    the vocabulary's question order)."""
    if isinstance(rule, dict) and set(rule) == {"all"}:
        return sorted(json.dumps(_same_meaning(item), sort_keys=True) for item in rule["all"])
    if isinstance(rule, dict) and set(rule) == {"any"}:
        return {"any": [_same_meaning(item) for item in rule["any"]]}
    return rule


def test_every_rule_in_the_real_catalogue_is_editable_in_the_form_and_kept(editing_app):
    base = vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml")
    real = cat.load(REAL_CATALOGUE, base)
    vocabulary = real.vocabulary
    providers = [(o, o) for o in real.organisations]
    with editing_app.test_request_context():
        form_class = listing_form.listing_form_class(vocabulary, providers, new=False)
        for scheme in real.schemes.values():
            form = form_class(formdata=None, data=listing_form.form_data(scheme, vocabulary, 1))
            for role, block in scheme.eligibility.items():
                if block is None:
                    continue
                role_form = form[f"role_{role}"].form
                assert not role_form.advanced.data, f"{scheme.id} {role}: shown read-only"
                written = listing_form.rule_from(role_form, vocabulary)
                assert _same_meaning(written) == _same_meaning(block.rule), (scheme.id, role)
