"""Deciding every listing at once (outcomes.RuleTable) agrees with deciding one by one.

`rules.decide_all` is the reference: it words every decision in full. The table checks
each distinct rule once for its status, as bitmaps, and words only what is shown.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from directory import outcomes, rules
from directory.rules import Status
from directory.yamlfile import LocatedDocument
from tests import expected
from tests.unit.test_rule_properties import answers_strategy, rule_strategy


def shared_rules_table(catalogue, copies: int = 3):
    """Each real listing `copies` times over, as a big catalogue's listings share rules."""
    schemes = [
        replace(s, scheme_id=f"{s.scheme_id}-{n}")
        for s in catalogue.rules.values()
        for n in range(copies)
    ]
    return outcomes.RuleTable(catalogue.vocabulary, schemes), schemes


def test_every_listing_gets_the_status_and_decision_deciding_it_alone_gives(vocabulary, catalogue):
    table, schemes = shared_rules_table(catalogue)

    @settings(max_examples=300, deadline=None)
    @given(answers_strategy(vocabulary))
    def check(raw):
        answers = rules.parse_answers(vocabulary, raw)
        sorted_out = table.sort(answers)
        groups = [sorted_out.bits(status) for status in Status]
        assert sum(g.bit_count() for g in groups) == len(schemes)  # each in one group
        assert groups[0] | groups[1] | groups[2] == table.everything
        decisions = rules.decide_all(vocabulary, answers, schemes)
        for decision in decisions:
            assert sorted_out.status_of(decision.scheme_id) is decision.status
            assert sorted_out.decision(decision.scheme_id) == decision
        kept = {d.scheme_id for d in decisions if d.status is not Status.INELIGIBLE}
        assert set(table.ids_in(sorted_out.not_ruled_out)) == kept

    check()


def test_a_possible_listing_is_counted_under_as_many_steps_as_its_decision_names(
    vocabulary, catalogue
):
    table, _ = shared_rules_table(catalogue, copies=1)

    @settings(max_examples=200, deadline=None)
    @given(answers_strategy(vocabulary))
    def check(raw):
        sorted_out = table.sort(rules.parse_answers(vocabulary, raw))
        by_steps = sorted_out.possible_by_steps()
        assert sum(bits.bit_count() for bits in by_steps.values()) == (
            sorted_out.possible.bit_count()
        )
        for steps, bits in by_steps.items():
            for scheme_id in table.ids_in(bits):
                assert len(sorted_out.decision(scheme_id).needs) == steps

    check()


def test_any_rule_gets_the_status_the_evaluator_gives_it(vocabulary):
    """Random rules, not only the catalogue's: negations, nesting, confirm steps."""

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(rule_strategy(vocabulary), min_size=1, max_size=4), answers_strategy(vocabulary)
    )
    def check(raw_rules, raw_answers):
        compiled = []
        for raw in raw_rules:
            node, problems = vocabulary.compiler.compile(raw, LocatedDocument("t", None), ())
            if not problems:
                compiled.append(node)
        schemes = [
            rules.SchemeRules(f"s{i}", {"mentee": rules.RoleRule(node)})
            for i, node in enumerate(compiled)
        ]
        table = outcomes.RuleTable(vocabulary, schemes)
        answers = rules.parse_answers(vocabulary, raw_answers)
        statuses = table.statuses(answers)
        evaluator = rules.Evaluator(vocabulary, answers)
        for node, status in zip(table.nodes, statuses, strict=True):
            assert outcomes.STATUSES[status] is evaluator.outcome(node).status

    check()


def test_bitmaps_kept_from_person_to_person_are_what_each_would_get_alone(vocabulary, monkeypatch):
    """Random rules for both roles on one table, many people, and room to keep only a
    few groups' bitmaps (so they are often forgotten): every listing's status is still
    the one deciding it alone gives."""
    monkeypatch.setattr(outcomes, "MEMO_ENTRIES", 3)

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(
            st.tuples(rule_strategy(vocabulary), rule_strategy(vocabulary), st.booleans()),
            min_size=1,
            max_size=6,
        ),
        st.lists(answers_strategy(vocabulary), min_size=2, max_size=8),
    )
    def check(raw_rules, people):
        schemes = []
        for i, (*raw_pair, ended) in enumerate(raw_rules):
            compiled = [
                vocabulary.compiler.compile(raw, LocatedDocument("t", None), ()) for raw in raw_pair
            ]
            if any(problems for _, problems in compiled):
                continue
            (mentee, _), (mentor, _) = compiled
            by_role = {"mentee": rules.RoleRule(mentee), "mentor": rules.RoleRule(mentor)}
            closed = "it has ended" if ended else None
            schemes.append(rules.SchemeRules(f"s{i}", by_role, closed))
        table = outcomes.RuleTable(vocabulary, schemes)
        for raw in people + people:  # everyone twice: the second time from what was kept
            answers = rules.parse_answers(vocabulary, raw)
            sorted_out = table.sort(answers)
            for decision in rules.decide_all(vocabulary, answers, schemes):
                assert sorted_out.status_of(decision.scheme_id) is decision.status
            # A listing that has ended is never open, and shown apart where it would be.
            ended_ids = {s.scheme_id for s in schemes if s.closed}
            assert not set(table.ids_in(sorted_out.not_ruled_out)) & ended_ids
            assert set(table.ids_in(sorted_out.not_running)) <= ended_ids

    check()


def test_listings_are_laid_out_in_name_order(catalogue):
    table = catalogue.rule_table
    by_name = sorted(catalogue.schemes.values(), key=lambda s: (s.name.lower(), s.id))
    assert table.ids_in(table.everything) == [s.id for s in by_name]
    assert table.ids_in(table.everything, limit=4, start=2) == [s.id for s in by_name[2:6]]


def test_naming_a_profession_finds_the_listings_whose_rule_names_it(vocabulary, catalogue):
    table = catalogue.rule_table
    for profession in vocabulary.slugs("professions"):
        named = table.naming("mentee", "profession", profession)
        assert set(table.ids_in(named)) == expected.naming_profession(catalogue, profession)
    assert table.naming("mentee", "profession", "ahp") != 0  # groups count as written


def test_guidance_listings_are_the_guidance_bits(catalogue):
    table = catalogue.rule_table
    guidance = {s.id for s in catalogue.schemes.values() if s.listing_type == "guidance"}
    assert guidance and set(table.ids_in(catalogue.guidance_bits)) == guidance


def test_wording_kept_from_person_to_person_is_what_each_would_get_alone(vocabulary):
    """Random rules, one SharedOutcomes for everyone (so small it is often emptied):
    every outcome, reasons and needs included, is what a fresh evaluator words."""
    shared = rules.SharedOutcomes(limit=50)
    compiled = []

    @settings(max_examples=300, deadline=None)
    @given(rule_strategy(vocabulary), st.lists(answers_strategy(vocabulary), min_size=2))
    def check(raw_rule, people):
        node, problems = vocabulary.compiler.compile(raw_rule, LocatedDocument("t", None), ())
        if problems:
            return
        compiled.append(node)  # earlier rules too: the memo holds them for later people
        for raw in people:
            answers = rules.parse_answers(vocabulary, raw)
            remembering = rules.Evaluator(vocabulary, answers, shared)
            alone = rules.Evaluator(vocabulary, answers)
            for rule in compiled[-5:]:
                assert remembering.outcome(rule) == alone.outcome(rule)

    check()
