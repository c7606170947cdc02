"""The mentoring guide, the quizzes, and a near-peer scheme from proposal to publication."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from directory import accounts
from tests.answers import MENTORING_FIT
from tests.web.conftest import make_app, text_of
from tests.web.html_forms import main_form

GUIDE_PAGES = [
    ("/guide/", "A guide to mentoring"),
    ("/guide/what-is-mentoring", "What mentoring is"),
    ("/guide/forms-of-mentoring", "Forms of mentoring"),
    ("/guide/finding-a-mentor", "How to find a mentor"),
    ("/guide/near-peer-mentoring", "Near-peer mentoring"),
    ("/guide/start-a-near-peer-scheme", "Start a near-peer scheme on your course"),
    ("/guide/quiz/mentoring-fit", "What kind of mentoring suits me?"),
    ("/guide/quiz/mentor-readiness", "Am I ready to mentor?"),
]


@pytest.mark.parametrize(("path", "title"), GUIDE_PAGES)
def test_each_guide_page_has_its_title_and_the_guide_contents(client, path, title):
    html = client.get(path).get_data(as_text=True)
    assert f"<title>{title} – AHP Mentoring Directory</title>" in html
    assert 'aria-label="Mentoring guide"' in html


def test_the_guide_is_reachable_from_the_home_page_and_the_checker_results(client):
    assert 'href="/guide/"' in client.get("/").get_data(as_text=True)
    results = client.get("/check/results?profession=dietitian").get_data(as_text=True)
    assert 'href="/guide/quiz/mentoring-fit?my_profession=dietitian"' in results


def test_each_form_of_mentoring_links_to_the_schemes_offering_it(client):
    text = text_of(client.get("/guide/forms-of-mentoring").get_data(as_text=True))
    assert "Peer mentoring" in text and "LJMU MPharm near-peer mentoring" in text
    assert "None of our listings says it offers group mentoring yet" in text


def test_the_old_mentoring_types_address_moves_to_the_guide(client):
    response = client.get("/mentoring-types")
    assert (
        response.status_code == 301 and response.headers["Location"] == "/guide/forms-of-mentoring"
    )


def test_the_quiz_gives_instant_feedback_without_storing_anything(client):
    html = client.get(f"/guide/quiz/mentoring-fit?answered=1&{urlencode(MENTORING_FIT)}").get_data(
        as_text=True
    )
    text = text_of(html)
    assert "Peer mentoring" in text and "Group mentoring" in text
    assert (
        "As a student, students two levels ahead of you could mentor you, as on one pharmacy course."
        in text
    )
    assert "LJMU MPharm near-peer mentoring" in text  # a scheme offering peer mentoring


def test_the_quiz_uses_the_checkers_answers_to_show_only_schemes_open_to_you(client):
    me = urlencode({"my_profession": "physiotherapist", "my_stage": "qualified"})
    text = text_of(
        client.get(
            f"/guide/quiz/mentoring-fit?answered=1&{urlencode(MENTORING_FIT)}&{me}"
        ).get_data(as_text=True)
    )
    # Not open to a qualified physiotherapist: shown where it is offered, with why.
    assert "Schemes open to you, or that you could join, that offer it: LJMU" not in text
    assert "Where it is offered, and what would open it to you: LJMU MPharm near-peer" in text
    assert "None of the schemes open to you" not in text
    student = urlencode(
        {
            "my_profession": "pharmacist",
            "my_stage": "student",
            "my_level": "4",
            "my_institution": "ljmu",
            "my_programme": "mpharm",
        }
    )
    text = text_of(
        client.get(
            f"/guide/quiz/mentoring-fit?answered=1&{urlencode(MENTORING_FIT)}&{student}"
        ).get_data(as_text=True)
    )
    assert (
        "Schemes open to you, or that you could join, that offer it: LJMU MPharm near-peer mentoring"
        in text
    )


def test_an_unanswered_quiz_question_is_named_in_the_error_summary(client):
    html = client.get("/guide/quiz/mentor-readiness?answered=1&experience=years").get_data(
        as_text=True
    )
    assert "<title>Error: Am I ready to mentor?" in html
    assert (
        'href="#time">Select an answer to ‘Can you give time regularly for as long as a scheme lasts?’</a>'
        in html
    )


def test_mentor_readiness_points_to_where_you_could_mentor(client):
    answers = {
        "experience": "years",
        "time": "yes",
        "listening": "very",
        "preparation": "yes",
        "other_professions": "yes",
    }
    html = client.get(f"/guide/quiz/mentor-readiness?answered=1&{urlencode(answers)}").get_data(
        as_text=True
    )
    assert "You look ready to mentor" in html
    assert 'href="/check/results?role=mentor"' in html


def test_an_unknown_quiz_is_not_found(client):
    assert client.get("/guide/quiz/personality").status_code == 404


# A near-peer scheme, from proposal to publication ---------------------------------------------------

PASSWORD = "a long enough password 42"


def test_a_university_proposes_a_near_peer_scheme_and_students_find_it(tmp_path, database_url):
    app = make_app(tmp_path, database_url)
    with app.extensions["directory"].session() as db:
        curator = accounts.add_user(db, "cara@example.org", "Cara", "curator", [], "test")
        accounts.set_password(curator, PASSWORD)
    curator = app.test_client()
    curator.post("/sign-in", data={"email": "cara@example.org", "password": PASSWORD})

    # A curator adds the university and its course, and invites its hub lead.
    values = main_form(curator.get("/editor/organisations/new").get_data(as_text=True))
    for key, value in {
        "id": "example-university",
        "name": "Example University",
        "kind": "education",
        "programmes": "bsc-physiotherapy: BSc (Hons) Physiotherapy",
    }.items():
        values[key] = value
    assert curator.post("/editor/organisations/new", data=values).status_code == 302
    with app.extensions["directory"].session() as db:
        hub = accounts.add_user(
            db, "una@example.org", "Una", "hub_lead", ["example-university"], "test"
        )
        accounts.set_password(hub, PASSWORD)

    # The hub lead follows the guide's link and proposes the scheme.
    hub = app.test_client()
    kit = hub.get("/guide/start-a-near-peer-scheme").get_data(as_text=True)
    assert 'href="/editor/schemes/new?template=near-peer"' in kit
    assert hub.get("/editor/schemes/new?template=near-peer").status_code == 302  # sign in first
    hub.post("/sign-in", data={"email": "una@example.org", "password": PASSWORD})
    form = main_form(hub.get("/editor/schemes/new?template=near-peer").get_data(as_text=True))
    assert form.getlist("role_mentee-level_values") == ["4", "5"]
    assert form.getlist("role_mentor-level_values") == ["6", "7"]
    assert form.getlist("role_mentee-institution_values") == ["example-university"]
    for key, value in {
        "scheme_id": "example-physio-near-peer",
        "name": "Example University physiotherapy near-peer mentoring",
        "summary": "Physiotherapy students mentor students two levels below them.",
        "description": "Level 6 students mentor Level 4 students, and Level 7 mentor Level 5.",
        "role_mentee-programme_values": "bsc-physiotherapy",
        "role_mentor-programme_values": "bsc-physiotherapy",
        "role_mentee-reference": "Course handbook",
        "role_mentor-reference": "Course handbook",
        "sources-0-title": "Course handbook",
        "action": "save",
    }.items():
        form[key] = value
    proposed = hub.post("/editor/schemes/new", data=form)
    assert proposed.status_code == 302, text_of(proposed.get_data(as_text=True))[:1500]
    public = app.test_client()
    student = {
        "profession": "physiotherapist",
        "stage": "student",
        "level": "4",
        "institution": "example-university",
        "programme": "bsc-physiotherapy",
    }
    before = public.get(f"/api/v1/eligibility?{urlencode(student)}").json
    assert "example-physio-near-peer" not in [
        i["id"] for g in ("eligible", "possible") for i in before[g]
    ]

    # A curator approves it: students on the course can now join, and third-years can mentor.
    assert curator.post(proposed.headers["Location"] + "/approve", data={}).status_code == 302
    after = public.get(f"/api/v1/eligibility?{urlencode(student)}").json
    assert "example-physio-near-peer" in [i["id"] for i in after["eligible"]]
    mentor = public.get(
        f"/api/v1/eligibility?{urlencode({**student, 'level': '6', 'role': 'mentor'})}"
    ).json
    assert "example-physio-near-peer" in [i["id"] for i in mentor["eligible"]]
    question = public.get("/check/programme?stage=student&institution=example-university").get_data(
        as_text=True
    )
    assert "BSc (Hons) Physiotherapy" in question and "Master of Pharmacy" not in question
    app.extensions["directory"].close()


def test_a_quiz_error_summary_comes_first_and_feedback_headings_read_well(client):
    html = client.get("/guide/quiz/mentor-readiness?answered=1&experience=years").get_data(
        as_text=True
    )
    main = html.split('id="main-content"')[1]
    assert main.index("govuk-error-summary") < main.index("govuk-caption-l")
    feedback = client.get(f"/guide/quiz/mentoring-fit?answered=1&{urlencode(MENTORING_FIT)}")
    page = feedback.get_data(as_text=True)
    assert (
        '<h1 class="govuk-heading-xl">Your feedback: What kind of mentoring suits me?</h1>' in page
    )
    assert "?: your feedback" not in page


def test_the_quiz_does_not_ask_again_what_the_checker_asked(client):
    html = client.get("/guide/quiz/mentoring-fit?my_profession=physiotherapist&my_stage=qualified")
    text = text_of(html.get_data(as_text=True))
    assert "Are you a student? No , from your answers to the checker." in text
    assert 'name="student" value="no"' in html.get_data(as_text=True)  # carried, not asked
    assert 'name="student" type="radio"' not in html.get_data(as_text=True)


def test_the_standalone_quiz_suggests_listings_by_the_persons_answers(client):
    qualified = {**MENTORING_FIT, "student": "no"}
    text = text_of(
        client.get(f"/guide/quiz/mentoring-fit?answered=1&{urlencode(qualified)}").get_data(
            as_text=True
        )
    )
    assert "Schemes that offer it: LJMU MPharm near-peer mentoring" not in text
