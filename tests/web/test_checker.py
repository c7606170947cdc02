"""The eligibility checker through its pages and its JSON API."""

from __future__ import annotations

import copy
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import yaml

from directory import rules
from directory.rules import NOT_SURE, Status
from tests import expected as oracle
from tests.conftest import FIXTURE_CATALOGUE
from tests.web.conftest import make_app, text_of

CASES = oracle.SCHEME_CASES
GROUP_IDS = {"eligible": "eligible", "possible": "possible", "ineligible": "ineligible"}


def query(answers: dict) -> str:
    pairs = []
    for key, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return urlencode(pairs)


def expected_status(value) -> str:
    return value if isinstance(value, str) else value["status"]


def html_groups(html: str) -> dict[str, set[str]]:
    """Which scheme ids each results section links to ("elsewhere" counts as possible,
    "ended" as ineligible)."""
    sections = re.split(r'<h2 class="govuk-heading-l" id="(\w+)">', html)
    groups: dict[str, set[str]] = {"eligible": set(), "possible": set(), "ineligible": set()}
    for section_id, body in zip(sections[1::2], sections[2::2], strict=True):
        if section_id == "outside":  # other professions' bodies: either status (a mentee: possible)
            for status, scheme_id in re.findall(
                r'data-status="(\w+)">\s*<h3[^>]*><a class="govuk-link" href="/schemes/([a-z0-9-]+)"',
                body,
            ):
                groups[status].add(scheme_id)
            continue
        group = {"elsewhere": "possible", "ended": "ineligible"}.get(section_id, section_id)
        groups[group] |= set(re.findall(r'href="/schemes/([a-z0-9-]+)"', body))
    return groups


# Every scheme, both ways ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_scheme_case_through_the_json_api(client, case):
    response = client.get(f"/api/v1/eligibility?{query(case['answers'])}")
    assert response.status_code == 200
    data = response.json
    where = {item["id"]: group for group in GROUP_IDS for item in data[group]}
    items = {item["id"]: item for group in GROUP_IDS for item in data[group]}
    for scheme_id, expected in case["expect"].items():
        assert where[scheme_id] == expected_status(expected), scheme_id
        if isinstance(expected, dict):
            for reason in expected.get("because", []):
                assert reason in items[scheme_id]["reasons"]
            for need in expected.get("needs", []):
                assert need in items[scheme_id]["needs"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_scheme_case_through_the_results_page(client, case):
    response = client.get(f"/check/results?{query(case['answers'])}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    groups = html_groups(html)
    text = text_of(html)
    for scheme_id, expected in case["expect"].items():
        status = expected_status(expected)
        assert scheme_id in groups[status], (scheme_id, status, groups)
        if isinstance(expected, dict):
            for sentence in expected.get("because", []) + expected.get("needs", []):
                assert sentence[1:] in text  # shown capitalised


def test_every_listing_lands_in_exactly_one_group(client, catalogue):
    data = client.get("/api/v1/eligibility?profession=physiotherapist").json
    ids = [item["id"] for group in GROUP_IDS for item in data[group]]
    assert len(ids) == len(set(ids)) == len(catalogue.schemes)


# The one-question-per-page journey -----------------------------------------------------------


def answer(client, url: str, question: str, *values: str) -> str:
    """Submit a question page and return where it sends the person next."""
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    pairs = [(k, v) for k, v in params.items() if k != question]
    pairs += [(question, v) for v in values] + [("answered", question)]
    response = client.get(f"{urlsplit(url).path}?{urlencode(pairs)}")
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:500]
    return response.headers["Location"]


def test_a_student_walks_through_every_question_one_page_at_a_time(client):
    start = client.get("/check/")
    assert "Start now" in start.get_data(as_text=True)
    url = "/check/role"
    steps = [
        ("role", "mentee"),
        ("profession", "pharmacist"),
        ("stage", "student"),
        ("level", "4"),
        ("member_of", "none"),
        ("region", "north-west"),
        ("institution", "ljmu"),
        ("programme", "mpharm"),
        ("research_stage", "new-to-research"),
    ]
    for question, value in steps:
        assert urlsplit(url).path == f"/check/{question}"
        assert client.get(url).status_code == 200
        url = answer(client, url, question, value)
    assert urlsplit(url).path == "/check/answers"
    summary = text_of(client.get(url).get_data(as_text=True))
    assert (
        "Study level Level 4" in summary
        and "Course or programme Master of Pharmacy (MPharm)" in summary
    )
    results = client.get(url.replace("/check/answers", "/check/results"))
    assert (
        "ljmu-mpharm-near-peer-mentoring" in html_groups(results.get_data(as_text=True))["eligible"]
    )


def test_a_qualified_person_is_not_asked_about_study(client):
    url = "/check/stage?role=mentee&profession=dietitian"
    url = answer(client, url, "stage", "qualified")
    assert urlsplit(url).path == "/check/member_of"
    url = answer(client, url, "member_of", "bda")
    url = answer(client, url, "region", "wales")
    url = answer(client, url, "research_stage", "mid-career")
    url = answer(client, url, "award", "none")
    assert urlsplit(url).path == "/check/answers"
    assert (
        client.get("/check/level?role=mentee&profession=dietitian&stage=qualified").status_code
        == 302
    )


def test_changing_an_answer_returns_to_check_your_answers(client):
    answers = (
        "role=mentee&profession=dietitian&stage=qualified&member_of=bda&region=wales"
        "&research_stage=mid-career&award=none"
    )
    page = client.get(f"/check/answers?{answers}").get_data(as_text=True)
    change = re.search(r'href="(/check/region\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert urlsplit(answer(client, change, "region", "london")).path == "/check/answers"


def test_changing_to_student_asks_the_new_questions_before_returning(client):
    url = (
        "/check/stage?role=mentee&profession=dietitian&stage=qualified&member_of=bda&region=wales"
        "&research_stage=mid-career&award=none"
    )
    url = answer(client, url, "stage", "student")
    assert urlsplit(url).path == "/check/level"
    url = answer(client, url, "level", "5")
    url = answer(client, url, "institution", "other")
    assert urlsplit(url).path == "/check/answers"


def test_the_back_link_goes_to_the_previous_question_with_the_answers_so_far(client):
    html = client.get("/check/member_of?role=mentee&profession=dietitian&stage=qualified").get_data(
        as_text=True
    )
    # the previous answer comes along, so it is still selected there
    assert 'href="/check/stage?role=mentee&amp;profession=dietitian&amp;stage=qualified"' in html


def test_check_your_answers_sends_you_to_a_missing_answer(client):
    response = client.get("/check/answers?role=mentee&profession=dietitian")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/check/stage"


# Validation messages on every field ----------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "before", "message"),
    [
        ("role", "", "Select whether you want to find a mentor or become one, or ‘I’m not sure’"),
        ("profession", "role=mentee", "Select your profession, or ‘I’m not sure’"),
        (
            "stage",
            "role=mentee",
            "Select whether you are a student or qualified, or ‘I’m not sure’",
        ),
        ("level", "stage=student", "Select the level you are studying at, or ‘I’m not sure’"),
        (
            "member_of",
            "role=mentee",
            "Select what you are a member of, ‘None of these’ or ‘I’m not sure’",
        ),
        ("region", "role=mentee", "Select where you live, work or study, or ‘I’m not sure’"),
        ("institution", "stage=student", "Select where you are studying, or ‘I’m not sure’"),
        (
            "programme",
            "stage=student&institution=ljmu",
            "Select which course you are on, or ‘I’m not sure’",
        ),
    ],
)
def test_an_unanswered_question_says_what_to_do(client, question, before, message):
    response = client.get(f"/check/{question}?{before}&answered={question}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert f'href="#{question}">{message}</a>' in html  # the summary links to the field
    assert html.count(message) == 2  # in the summary and beside the field


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["none", "csp"], "Select ‘None of these’ on its own, or untick it"),
        (["none", "not-sure"], "Select ‘None of these’ on its own, or untick it"),
    ],
)
def test_none_of_these_must_be_chosen_on_its_own(client, values, message):
    pairs = urlencode([("member_of", v) for v in values] + [("answered", "member_of")])
    html = client.get(f"/check/member_of?role=mentee&{pairs}").get_data(as_text=True)
    assert message in html


def test_ticks_with_not_sure_mean_these_and_not_sure_about_the_rest(client):
    """The OT of #19: in the RCOT, not sure about anything else."""
    base = "/check/results?role=mentee&profession=occupational-therapist&stage=qualified"
    sure = html_groups(client.get(f"{base}&member_of=rcot").get_data(as_text=True))
    assert "nihr-academy-mentoring" in sure["ineligible"]  # ticked alone: "no" to the rest
    unsure = client.get(f"{base}&member_of=rcot&member_of={NOT_SURE}").get_data(as_text=True)
    groups = html_groups(unsure)
    assert "nihr-academy-mentoring" in groups["possible"]
    assert "elizabeth-casson-trust-mentoring" in groups["eligible"]
    assert "Find out whether you are an NIHR Academy member" in text_of(unsure)
    api = client.get(
        "/api/v1/eligibility?profession=occupational-therapist&stage=qualified"
        f"&member_of=rcot&member_of={NOT_SURE}"
    )
    assert api.status_code == 200, api.json


def test_the_membership_question_says_what_an_unticked_box_means(client):
    html = client.get("/check/member_of?role=mentee&profession=occupational-therapist")
    text = text_of(html.get_data(as_text=True))
    assert "A box you leave unticked means “no”, unless you also tick" in text
    assert "I’m not sure about the rest" in text


def test_a_tampered_answer_is_refused_not_accepted(client):
    html = client.get("/check/stage?stage=retired&answered=stage").get_data(as_text=True)
    assert "There is a problem" in html


def test_results_with_an_answer_we_do_not_know_explain_and_offer_a_restart(client):
    response = client.get("/check/results?profession=physio")
    assert response.status_code == 400
    text = text_of(response.get_data(as_text=True))
    assert 'Profession: unknown value "physio" (did you mean "physiotherapist"?)' in text
    assert "Start again" in text


# Results --------------------------------------------------------------------------------------


def test_not_sure_answers_are_possible_with_what_to_find_out(client):
    html = client.get(f"/check/results?profession=radiographer&member_of={NOT_SURE}").get_data(
        as_text=True
    )
    assert "sor-leadership-mentoring" in html_groups(html)["possible"]
    text = text_of(html)
    assert "Find out whether you are a member of the Society of Radiographers (SoR)" in text
    assert "You were not sure about: Which of these are you a member of?" in text


def test_no_scheme_for_your_profession_is_said_honestly_with_somewhere_to_go(client):
    text = text_of(
        client.get("/check/results?profession=paramedic&member_of=none").get_data(as_text=True)
    )
    assert "We do not list a scheme just for paramedics yet" in text
    assert "so ask the College of Paramedics" in text
    assert "Other places to look" in text


def test_the_mentor_view_answers_where_can_i_mentor(client):
    html = client.get(
        "/check/results?role=mentor&profession=pharmacist&stage=student&level=6"
        "&institution=ljmu&programme=mpharm"
    ).get_data(as_text=True)
    assert "Where you could mentor" in html
    assert "ljmu-mpharm-near-peer-mentoring" in html_groups(html)["eligible"]


def test_results_say_answers_are_not_stored_and_link_to_search_as_me(client):
    html = client.get(
        "/check/results?role=mentee&profession=occupational-therapist&member_of=none"
    ).get_data(as_text=True)
    assert "Your answers are not stored anywhere" in text_of(html)
    search = (
        re.search(r'href="(/search\?[^"]+)">Search only these schemes', html)
        .group(1)
        .replace("&amp;", "&")
    )
    assert search == "/search?my_role=mentee&my_profession=occupational-therapist&my_member_of=none"
    found = client.get(search.replace("/search", "/api/v1/schemes") + "&page_size=100").json
    ids = {item["id"] for item in found["results"]}
    assert "elizabeth-casson-trust-mentoring" in ids and "csp-mentoring" not in ids


# All questions on one page -------------------------------------------------------------------


def test_the_one_page_version_goes_straight_to_results(client):
    answers = (
        "role=mentee&profession=dietitian&stage=qualified&member_of=bda&region=wales"
        "&research_stage=mid-career&award=none&answered=all"
    )
    response = client.get(f"/check/all?{answers}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(
        "/check/results?role=mentee&profession=dietitian"
    )


def test_the_one_page_version_only_insists_on_questions_that_apply(client):
    html = client.get(
        "/check/all?role=mentee&profession=dietitian&stage=student&answered=all"
    ).get_data(as_text=True)
    assert "Select the level you are studying at" in html  # applies to students
    assert "Select which course you are on" not in html  # only at a university with a scheme
    assert "Select what you are a member of" in html


# JSON API errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        (
            "profession=physio",
            "profession",
            'unknown value "physio" (did you mean "physiotherapist"?)',
        ),
        ("level=9", "level", 'unknown value "9"'),
        ("stage=student&stage=qualified", "stage", "give one value only"),
        ("age=30", "age", "unknown parameter"),
    ],
)
def test_bad_eligibility_answers_name_the_parameter_and_the_valid_values(
    client, params, parameter, message
):
    response = client.get(f"/api/v1/eligibility?{params}")
    assert response.status_code == 400
    body = response.json
    assert body["ok"] is False and body["status"] == 400
    (error,) = body["errors"]
    assert (error["parameter"], error["message"]) == (parameter, message)
    assert error["valid"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ("page=0", "page"),
        ("page=two", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("profession=physiotherapist&page_size=-5", "page_size"),
    ],
)
def test_bad_eligibility_paging_names_the_parameter_and_the_range(client, params, parameter):
    response = client.get(f"/api/v1/eligibility?{params}")
    assert response.status_code == 400
    (error,) = response.json["errors"]
    assert error["parameter"] == parameter
    assert error["message"].startswith("should be a whole number from 1 to ")


# JSON API paging -------------------------------------------------------------------------------


def eligibility(client, **params) -> dict:
    response = client.get(f"/api/v1/eligibility?{urlencode(params, doseq=True)}")
    assert response.status_code == 200, response.json
    return response.json


def test_one_page_holds_a_small_catalogue_by_default(client, catalogue):
    data = eligibility(client, profession="physiotherapist")
    assert (data["page"], data["page_size"], data["pages"]) == (1, 20, 1)
    assert {group: len(data[group]) for group in GROUP_IDS} == data["counts"]
    assert sum(data["counts"].values()) == len(catalogue.schemes)


def test_each_group_pages_alike_in_name_order_with_its_full_count(client, catalogue):
    person = {"profession": "radiographer", "stage": "student", "member_of": "none"}
    whole = eligibility(client, **person, page_size=100)
    pages = eligibility(client, **person, page_size=2)["pages"]
    counts = whole["counts"]
    assert pages == -(-max(counts.values()) // 2) and pages > 1
    for group in GROUP_IDS:
        walked = []
        for page in range(1, pages + 1):
            data = eligibility(client, **person, page_size=2, page=page)
            assert data["counts"] == counts and data["page"] == page
            assert len(data[group]) <= 2
            walked += data[group]
        assert walked == whole[group]  # every listing once, with the same reasons
        names = [(catalogue.schemes[i["id"]].name.lower(), i["id"]) for i in walked]
        assert names == sorted(names)
    beyond = eligibility(client, **person, page_size=2, page=pages + 1)
    assert all(beyond[group] == [] for group in GROUP_IDS)
    assert beyond["counts"] == counts


def test_eligibility_answers_match_the_openapi_schema(client):
    from jsonschema import Draft202012Validator

    spec = client.get("/api/v1/openapi.json").json
    schema = {
        "$ref": "#/components/schemas/Eligibility",
        "components": spec["components"],
    }
    validator = Draft202012Validator(schema)
    for params in (
        {"profession": "physiotherapist", "member_of": "none"},
        {"role": "not-sure", "page_size": 3, "page": 2},
        {},
    ):
        validator.validate(eligibility(client, **params))


def test_the_eligibility_api_is_in_the_openapi_document(client, vocabulary):
    spec = client.get("/api/v1/openapi.json").json
    parameters = [p["name"] for p in spec["paths"]["/api/v1/eligibility"]["get"]["parameters"]]
    assert parameters == [*vocabulary.questions, "page", "page_size"]


def test_long_result_groups_show_their_first_listings_and_link_to_the_rest(client, monkeypatch):
    """At 10,000 listings a group can hold thousands: the page shows the first ones, says
    how many there are in all, and sends the person to search with their answers."""
    from directory.web import representations

    answers = "role=mentee&profession=physiotherapist&stage=qualified&member_of=none&region=london"
    full = text_of(client.get(f"/check/results?{answers}").get_data(as_text=True))
    eligible = int(re.search(r"You can join \((\d+)\)", full).group(1))
    assert eligible > 1  # this person can join several of the real catalogue's schemes
    monkeypatch.setattr(representations, "LIST_LIMIT", 1)

    html = client.get(f"/check/results?{answers}").get_data(as_text=True)
    page = text_of(html)
    assert f"You can join ({eligible})" in page  # the heading still counts them all
    assert f"Showing the first 1 of {eligible} schemes you can join." in page
    link = re.search(r'<a class="govuk-link" href="([^"]+)">Search the schemes open to you', html)
    target = dict(parse_qsl(urlsplit(link.group(1).replace("&amp;", "&")).query))
    assert urlsplit(link.group(1)).path == "/search"
    assert target["my_profession"] == "physiotherapist"  # search as me: the same answers
    listed = re.findall(r'class="app-result__title"><a class="govuk-link"', html)
    assert len(listed) <= 4  # at most one in each of the four groups


def html_sections_in_order(html: str) -> dict[str, list[str]]:
    """The scheme ids each results section links to, in the order shown."""
    sections = re.split(r'<h2 class="govuk-heading-l" id="(\w+)">', html)
    return {
        section_id: list(dict.fromkeys(re.findall(r'href="/schemes/([a-z0-9-]+)"', body)))
        for section_id, body in zip(sections[1::2], sections[2::2], strict=True)
    }


def other_bodies(catalogue, vocabulary, profession) -> set[str]:
    """Listings whose mentee rule names membership of another profession's body."""
    bodies = {
        t.slug
        for t in vocabulary.term_sets["memberships"].terms
        if t.profession and t.profession != profession
    }
    found = set()
    for scheme_id, scheme_rules in catalogue.rules.items():
        mentee = scheme_rules.by_role.get("mentee")
        predicates = rules.predicates(mentee.rule) if mentee else []
        if any(
            p.question == "member_of" and not p.negated and set(p.written) & bodies
            for p in predicates
        ):
            found.add(scheme_id)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_results_show_your_professions_own_listings_first_then_fewer_steps_then_by_name(
    client, catalogue, vocabulary, case
):
    answers = rules.parse_answers(
        vocabulary,
        {k: v if isinstance(v, list) else [str(v)] for k, v in case["answers"].items()},
    )
    profession = next(iter(answers["profession"])) if answers.get("profession") else None
    named = oracle.naming_profession(catalogue, profession) if profession else set()
    decisions = rules.decide_all(vocabulary, answers, catalogue.rules.values())

    def shown_order(d):
        return (d.scheme_id not in named, len(d.needs), catalogue.schemes[d.scheme_id].name.lower())

    role = next(iter(answers["role"])) if answers.get("role") else None
    outside = other_bodies(catalogue, vocabulary, profession) if profession else set()
    # a mentor sees other bodies' schemes apart whatever their status; a mentee only
    # those a step would open (a member of that body can join it)
    apart = {Status.ELIGIBLE, Status.POSSIBLE} if role == "mentor" else {Status.POSSIBLE}

    def section(d) -> str:
        guidance = catalogue.schemes[d.scheme_id].listing_type == "guidance"
        if d.scheme_id in outside and not guidance and d.status in apart:
            return "outside"
        closed = catalogue.rules[d.scheme_id].closed
        if closed and d.reasons == (closed,):  # would fit, but has ended or is between rounds
            return "ended"
        return "elsewhere" if guidance and d.status is not Status.INELIGIBLE else d.status.value

    wanted: dict[str, list[str]] = {}
    for decision in sorted(decisions, key=shown_order):
        wanted.setdefault(section(decision), []).append(decision.scheme_id)
    html = client.get(f"/check/results?{query(case['answers'])}").get_data(as_text=True)
    shown = {k: v for k, v in html_sections_in_order(html).items() if k in wanted or v}
    assert shown == wanted


def test_short_result_groups_are_shown_whole_without_a_note(client):
    page = text_of(client.get("/check/results?profession=physiotherapist").get_data(as_text=True))
    assert "Showing the first" not in page


def test_an_ended_listing_is_never_offered_and_results_say_why(client):
    html = client.get(
        "/check/results?role=mentee&profession=physiotherapist&stage=student&member_of=not-sure"
    ).get_data(as_text=True)
    groups = html_groups(html)
    assert "example-ended-student-programme" not in groups["eligible"] | groups["possible"]
    ended = text_of(html.split('id="ended"')[1].split('id="ineligible"')[0])
    assert "Example student leadership programme" in ended
    assert (
        "It has ended: Example Foundation news (2025) says "
        "“The Foundation has concluded its funding of the programme.…”" in ended
    )
    assert "Example research mentoring rounds" in ended  # between rounds


def test_results_say_what_each_listings_facts_rest_on_and_how_old(client):
    text = text_of(
        client.get(
            "/check/results?role=mentee&profession=physiotherapist&stage=qualified&member_of=csp"
        ).get_data(as_text=True)
    )
    assert "Not yet verified" not in text
    assert "From CAHPR: Mentoring. Undated: check with the provider." in text


def test_a_step_to_take_links_to_where_to_take_it_with_its_cost(client):
    html = client.get(
        "/check/results?role=mentee&profession=physiotherapist&stage=qualified&member_of=none"
    ).get_data(as_text=True)
    possible = html.split('id="possible"')[1].split('id="elsewhere"')[0]
    item = possible.split("csp-mentoring")[1].split("</li>\n  </li>")[0]
    assert 'href="https://www.csp.org.uk/frontline/article/magic-mentoring"' in item
    assert "Cost: Free for CSP members" in text_of(item)


def test_guidance_is_never_counted_among_schemes(client, catalogue):
    html = client.get(
        "/check/results?role=mentee&profession=physiotherapist&stage=qualified&member_of=csp"
    ).get_data(as_text=True)
    guidance = {s.id for s in catalogue.schemes.values() if s.listing_type == "guidance"}
    schemes = set().union(
        *(
            re.findall(
                r'href="/schemes/([a-z0-9-]+)"', html.split(f'id="{group}"')[1].split("<h2")[0]
            )
            for group in ("eligible", "possible")
        )
    )
    assert guidance and not guidance & schemes


def test_check_your_answers_has_a_back_link_to_the_last_question(client):
    html = client.get(
        "/check/answers?role=mentee&profession=paramedic&stage=qualified&member_of=none"
        "&research_stage=none&award=none&region=london"
    ).get_data(as_text=True)
    if "Check your answers" not in html:  # the fixture vocabulary asks something else too
        pytest.skip("more questions to answer")
    back = re.search(r'<a href="([^"]+)" class="govuk-back-link">Back</a>', html)
    assert back and back.group(1).startswith("/check/")


def test_a_mentor_sees_their_own_professions_schemes_then_other_bodies_apart(client):
    html = client.get(
        "/check/results?role=mentor&profession=physiotherapist&stage=qualified&member_of=csp"
    ).get_data(as_text=True)
    sections = html_sections_in_order(html)
    assert "csp-mentoring" not in sections.get("outside", [])
    assert "bapo-mentoring" in sections["outside"]
    assert "bapo-mentoring" not in sections["eligible"] + sections["possible"]
    outside = text_of(html.split('id="outside"')[1].split("<h2")[0])
    assert "The professional bodies welcome mentors from outside their professions." in outside
    assert "Already true" not in text_of(html)


@pytest.fixture
def membership_only_client(tmp_path):
    """The fixture catalogue with BAPO's scheme open to BAPO members whatever their
    profession, as the real catalogue has it (the CAHPR: "open to members of the
    respective professional bodies")."""
    data = yaml.safe_load(FIXTURE_CATALOGUE.read_text())
    bapo = next(s for s in data["schemes"] if s["id"] == "bapo-mentoring")
    bapo["eligibility"]["mentee"]["rule"] = {"member_of": "bapo"}
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    app = make_app(
        tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}", CATALOGUE_FILE=str(catalogue)
    )
    yield app.test_client()
    app.extensions["directory"].close()


def test_a_mentee_sees_other_professions_bodies_schemes_apart(membership_only_client):
    """ "Join BAPO" is not a step a physiotherapy student is looking for: other bodies'
    schemes come under their own heading, with the source's words about them."""
    html = membership_only_client.get(
        "/check/results?role=mentee&profession=physiotherapist&stage=student&member_of=csp"
    ).get_data(as_text=True)
    sections = html_sections_in_order(html)
    assert "bapo-mentoring" in sections["outside"]
    assert "bapo-mentoring" not in sections["eligible"] + sections["possible"]
    assert "csp-mentoring" in sections["eligible"]
    outside = text_of(html.split('id="outside"')[1].split("<h2")[0])
    assert "These schemes are open to members of the respective professional bodies." in outside
    assert "welcome mentors from outside" not in outside  # that is the mentor's sentence


def test_a_member_of_another_professions_body_can_still_join_its_scheme(membership_only_client):
    html = membership_only_client.get(
        "/check/results?role=mentee&profession=physiotherapist&stage=qualified&member_of=bapo"
    ).get_data(as_text=True)
    sections = html_sections_in_order(html)
    assert "bapo-mentoring" in sections["eligible"]
    assert "bapo-mentoring" not in sections.get("outside", [])


def test_the_membership_question_puts_your_professions_bodies_first_and_folds_the_rest(client):
    html = client.get(
        "/check/member_of?role=mentee&profession=physiotherapist&stage=qualified"
    ).get_data(as_text=True)
    values = re.findall(r'name="member_of" type="checkbox" value="([a-z0-9-]+)"', html)
    assert values[0] == "csp"
    fold = html.split('class="govuk-details app-fold"')[1].split("</details>")[0]
    folded = re.findall(r'value="([a-z0-9-]+)"', fold)
    assert "bapo" in folded and "csp" not in folded and "nihr-academy" not in folded
    assert values[-2:] == ["none", NOT_SURE]
    ticked = client.get(
        "/check/member_of?role=mentee&profession=physiotherapist&stage=qualified&member_of=bapo"
    ).get_data(as_text=True)
    assert '<details class="govuk-details app-fold" open>' in ticked  # a ticked box is shown


# Steps linked to where to take them (issue 19, item 3) -------------------------------------


def test_a_step_links_to_the_join_page_a_source_gives(tmp_path):
    """BIOS's membership page is in the sources, so "join BIOS" links to it; the CSP's
    join page is not, so "join the CSP" stays plain text beside the provider's page."""
    data = yaml.safe_load(FIXTURE_CATALOGUE.read_text())
    csp = next(s for s in data["schemes"] if s["id"] == "csp-mentoring")
    bios = copy.deepcopy(csp) | {"id": "bios-members-example", "name": "A scheme for BIOS members"}
    bios["eligibility"]["mentee"]["rule"] = {
        "all": [{"profession": "orthoptist"}, {"member_of": "bios"}]
    }
    data["schemes"].append(bios)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    app = make_app(
        tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}", CATALOGUE_FILE=str(catalogue)
    )
    try:
        client = app.test_client()
        orthoptist = client.get(
            "/check/results?role=mentee&profession=orthoptist&stage=qualified&member_of=csp"
        )
        physio = client.get(
            "/check/results?role=mentee&profession=physiotherapist&stage=qualified&member_of=bda"
        )
    finally:
        app.extensions["directory"].close()
    page = orthoptist.get_data(as_text=True)
    step = re.search(
        r'data-status="possible">\s*<h3[^>]*><a [^>]*>A scheme for BIOS members.*?<ol[^>]*>(.*?)</ol>',
        page,
        re.S,
    )
    assert step, "the BIOS scheme is not under “You could join if…”"
    assert re.fullmatch(
        r'<li><a class="govuk-link" href="https://www\.orthoptics\.org\.uk/benefits-of-membership/"'
        r' rel="noopener">Join the British and Irish Orthoptic Society \(BIOS\)'
        r'<span class="govuk-visually-hidden"> \(on another website\)</span></a></li>',
        step.group(1),
    )
    steps = re.search(
        r"Chartered Society of Physiotherapy mentoring scheme.*?<ol[^>]*>(.*?)</ol>",
        physio.get_data(as_text=True),
        re.S,
    )
    assert text_of(steps.group(1)) == "Join the Chartered Society of Physiotherapy (CSP)"
    assert "<a" not in steps.group(1)
