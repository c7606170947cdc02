"""Each scheme's eligibility, as stated in the sources, from tests/scheme_cases.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from directory import rules

CASES = yaml.safe_load((Path(__file__).parent.parent / "scheme_cases.yaml").read_text())


def expectation(value) -> dict:
    return {"status": value} if isinstance(value, str) else value


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_scheme_eligibility_as_the_sources_state_it(vocabulary, catalogue, case):
    answers = rules.parse_answers(vocabulary, case["answers"])
    decisions = {
        d.scheme_id: d for d in rules.decide_all(vocabulary, answers, catalogue.rules.values())
    }
    for scheme_id, expected in case["expect"].items():
        expected = expectation(expected)
        decision = decisions[scheme_id]
        assert decision.status.value == expected["status"], (scheme_id, decision)
        for reason in expected.get("because", []):
            assert reason in decision.reasons, (scheme_id, decision.reasons)
        for need in expected.get("needs", []):
            assert need in decision.needs, (scheme_id, decision.needs)


def test_every_scheme_has_a_joining_and_a_not_joining_case(catalogue):
    statuses: dict[str, set[str]] = {scheme_id: set() for scheme_id in catalogue.schemes}
    for case in CASES:
        for scheme_id, expected in case["expect"].items():
            statuses[scheme_id].add(expectation(expected)["status"])
    for scheme_id, seen in statuses.items():
        if catalogue.schemes[scheme_id].listing_type == "guidance":
            assert "possible" in seen, scheme_id
        else:
            assert {"eligible", "ineligible"} <= seen, f"{scheme_id} has only {seen}"


def test_every_scheme_gets_exactly_one_decision(vocabulary, catalogue):
    answers = rules.parse_answers(vocabulary, {"profession": "physiotherapist"})
    decisions = rules.decide_all(vocabulary, answers, catalogue.rules.values())
    assert sorted(d.scheme_id for d in decisions) == sorted(catalogue.schemes)
