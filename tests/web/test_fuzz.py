"""Random searches thrown at /search, /search.csv and /api/v1/schemes: never a server error.

One app per test function, shared by every example (it is only read), hence the
suppressed function_scoped_fixture health check.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory import rules
from tests import expected

VOCABULARY = expected.VOCABULARY
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WHOOSH_SYNTAX = [
    "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "and", "or", "not", "(", ")", "*", "?", "~", "^",
    ":", '"', "'", "’", "[", "]", "{", "}", "TO", "-", "+", "&", "&&", "\\", "/", "%", "<", ">",
    "name:physio", "physio*", "ph?sio", "physio~2", "physio^5", "[a TO z]", '"speech and"',
    "description:(a OR b)", "*:*", "\x00", "\t", "", "  ",
]  # fmt: skip
KNOWN_WORDS = [*sorted(VOCABULARY.synonyms), "mentoring", "leadership", "students", "NIHR"]
unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=20
)
query_text = st.lists(
    st.one_of(st.sampled_from(WHOOSH_SYNTAX), st.sampled_from(KNOWN_WORDS), unicode_text),
    max_size=8,
).map(" ".join)

SEARCH_KEYS = ["q", "sort", "page", "page_size", "open_now", *expected.FACET_IDS]
ANSWER_KEYS = [f"my_{q}" for q in VOCABULARY.questions]


def valid_values(key: str) -> list[str]:
    if key in expected.FACET_IDS:
        return expected.filter_values(key, VOCABULARY)
    if key in ANSWER_KEYS:
        return rules.valid_answers(VOCABULARY, key.removeprefix("my_"))
    return {"sort": ["relevance", "name"], "open_now": ["0", "1"]}.get(key, [])


page_numbers = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.sampled_from(["", "0", "-1", "1.5", "1e3", "٣", "99999", "9" * 5000, " 2 "]),
    unicode_text,
)


@st.composite
def parameter(draw, keys):
    key = draw(st.one_of(st.sampled_from(keys), unicode_text.filter(lambda k: k != "")))
    if key == "q":
        value = draw(query_text)
    elif key in ("page", "page_size"):
        value = draw(page_numbers)
    elif valid_values(key):
        value = draw(st.one_of(st.sampled_from(valid_values(key)), unicode_text))
    else:
        value = draw(unicode_text)
    return (key, value)


def searches(keys):
    return st.lists(parameter(keys), max_size=8)


def check_page(client, params):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200, (params, response.status_code)
    assert response.mimetype == "text/html"


def check_csv(client, params):
    response = client.get("/search.csv", query_string=params)
    assert response.status_code == 200, (params, response.status_code)
    text = response.get_data(as_text=True)
    assert text.startswith("id,name,provider,listing_type,access,summary,url,last_verified")


def check_api(client, params):
    response = client.get("/api/v1/schemes", query_string=params)
    assert response.status_code in (200, 400), (params, response.status_code)
    assert response.mimetype == "application/json"
    body = response.json
    if response.status_code == 400:
        assert (body["ok"], body["status"]) == (False, 400)
        assert body["errors"]
        for error in body["errors"]:
            assert {"parameter", "message"} <= set(error), error
    else:
        assert body["ok"] is True
        assert 1 <= body["page"] <= body["pages"]
        assert len(body["results"]) <= min(body["page_size"], body["total"])


@FUZZ
@given(params=searches(SEARCH_KEYS + ANSWER_KEYS))
def test_random_searches_never_fail(client, params):
    check_page(client, params)
    check_csv(client, params)
    check_api(client, params)


@settings(FUZZ, max_examples=30)
@given(text=query_text, page=page_numbers)
def test_random_words_and_page_numbers_never_fail(client, text, page):
    params = [("q", text), ("page", page)]
    check_page(client, params)
    check_csv(client, params)
    check_api(client, [("q", text[:200])])


@settings(FUZZ, max_examples=20)
@given(params=searches(ANSWER_KEYS))
def test_random_search_as_me_answers_never_fail_on_the_page(client, params):
    check_page(client, params)
