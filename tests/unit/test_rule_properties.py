"""Property tests: any answers, any well-formed rule, never a crash, one outcome each."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from directory import rules
from directory.rules import Status
from directory.yamlfile import LocatedDocument


def answers_strategy(vocabulary):
    """Random answers: any valid value, "not-sure", nothing, or "none" where allowed."""
    per_question = {}
    for question in vocabulary.questions.values():
        slugs = vocabulary.slugs(question.term_set)
        if question.multiple:
            choice = st.one_of(
                st.lists(st.sampled_from(slugs), unique=True, max_size=4),
                st.just(["none"]),
                st.just(["not-sure"]),
            )
        else:
            choice = st.one_of(
                st.sampled_from([*slugs, "not-sure"]).map(lambda s: [s]), st.just([])
            )
        per_question[question.id] = choice
    return st.fixed_dictionaries(per_question)


def rule_strategy(vocabulary):
    leaves = []
    for question in vocabulary.questions.values():
        term_set = vocabulary.term_sets[question.term_set]
        values = [t.slug for t in term_set.terms] + [g.slug for g in term_set.groups]
        leaves.append(
            st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True).map(
                lambda v, q=question.id: {q: v}
            )
        )
    leaves.append(st.just({"confirm": "ask the provider"}))
    leaf = st.one_of(leaves)
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(lambda c: {"all": c}),
            st.lists(children, min_size=1, max_size=4).map(lambda c: {"any": c}),
            children.filter(lambda c: "confirm" not in str(c)).map(lambda c: {"not": c}),
        ),
        max_leaves=12,
    )


def test_random_answers_give_exactly_one_outcome_per_scheme(vocabulary, catalogue):
    @settings(max_examples=300, deadline=None)
    @given(answers_strategy(vocabulary))
    def check(raw):
        answers = rules.parse_answers(vocabulary, raw)
        decisions = rules.decide_all(vocabulary, answers, catalogue.rules.values())
        assert [d.scheme_id for d in decisions] == list(catalogue.rules)
        for decision in decisions:
            assert decision.status in Status
            if decision.status is Status.POSSIBLE:
                assert decision.needs, decision  # a "possible" always says what to do
            if decision.status is Status.INELIGIBLE:
                assert decision.reasons, decision  # a "no" always says why

    check()


def test_random_rules_and_answers_never_crash_and_explain_themselves(vocabulary):
    @settings(max_examples=300, deadline=None)
    @given(rule_strategy(vocabulary), answers_strategy(vocabulary))
    def check(raw_rule, raw_answers):
        node, problems = vocabulary.compiler.compile(raw_rule, LocatedDocument("t", None), ())
        # negating an empty `all` asks for something impossible: the compiler refuses it
        assume(not any("can never be met" in p.message for p in problems))
        assert problems == []
        outcome = rules.Evaluator(vocabulary, rules.parse_answers(vocabulary, raw_answers)).outcome(
            node
        )
        assert outcome.status in Status
        if outcome.status is Status.POSSIBLE:
            assert outcome.needs
        if outcome.status is Status.INELIGIBLE:
            assert outcome.reasons

    check()


def test_knowing_more_never_turns_a_yes_into_a_no_for_attainable_steps(vocabulary, catalogue):
    """Answering "none" for memberships never makes an eligible-by-profession scheme ineligible."""

    @settings(max_examples=100, deadline=None)
    @given(st.sampled_from(vocabulary.slugs("professions")))
    def check(profession):
        unknown = rules.parse_answers(vocabulary, {"profession": profession})
        none = rules.parse_answers(vocabulary, {"profession": profession, "member_of": "none"})
        before = rules.decide_all(vocabulary, unknown, catalogue.rules.values())
        after = rules.decide_all(vocabulary, none, catalogue.rules.values())
        for a, b in zip(before, after, strict=True):
            if a.status is Status.POSSIBLE and b.status is Status.INELIGIBLE:
                # only fixed memberships (NIHR Academy) may close a door once answered
                assert "NIHR Academy members" in " ".join(b.reasons), (a, b)

    check()
