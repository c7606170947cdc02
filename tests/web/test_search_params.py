"""One web contract for search (issue #18): one parser, each limit declared once, and the
OpenAPI document equal to the declarations, with vocabulary values as enums."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from werkzeug.datastructures import MultiDict

from directory import facets
from directory.web import search_params
from directory.web.search_params import MAX_PAGE, MAX_PAGE_SIZE, MAX_TEXT_LENGTH


def read(pairs, vocabulary, strict):
    return search_params.read(MultiDict(pairs), vocabulary, strict=strict)


def test_the_openapi_file_describes_exactly_the_declared_search_parameters(vocabulary):
    document = json.loads(search_params.OPENAPI_FILE.read_text())
    documented = document["paths"][search_params.SCHEMES_PATH]["get"]["parameters"]
    assert documented == search_params.openapi_parameters(vocabulary), (
        "run `.venv/bin/python -m directory.web.openapi_file` to rewrite them"
    )


def test_vocabulary_valued_parameters_declare_their_values_as_enums(vocabulary):
    declared = {p["name"]: p["schema"] for p in search_params.openapi_parameters(vocabulary)}
    for facet in facets.FACETS:
        assert declared[facet.id]["items"]["enum"] == facets.valid_values(facet.id, vocabulary)
    for question in vocabulary.questions.values():
        schema = declared[search_params.ANSWER_PREFIX + question.id]
        if question.term_set in search_params.CATALOGUE_TERM_SETS:
            assert "enum" not in str(schema)  # the catalogue adds its universities, courses
        else:
            assert "not-sure" in allowed_values(schema), question.id


def allowed_values(schema: dict) -> set[str]:
    """Every value a parameter's schema lists, whatever its shape (string, array, anyOf)."""
    found = set(schema.get("enum", []))
    for part in [schema.get("items"), *schema.get("anyOf", [])]:
        if part:
            found |= allowed_values(part)
    return found


def test_the_served_document_lists_the_catalogues_own_universities(client, catalogue):
    served = client.get("/api/v1/openapi.json").get_json()
    parameters = served["paths"]["/api/v1/eligibility"]["get"]["parameters"]
    eligibility = {p["name"]: p["schema"] for p in parameters}
    universities = set(catalogue.vocabulary.slugs("institutions"))
    assert universities and universities <= allowed_values(eligibility["institution"])
    # "none" stands alone; "not-sure" may go beside ticked answers (#19).
    alone, together = eligibility["member_of"]["anyOf"]
    assert "none" in allowed_values(alone) and alone["maxItems"] == 1
    assert "none" not in allowed_values(together)
    assert "not-sure" in allowed_values(together)


@pytest.mark.parametrize(
    ("pairs", "problem"),
    [
        ([("q", "x" * (MAX_TEXT_LENGTH + 1))], "q"),
        ([("page", str(MAX_PAGE + 1))], "page"),
        ([("page_size", str(MAX_PAGE_SIZE + 1))], "page_size"),
        ([("sort", "newest")], "sort"),
        ([("open_now", "yes")], "open_now"),
        ([("profession", "wizard")], "profession"),
        ([("my_profession", "wizard")], "my_profession"),
        ([("colour", "blue")], "colour"),
    ],
)
def test_what_the_api_refuses_the_page_reads_as_best_it_can(vocabulary, pairs, problem):
    strict = read(pairs, vocabulary, strict=True)
    assert [p["parameter"] for p in strict.problems] == [problem]
    lenient = read(pairs, vocabulary, strict=False)
    assert lenient.problems == []
    assert len(lenient.text) <= MAX_TEXT_LENGTH
    assert 1 <= lenient.page <= MAX_PAGE and 1 <= lenient.page_size <= MAX_PAGE_SIZE
    assert lenient.sort in ("relevance", "name") and lenient.filters == {}


def test_the_page_says_which_filter_values_it_dropped(vocabulary):
    lenient = read([("profession", "wizard"), ("profession", "dietitian")], vocabulary, False)
    assert lenient.filters == {"profession": ["dietitian"]}
    assert lenient.ignored == [("profession", "wizard")]


def test_both_readings_agree_on_a_good_search(vocabulary):
    pairs = [("q", " physio "), ("sort", "name"), ("page", "2"), ("profession", "dietitian")]
    strict, lenient = read(pairs, vocabulary, True), read(pairs, vocabulary, False)
    assert strict == lenient and strict.problems == []
    assert (strict.text, strict.page, strict.sort) == ("physio", 2, "name")


def test_the_search_page_shows_what_it_ignored_where_the_api_says_400(client):
    page = client.get("/search?q=physio&profession=wizard&page=99999")
    assert page.status_code == 200
    assert "wizard" in page.get_data(as_text=True)
    api = client.get("/api/v1/schemes?q=physio&profession=wizard&page=99999")
    assert api.status_code == 400
    assert {e["parameter"] for e in api.json["errors"]} == {"profession", "page"}


def test_search_as_me_answers_are_read_once_with_the_rest(vocabulary):
    good = read([("my_profession", "physiotherapist")], vocabulary, strict=True)
    assert good.problems == [] and good.me["profession"] == {"physiotherapist"}
    assert read([("q", "physio")], vocabulary, strict=True).me is None
    bad = [("my_profession", "astronaut")]
    strict = read(bad, vocabulary, strict=True)
    assert [p["parameter"] for p in strict.problems] == ["my_profession"]
    assert strict.me is None
    lenient = read(bad, vocabulary, strict=False)
    assert (lenient.problems, lenient.me) == ([], None)


def test_the_eligibility_api_reads_answers_with_the_same_function(vocabulary):
    problems: list[dict] = []
    answers = search_params.read_answers(MultiDict(), vocabulary, "", problems)
    assert problems == [] and set(answers) == set(vocabulary.questions)
    assert search_params.read_answers(MultiDict([("stage", "x")]), vocabulary, "", problems) is None
    assert [p["parameter"] for p in problems] == ["stage"]


def test_the_openapi_writer_is_not_imported_by_the_web_package():
    """So `python -m directory.web.openapi_file` runs it once, without runpy's warning."""
    code = "import sys, directory.web.app; print('directory.web.openapi_file' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (found.returncode, found.stdout.strip(), found.stderr) == (0, "False", "")
