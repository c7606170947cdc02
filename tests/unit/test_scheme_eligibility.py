"""The real catalogue's eligibility, as the sources state it: tests/scheme_cases.yaml.

These are acceptance tests of data/schemes.yaml (code tests use the fixture catalogue):
when a real listing is corrected or added, its cases here change with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import tests.sources
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


def test_every_listing_has_cases_that_tell_people_apart(real_catalogue):
    """Each listing has cases giving at least two different outcomes (who can take part,
    and who cannot or what stands in their way), unless its rules ask no question at all;
    a listing nobody can join now has a case saying why."""
    seen: dict[str, set] = {scheme_id: set() for scheme_id in real_catalogue.schemes}
    for case in CASES:
        for scheme_id, expected in case["expect"].items():
            expected = expectation(expected)
            seen[scheme_id].add((expected["status"], tuple(expected.get("needs", ()))))
            seen[scheme_id] |= {("because", r) for r in expected.get("because", ())}
    for scheme_id, outcomes in seen.items():
        scheme = real_catalogue.schemes[scheme_id]
        asks = any(
            True
            for role_rule in real_catalogue.rules[scheme_id].by_role.values()
            for _ in rules.predicates(role_rule.rule)
        )
        statuses = [o for o in outcomes if o[0] != "because"]
        if not scheme.joinable:
            closed = real_catalogue.rules[scheme_id].closed
            assert ("because", closed) in outcomes, f"{scheme_id}: no case says {closed!r}"
        elif asks:
            assert len(statuses) >= 2, f"{scheme_id} has only {statuses}"
        else:
            assert statuses, f"{scheme_id} has no case"


def test_every_case_rests_on_a_source_line_in_its_own_words():
    sources = tests.sources.load()
    wrong = [c["name"] for c in CASES if not tests.sources.anywhere(sources, c["rests_on"])]
    assert wrong == []


def test_every_scheme_gets_exactly_one_decision(vocabulary, catalogue):
    answers = rules.parse_answers(vocabulary, {"profession": "physiotherapist"})
    decisions = rules.decide_all(vocabulary, answers, catalogue.rules.values())
    assert sorted(d.scheme_id for d in decisions) == sorted(catalogue.schemes)
