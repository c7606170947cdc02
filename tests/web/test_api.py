"""The JSON API under /api/v1: search, one listing, the taxonomy and the OpenAPI document."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from directory import rules
from tests import expected

AHP_PROFESSIONS = {  # the 14 Allied Health Professions: stable API slugs
    "art-therapist",
    "dramatherapist",
    "music-therapist",
    "podiatrist",
    "dietitian",
    "occupational-therapist",
    "operating-department-practitioner",
    "orthoptist",
    "osteopath",
    "paramedic",
    "physiotherapist",
    "prosthetist-orthotist",
    "radiographer",
    "speech-and-language-therapist",
}


def get(client, path, params=()):
    response = client.get(path + ("?" + urlencode(list(params)) if params else ""))
    assert response.mimetype == "application/json", response.mimetype
    return response


def search(client, params=(), status=200) -> dict:
    response = get(client, "/api/v1/schemes", params)
    assert response.status_code == status, response.json
    return response.json


def all_ids(client, params=()) -> list[str]:
    body = search(client, [*params, ("page_size", "100")])
    assert body["pages"] == 1 and len(body["results"]) == body["total"]
    return [r["id"] for r in body["results"]]


# Search ---------------------------------------------------------------------------------------


def test_an_empty_search_returns_every_listing_with_facets(client, catalogue):
    body = search(client)
    assert body["ok"] is True
    assert body["total"] == len(catalogue.schemes)
    assert (body["page"], body["pages"], body["page_size"]) == (1, -(-body["total"] // 10), 10)
    assert len(body["results"]) == 10
    assert body["degraded"] is False
    assert set(body["facets"]) == set(expected.FACET_IDS)


def test_the_api_answers_the_same_on_sqlite_and_postgresql(any_db_app, catalogue):
    client = any_db_app.test_client()
    assert sorted(all_ids(client)) == sorted(catalogue.schemes)
    assert all_ids(client, [("q", "physio")])[0] == "csp-mentoring"


@pytest.mark.parametrize(
    ("words", "first"),
    [
        ("physio", "csp-mentoring"),
        ("SALT", "rcslt-leadership-information"),
        ("chiropody", "rcpod-mentoring"),
        ("research mentoring NIHR", "nihr-academy-mentoring"),
    ],
)
def test_a_text_search_puts_the_best_match_first(client, words, first):
    assert all_ids(client, [("q", words)])[0] == first


def test_results_carry_highlights_with_mark(client):
    body = search(client, [("q", "physiotherapy")])
    top = body["results"][0]
    assert top["id"] == "csp-mentoring"
    assert (
        top["highlight"]["name"]
        == "Chartered Society of <mark>Physiotherapy</mark> mentoring scheme"
    )
    assert top["api_url"] == "http://localhost/api/v1/schemes/csp-mentoring"
    assert top["url"] == "http://localhost/schemes/csp-mentoring"


def test_a_misspelling_is_corrected_and_says_so(client):
    body = search(client, [("q", "leadershp")])
    assert (body["suggestion"], body["corrected"]) == ("leadership", True)
    assert [r["id"] for r in body["results"]] == [
        r["id"] for r in search(client, [("q", "leadership")])["results"]
    ]


def test_sorting_by_name_is_alphabetical(client, catalogue):
    ids = all_ids(client, [("sort", "name")])
    assert ids == sorted(ids, key=lambda i: (catalogue.schemes[i].name.lower(), i))


@pytest.mark.parametrize("facet", expected.FACET_IDS)
def test_each_filter_value_keeps_exactly_the_listings_that_have_it(
    client, catalogue, vocabulary, facet
):
    for value in expected.filter_values(facet, vocabulary):
        want = expected.listings_with(catalogue, vocabulary, {facet: [value]})
        assert set(all_ids(client, [(facet, value)])) == want, (facet, value)


def test_open_now_keeps_listings_taking_applications_today(client, catalogue):
    import datetime as dt

    want = {s.id for s in catalogue.schemes.values() if s.window_open_on(dt.date.today())}
    assert set(all_ids(client, [("open_now", "1")])) == want
    assert len(all_ids(client, [("open_now", "0")])) == len(catalogue.schemes)


@pytest.mark.parametrize(
    "case", expected.AS_ME_CASES, ids=[c["name"] for c in expected.AS_ME_CASES]
)
def test_search_as_me_agrees_with_the_checker(client, catalogue, vocabulary, case):
    found = set(all_ids(client, expected.as_me_parameters(case["answers"])))
    for scheme_id, want in case["expect"].items():
        ineligible = expected.expectation(want)["status"] == "ineligible"
        assert (scheme_id not in found) if ineligible else (scheme_id in found), scheme_id
    assert found == expected.open_to(catalogue, vocabulary, case["answers"])


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("q", "mentoring")],
        [("q", "leadership"), ("stage", "student"), ("role", "mentee")],
        [("profession", "physiotherapist"), ("profession", "dietitian")],
        [("my_profession", "occupational-therapist"), ("my_member_of", "none")],
        [("open_now", "1")],
    ],
)
def test_each_facet_count_is_the_number_of_results_that_filter_gives(client, vocabulary, params):
    facets = search(client, params)["facets"]
    for facet in expected.FACET_IDS:
        for value in expected.filter_values(facet, vocabulary):
            changed = [p for p in params if p[0] != facet] + [(facet, value), ("page_size", "1")]
            count = facets[facet].get(value, 0)
            assert search(client, changed)["total"] == count, (facet, value)


EMPTIED_BY_FILTERS = [  # the words match something; the filters leave nothing of it
    [("q", "csp"), ("profession", "dietitian")],
    [("q", "csp"), ("open_now", "1")],
    [("q", "csp"), ("my_profession", "dietitian")],
]


@pytest.mark.parametrize("params", EMPTIED_BY_FILTERS)
def test_filters_can_leave_nothing_of_a_text_search(client, params):
    assert search(client, params[:1])["total"] > 0
    assert search(client, params)["total"] == 0


@pytest.mark.parametrize("params", EMPTIED_BY_FILTERS)
def test_a_search_with_no_results_lists_no_results(client, params):
    body = search(client, params)
    assert (body["total"], body["results"]) == (0, [])


# Paging -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_pages_of_any_allowed_size_cover_every_listing_once(client, catalogue, size):
    first = search(client, [("page_size", str(size))])
    assert first["pages"] == -(-len(catalogue.schemes) // size)
    ids = []
    for number in range(1, first["pages"] + 1):
        body = search(client, [("page_size", str(size)), ("page", str(number))])
        assert body["page"] == number
        assert len(body["results"]) == min(size, len(catalogue.schemes) - (number - 1) * size)
        ids += [r["id"] for r in body["results"]]
    assert sorted(ids) == sorted(catalogue.schemes)


def test_a_page_past_the_last_gives_the_last_page(client, catalogue):
    body = search(client, [("page", "50")])
    pages = -(-len(catalogue.schemes) // 10)
    last = len(catalogue.schemes) - (pages - 1) * 10
    assert (body["page"], body["pages"], len(body["results"])) == (pages, pages, last)


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("page_size", "0", "should be a whole number from 1 to 100"),
        ("page_size", "101", "should be a whole number from 1 to 100"),
        ("page_size", "-1", "should be a whole number from 1 to 100"),
        ("page_size", "ten", "should be a whole number from 1 to 100"),
        ("page_size", "", "should be a whole number from 1 to 100"),
        ("page", "0", "should be a whole number from 1 to 10000"),
        ("page", "10001", "should be a whole number from 1 to 10000"),
        ("page", "abc", "should be a whole number from 1 to 10000"),
        ("page", "1.5", "should be a whole number from 1 to 10000"),
        ("q", "x" * 201, "should be at most 200 characters"),
    ],
)
def test_numbers_and_lengths_out_of_bounds_are_a_400_naming_the_parameter(
    client, parameter, value, message
):
    body = search(client, [(parameter, value)], status=400)
    assert body == {
        "ok": False,
        "status": 400,
        "errors": [{"parameter": parameter, "message": message}],
    }


@pytest.mark.parametrize(
    ("parameter", "value"), [("page_size", "1"), ("page_size", "100"), ("q", "x" * 200)]
)
def test_values_at_the_bounds_are_accepted(client, parameter, value):
    assert search(client, [(parameter, value)])["ok"] is True


# Errors -----------------------------------------------------------------------------------------


def accepted_parameters(vocabulary) -> list[str]:
    return sorted(
        ["q", "sort", "page", "page_size", "open_now", *expected.FACET_IDS]
        + [f"my_{q}" for q in vocabulary.questions]
    )


@pytest.mark.parametrize("name", ["bogus", "Q", "pagesize", "my_name", "profession[]", "my_"])
def test_an_unknown_parameter_is_a_400_listing_the_parameters_there_are(client, vocabulary, name):
    body = search(client, [(name, "1")], status=400)
    assert body == {
        "ok": False,
        "status": 400,
        "errors": [
            {
                "parameter": name,
                "message": "unknown parameter",
                "valid": accepted_parameters(vocabulary),
            }
        ],
    }


def bad_value_cases():
    vocabulary = expected.VOCABULARY
    cases = [
        (facet, "physio", expected.filter_values(facet, vocabulary)) for facet in expected.FACET_IDS
    ]
    cases += [
        ("sort", "date", ["relevance", "name"]),
        ("open_now", "yes", ["0", "1"]),
        ("my_profession", "physio", rules.valid_answers(vocabulary, "profession")),
        ("my_member_of", "CSP", rules.valid_answers(vocabulary, "member_of")),
        ("my_stage", "final-year", rules.valid_answers(vocabulary, "stage")),
        ("my_level", "8", rules.valid_answers(vocabulary, "level")),
        ("my_region", "europe", rules.valid_answers(vocabulary, "region")),
        ("my_role", "mentee-and-mentor", rules.valid_answers(vocabulary, "role")),
        ("my_institution", "oxford", rules.valid_answers(vocabulary, "institution")),
        ("my_programme", "bsc", rules.valid_answers(vocabulary, "programme")),
    ]
    return [pytest.param(*case, id=f"{case[0]}={case[1]}") for case in cases]


@pytest.mark.parametrize(("parameter", "value", "valid"), bad_value_cases())
def test_a_bad_value_is_a_400_naming_the_parameter_and_its_valid_values(
    client, parameter, value, valid
):
    body = search(client, [(parameter, value)], status=400)
    assert set(body) == {"ok", "status", "errors"}
    assert (body["ok"], body["status"]) == (False, 400)
    (error,) = body["errors"]
    assert set(error) == {"parameter", "message", "valid"}
    assert error["parameter"] == parameter
    assert error["message"].startswith(f'unknown value "{value}"')
    assert error["valid"] == valid


def test_the_checker_suggests_a_slug_for_a_synonym(client):
    (error,) = search(client, [("my_profession", "physio")], status=400)["errors"]
    assert error["message"] == 'unknown value "physio" (did you mean "physiotherapist"?)'


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        (
            [("my_profession", "nurse"), ("my_profession", "paramedic")],
            "my_profession",
            "give one value only",
        ),
        (
            [("my_member_of", "none"), ("my_member_of", "csp")],
            "my_member_of",
            '"none" cannot be combined with other answers',
        ),
    ],
)
def test_answers_that_cannot_go_together_are_a_400(client, params, parameter, message):
    (error,) = search(client, params, status=400)["errors"]
    assert (error["parameter"], error["message"]) == (parameter, message)


def test_every_problem_in_a_request_is_reported_at_once(client):
    params = [("bogus", "1"), ("profession", "physio"), ("page_size", "0"), ("my_stage", "x")]
    body = search(client, params, status=400)
    assert [e["parameter"] for e in body["errors"]] == [
        "bogus",
        "profession",
        "page_size",
        "my_stage",
    ]


def test_many_values_of_one_filter_are_allowed_and_repeats_are_harmless(client):
    once = all_ids(client, [("profession", "paramedic")])
    twice = all_ids(client, [("profession", "paramedic"), ("profession", "paramedic")])
    assert once == twice


# One listing ------------------------------------------------------------------------------------


def test_every_listing_has_its_own_json(client, catalogue):
    for scheme_id, scheme in catalogue.schemes.items():
        response = get(client, f"/api/v1/schemes/{scheme_id}")
        assert response.status_code == 200
        body = response.json
        assert body["ok"] is True
        listing = body["scheme"]
        assert (listing["id"], listing["name"], listing["summary"]) == (
            scheme.id,
            scheme.name,
            scheme.summary,
        )
        assert listing["provider"]["id"] == scheme.provider
        assert listing["url"] == f"http://localhost/schemes/{scheme_id}"
        assert set(listing["facets"]) == set(expected.FACET_IDS)
        assert listing["verified"] is (scheme.last_verified is not None)


def test_a_listing_matches_its_search_result(client):
    result = search(client, [("q", "physio")])["results"][0]
    listing = client.get(result["api_url"]).json["scheme"]
    for key in ("id", "name", "summary", "listing_type", "access"):
        assert listing[key] == result[key]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/schemes/no-such-scheme",
        "/api/v1/schemes/CSP-MENTORING",
        "/api/v1/schemes/csp-mentoring.json",
        "/api/v1/schemes/%3Cscript%3E",
        "/api/v1/no-such-route",
        "/api/v2/schemes",
    ],
)
def test_anything_missing_under_the_api_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json == {"ok": False, "status": 404, "errors": [{"message": "not found"}]}


def test_a_wrong_method_is_a_json_405(client):
    response = client.post("/api/v1/schemes")
    assert response.status_code == 405
    assert response.json == {
        "ok": False,
        "status": 405,
        "errors": [{"message": "method not allowed"}],
    }


def test_a_listing_is_found_on_sqlite_and_postgresql_alike(any_db_app):
    client = any_db_app.test_client()
    assert client.get("/api/v1/schemes/csp-mentoring").json["scheme"]["id"] == "csp-mentoring"
    assert client.get("/api/v1/schemes/nope").status_code == 404


# Taxonomy ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def taxonomy(client):
    response = get(client, "/api/v1/taxonomy")
    assert response.status_code == 200
    return response.json


def test_the_taxonomy_has_every_term_set_with_every_slug(taxonomy, vocabulary):
    assert taxonomy["ok"] is True
    assert set(taxonomy["term_sets"]) == set(vocabulary.term_sets)
    for name, term_set in vocabulary.term_sets.items():
        published = taxonomy["term_sets"][name]
        assert published["label"] == term_set.label
        assert [t["slug"] for t in published["terms"]] == [t.slug for t in term_set.terms]
        assert [t["label"] for t in published["terms"]] == [t.label for t in term_set.terms]


def test_the_taxonomy_lists_the_14_allied_health_professions(taxonomy):
    professions = taxonomy["term_sets"]["professions"]
    assert {t["slug"] for t in professions["terms"] if t.get("ahp")} == AHP_PROFESSIONS
    (ahp,) = [g for g in professions["groups"] if g["slug"] == "ahp"]
    assert set(ahp["members"]) == AHP_PROFESSIONS
    (nmahp,) = [g for g in professions["groups"] if g["slug"] == "nmahp"]
    assert set(nmahp["members"]) == AHP_PROFESSIONS | {"nurse", "midwife"}


def test_the_taxonomy_carries_every_synonym(taxonomy, vocabulary):
    for name, term_set in vocabulary.term_sets.items():
        published = {t["slug"]: t for t in taxonomy["term_sets"][name]["terms"]}
        for term in term_set.terms:
            assert published[term.slug].get("synonyms", []) == list(term.synonyms), term.slug


@pytest.mark.parametrize(
    ("slug", "synonym"),
    [
        ("physiotherapist", "physio"),
        ("speech-and-language-therapist", "SALT"),
        ("speech-and-language-therapist", "SLT"),
        ("occupational-therapist", "OT"),
        ("operating-department-practitioner", "ODP"),
        ("podiatrist", "chiropodist"),
        ("prosthetist-orthotist", "P&O"),
        ("dietitian", "dietician"),
    ],
)
def test_the_synonyms_people_type_are_published(taxonomy, slug, synonym):
    (term,) = [t for t in taxonomy["term_sets"]["professions"]["terms"] if t["slug"] == slug]
    assert synonym in term["synonyms"]


def test_the_taxonomy_lists_the_questions_and_the_facets_with_their_valid_values(
    taxonomy, vocabulary
):
    assert [q["id"] for q in taxonomy["questions"]] == list(vocabulary.questions)
    for question in taxonomy["questions"]:
        assert question["valid"] == rules.valid_answers(vocabulary, question["id"])
    assert [f["id"] for f in taxonomy["facets"]] == list(expected.FACET_IDS)
    for facet in taxonomy["facets"]:
        assert facet["valid"] == expected.filter_values(facet["id"], vocabulary)


# The OpenAPI document --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def api_routes(app) -> dict[str, set[str]]:
    """Every /api/v1 URL rule, written the OpenAPI way, with its methods."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/feeds/")):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}
            )
    return routes


def test_the_openapi_document_is_openapi_3_1(openapi):
    assert openapi["openapi"].startswith("3.1.")
    assert openapi["info"]["title"] and openapi["info"]["version"]


def test_every_api_route_is_in_the_openapi_document(app, openapi):
    routes = api_routes(app)
    assert "/api/v1/schemes/{scheme_id}" in routes  # the guard sees the routes that exist
    for path, methods in routes.items():
        assert path in openapi["paths"], f"{path} is not described in directory/web/openapi.json"
        assert methods <= set(openapi["paths"][path]), (path, methods)


def test_every_path_in_the_openapi_document_exists(app, openapi):
    routes = api_routes(app)
    for path, operations in openapi["paths"].items():
        assert path in routes, f"openapi.json describes {path}, which the app does not serve"
        assert {m for m in operations if m != "parameters"} <= routes[path], path


def test_the_guard_notices_an_undocumented_route(openapi, tmp_path):
    from tests.web.conftest import make_app

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}")
    app.add_url_rule("/api/v1/secret/<int:n>", "secret", lambda n: {"n": n})
    try:
        missing = set(api_routes(app)) - set(openapi["paths"])
        assert missing == {"/api/v1/secret/{n}"}
    finally:
        app.extensions["directory"].close()


def deref(document: dict, node):
    """Follow a local "$ref" ("#/components/...") to what it points at."""
    if isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return deref(document, target)
    return node


def test_every_reference_in_the_openapi_document_resolves(openapi):
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(openapi))
    assert refs
    for ref in refs:
        deref(openapi, {"$ref": ref})


def test_every_parameter_the_search_accepts_is_documented(openapi, vocabulary):
    operation = openapi["paths"]["/api/v1/schemes"]["get"]
    documented = {deref(openapi, p)["name"] for p in operation["parameters"]}
    assert documented == set(accepted_parameters(vocabulary))


def test_documented_enums_match_the_values_the_api_accepts(openapi, vocabulary):
    operation = openapi["paths"]["/api/v1/schemes"]["get"]
    for parameter in [deref(openapi, p) for p in operation["parameters"]]:
        schema = parameter["schema"]
        enum = schema.get("enum") or schema.get("items", {}).get("enum")
        if enum is None:
            continue
        name = parameter["name"]
        if name in expected.FACET_IDS:
            assert enum == expected.filter_values(name, vocabulary), name
        elif name == "sort":
            assert enum == ["relevance", "name"]
        elif name == "open_now":
            assert enum == ["0", "1"]


def test_responses_have_the_fields_the_document_requires(client, openapi):
    schemas = openapi["components"]["schemas"]
    body = search(client, [("q", "physio")])
    assert set(schemas["SearchResults"]["required"]) <= set(body)
    for result in body["results"]:
        assert set(schemas["SchemeSummary"]["required"]) <= set(result)
    for error_body in (
        search(client, [("sort", "x")], status=400),
        client.get("/api/v1/schemes/nope").json,
    ):
        assert set(schemas["Error"]["required"]) <= set(error_body)
        for error in error_body["errors"]:
            assert set(schemas["Error"]["properties"]["errors"]["items"]["required"]) <= set(error)
