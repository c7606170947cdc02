"""Random answers, valid or not, at the checker's pages and API: never a server error."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def answer_pairs(vocabulary):
    """Query pairs: mostly valid slugs, sometimes not-sure/none, sometimes junk."""
    values = []
    for question in vocabulary.questions.values():
        valid = st.sampled_from([*vocabulary.slugs(question.term_set), "not-sure", "none"])
        junk = st.text(max_size=12)
        values.append(st.tuples(st.just(question.id), st.one_of(valid, valid, valid, junk)))
    return st.lists(st.one_of(*values), max_size=10)


def test_random_answers_never_cause_a_server_error_and_each_listing_is_in_one_group(
    app, vocabulary, catalogue
):
    client = app.test_client()
    listings = len(catalogue.schemes)
    valid = {
        q.id: set(vocabulary.slugs(q.term_set)) | {"not-sure"}
        for q in vocabulary.questions.values()
    }

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        answer_pairs(vocabulary),
        st.sampled_from(
            [
                "/api/v1/eligibility",
                "/check/results",
                "/check/answers",
                "/check/all",
                "/check/member_of",
            ]
        ),
    )
    def check(pairs, path):
        response = client.get(f"{path}?{urlencode(pairs)}")
        assert response.status_code < 500
        if path != "/api/v1/eligibility":
            return
        if response.status_code == 400:
            assert response.json["errors"] and all(
                "parameter" in e for e in response.json["errors"]
            )
            return
        data = response.json
        ids = [
            item["id"] for group in ("eligible", "possible", "ineligible") for item in data[group]
        ]
        assert len(ids) == len(set(ids)) == listings
        for key, value in pairs:  # a 200 means every answer was understood
            assert value in valid[key] or value == "" or (key == "member_of" and value == "none")

    check()
