"""The real catalogue's eligibility, as the sources state it: tests/scheme_cases.yaml.

These are acceptance tests of data/schemes.yaml (code tests use the fixture catalogue):
when a real listing is corrected or added, its cases here change with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from directory import rules

CASES = yaml.safe_load((Path(__file__).parent.parent / "scheme_cases.yaml").read_text())


def expectation(value) -> dict:
    return {"status": value} if isinstance(value, str) else value


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_scheme_eligibility_as_the_sources_state_it(real_catalogue, case):
    vocabulary = real_catalogue.vocabulary
    answers = rules.parse_answers(vocabulary, case["answers"])
    decisions = {
        d.scheme_id: d for d in rules.decide_all(vocabulary, answers, real_catalogue.rules.values())
    }
    for scheme_id, expected in case["expect"].items():
        expected = expectation(expected)
        decision = decisions[scheme_id]
        assert decision.status.value == expected["status"], (scheme_id, decision)
        for reason in expected.get("because", []):
            assert reason in decision.reasons, (scheme_id, decision.reasons)
        for need in expected.get("needs", []):
            assert need in decision.needs, (scheme_id, decision.needs)


def test_every_scheme_has_a_joining_and_a_not_joining_case(real_catalogue):
    statuses: dict[str, set[str]] = {scheme_id: set() for scheme_id in real_catalogue.schemes}
    for case in CASES:
        for scheme_id, expected in case["expect"].items():
            statuses[scheme_id].add(expectation(expected)["status"])
    for scheme_id, seen in statuses.items():
        if real_catalogue.schemes[scheme_id].listing_type == "guidance":
            assert "possible" in seen, scheme_id
        else:
            assert {"eligible", "ineligible"} <= seen, f"{scheme_id} has only {seen}"


def test_every_scheme_gets_exactly_one_decision(vocabulary, catalogue):
    answers = rules.parse_answers(vocabulary, {"profession": "physiotherapist"})
    decisions = rules.decide_all(vocabulary, answers, catalogue.rules.values())
    assert sorted(d.scheme_id for d in decisions) == sorted(catalogue.schemes)
