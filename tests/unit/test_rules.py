"""The rule engine: each predicate, nesting, the three outcomes and unknown answers."""

from __future__ import annotations

import pytest

from directory import rules
from directory.rules import Status
from directory.yamlfile import LocatedDocument, parse


def compile_ok(vocabulary, raw):
    node, problems = vocabulary.compiler.compile(raw, LocatedDocument("test", None), ())
    assert problems == []
    return node


def evaluate(vocabulary, raw_rule, **answers):
    raw = dict(answers)
    node = compile_ok(vocabulary, raw_rule)
    return rules.Evaluator(vocabulary, rules.parse_answers(vocabulary, raw)).outcome(node)


# Each predicate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "answers", "status", "text"),
    [
        (
            {"profession": "physiotherapist"},
            {"profession": "physiotherapist"},
            Status.ELIGIBLE,
            "you are a physiotherapist",
        ),
        (
            {"profession": "physiotherapist"},
            {"profession": "dietitian"},
            Status.INELIGIBLE,
            "it is for physiotherapists, and you told us you are a dietitian",
        ),
        ({"profession": "physiotherapist"}, {}, Status.POSSIBLE, "tell us your profession"),
        (
            {"profession": "physiotherapist"},
            {"profession": "not-sure"},
            Status.POSSIBLE,
            "tell us your profession",
        ),
        (
            {"profession": "ahp"},
            {"profession": "paramedic"},
            Status.ELIGIBLE,
            "you are a paramedic",
        ),
        (
            {"profession": "ahp"},
            {"profession": "pharmacist"},
            Status.INELIGIBLE,
            "it is for Allied Health Professionals (AHPs), and you told us you are a pharmacist",
        ),
        (
            {"stage": "student"},
            {"stage": "qualified"},
            Status.INELIGIBLE,
            "it is for students, and you told us you are qualified",
        ),
        ({"level": ["4", "5"]}, {"level": "5"}, Status.ELIGIBLE, "you are studying at Level 5"),
        (
            {"level": [6, 7]},
            {"level": "4"},
            Status.INELIGIBLE,
            "it is for students at Level 6 or Level 7, and you told us you are studying at Level 4",
        ),
        (
            {"region": "england"},
            {"region": "wales"},
            Status.INELIGIBLE,
            "it is for people based in England, and you told us you are based in Wales",
        ),
        ({"region": "uk"}, {"region": "scotland"}, Status.ELIGIBLE, "you are based in Scotland"),
        (
            {"institution": "ljmu"},
            {"institution": "other"},
            Status.INELIGIBLE,
            "it is for students at Liverpool John Moores University (LJMU), and you told us you "
            "study at another university or college",
        ),
        (
            {"programme": "mpharm"},
            {"programme": "mpharm"},
            Status.ELIGIBLE,
            "you are on the Master of Pharmacy (MPharm) course",
        ),
        ({"role": "mentor"}, {"role": "mentor"}, Status.ELIGIBLE, "you are offering to mentor"),
    ],
)
def test_each_predicate_gives_its_outcome_and_reason(vocabulary, rule, answers, status, text):
    outcome = evaluate(vocabulary, rule, **answers)
    assert outcome.status is status
    assert text in outcome.reasons + outcome.needs


def test_membership_held_makes_you_eligible(vocabulary):
    outcome = evaluate(vocabulary, {"member_of": "csp"}, member_of=["bda", "csp"])
    assert outcome == rules.Outcome(
        Status.ELIGIBLE, ("you are a member of the Chartered Society of Physiotherapy (CSP)",)
    )


def test_a_membership_you_can_take_up_makes_a_scheme_possible_not_ineligible(vocabulary):
    outcome = evaluate(vocabulary, {"member_of": "csp"}, member_of="none")
    assert outcome.status is Status.POSSIBLE
    assert outcome.needs == ("join the Chartered Society of Physiotherapy (CSP)",)


def test_any_of_several_memberships_lists_each_step(vocabulary):
    outcome = evaluate(vocabulary, {"member_of": ["csp", "sor"]}, member_of="none")
    assert outcome.needs == (
        "join the Chartered Society of Physiotherapy (CSP) or join the Society of Radiographers (SoR)",
    )


def test_unknown_membership_says_what_to_find_out(vocabulary):
    outcome = evaluate(vocabulary, {"member_of": "sor"})
    assert outcome.status is Status.POSSIBLE
    assert outcome.needs == (
        "find out whether you are a member of the Society of Radiographers (SoR)",
    )


def test_confirm_is_always_possible_with_its_step(vocabulary):
    outcome = evaluate(vocabulary, {"confirm": "ask your employer"}, profession="paramedic")
    assert outcome == rules.Outcome(Status.POSSIBLE, needs=("ask your employer",))


# Nesting -----------------------------------------------------------------------------------

STUDENT_PHYSIO_MEMBER = {
    "all": [{"profession": "physiotherapist"}, {"stage": "student"}, {"member_of": "csp"}]
}


def test_all_is_eligible_only_when_every_condition_holds(vocabulary):
    outcome = evaluate(
        vocabulary,
        STUDENT_PHYSIO_MEMBER,
        profession="physiotherapist",
        stage="student",
        member_of="csp",
    )
    assert outcome.status is Status.ELIGIBLE
    assert outcome.reasons == (
        "you are a physiotherapist",
        "you are a student",
        "you are a member of the Chartered Society of Physiotherapy (CSP)",
    )


def test_all_is_possible_with_met_reasons_and_missing_steps(vocabulary):
    outcome = evaluate(
        vocabulary, STUDENT_PHYSIO_MEMBER, profession="physiotherapist", member_of="none"
    )
    assert outcome.status is Status.POSSIBLE
    assert outcome.reasons == ("you are a physiotherapist",)
    assert outcome.needs == (
        "tell us whether you are a student or qualified",
        "join the Chartered Society of Physiotherapy (CSP)",
    )


def test_all_is_ineligible_when_a_fixed_condition_fails_even_if_others_are_unknown(vocabulary):
    outcome = evaluate(vocabulary, STUDENT_PHYSIO_MEMBER, profession="dietitian")
    assert outcome.status is Status.INELIGIBLE
    assert outcome.reasons == ("it is for physiotherapists, and you told us you are a dietitian",)


def test_empty_all_is_open_to_everyone(vocabulary):
    outcome = evaluate(vocabulary, {"all": []})
    assert outcome.status is Status.ELIGIBLE
    assert outcome.reasons == ("there are no conditions: it is open to everyone",)


def test_any_takes_the_first_branch_that_holds(vocabulary):
    rule = {"any": [{"profession": "dietitian"}, {"member_of": "nihr-academy"}]}
    outcome = evaluate(vocabulary, rule, profession="physiotherapist", member_of="nihr-academy")
    assert outcome == rules.Outcome(Status.ELIGIBLE, ("you are an NIHR Academy member",))


def test_any_offers_each_possible_branch_as_an_alternative(vocabulary):
    rule = {"any": [{"member_of": "csp"}, {"confirm": "ask your employer"}]}
    outcome = evaluate(vocabulary, rule, member_of="none")
    assert outcome.status is Status.POSSIBLE
    assert outcome.needs == (
        "join the Chartered Society of Physiotherapy (CSP) or ask your employer",
    )


def test_any_leaves_out_an_alternative_that_needs_more_than_another(vocabulary):
    """any(X, X and Y) needs only X: the longer alternative adds nothing to say."""
    rule = {
        "any": [
            {"profession": "physiotherapist"},
            {"all": [{"profession": "physiotherapist"}, {"confirm": "ask your employer"}]},
        ]
    }
    outcome = evaluate(vocabulary, rule)
    assert outcome.status is Status.POSSIBLE
    assert outcome.needs == ("tell us your profession",)


def test_any_is_ineligible_with_every_reason_when_no_branch_can_hold(vocabulary):
    rule = {"any": [{"profession": "dietitian"}, {"stage": "student"}]}
    outcome = evaluate(vocabulary, rule, profession="paramedic", stage="qualified")
    assert outcome.status is Status.INELIGIBLE
    assert len(outcome.reasons) == 2


@pytest.mark.parametrize(
    ("answers", "status"),
    [
        ({"profession": "pharmacist"}, Status.ELIGIBLE),
        ({"profession": "paramedic"}, Status.INELIGIBLE),
        ({}, Status.POSSIBLE),
    ],
)
def test_not_inverts_a_predicate(vocabulary, answers, status):
    assert evaluate(vocabulary, {"not": {"profession": "ahp"}}, **answers).status is status


def test_not_of_a_predicate_explains_itself(vocabulary):
    yes = evaluate(vocabulary, {"not": {"stage": "student"}}, stage="qualified")
    no = evaluate(vocabulary, {"not": {"stage": "student"}}, stage="student")
    assert yes.reasons == ("you are not a student",)
    assert no.reasons == ("it is not open to students",)


def test_not_of_all_is_pushed_down_to_any_of_nots(vocabulary):
    node = compile_ok(vocabulary, {"not": {"all": [{"stage": "student"}, {"level": "4"}]}})
    assert isinstance(node, rules.AnyOf)
    assert all(child.negated for child in node.children)
    # a Level 5 student is not (a student at Level 4)
    assert (
        evaluate(
            vocabulary,
            {"not": {"all": [{"stage": "student"}, {"level": "4"}]}},
            stage="student",
            level="5",
        ).status
        is Status.ELIGIBLE
    )


def test_double_not_cancels(vocabulary):
    node = compile_ok(vocabulary, {"not": {"not": {"stage": "student"}}})
    assert isinstance(node, rules.Predicate) and not node.negated


def test_equal_rules_compile_to_one_shared_object(vocabulary):
    first = compile_ok(vocabulary, {"all": [{"profession": "ahp"}, {"member_of": "csp"}]})
    second = compile_ok(vocabulary, {"all": [{"profession": "ahp"}, {"member_of": "csp"}]})
    assert first is second


def test_each_distinct_rule_is_evaluated_once_per_person(vocabulary, monkeypatch):
    node = compile_ok(vocabulary, {"profession": "ahp"})
    evaluator = rules.Evaluator(
        vocabulary, rules.parse_answers(vocabulary, {"profession": "paramedic"})
    )
    calls = []
    original = evaluator._evaluate
    monkeypatch.setattr(evaluator, "_evaluate", lambda n: calls.append(n) or original(n))
    for _ in range(3):
        evaluator.outcome(node)
    assert calls == [node]


# Compile errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"profession": "physio"},
            'rule.profession: unknown profession "physio" (did you mean "physiotherapist"?)',
        ),
        ({"profesion": "physiotherapist"}, 'rule.profesion: unknown predicate "profesion"'),
        ({"all": {"stage": "student"}}, "rule.all: all should be a list of rules"),
        ({"stage": "student", "level": "4"}, "rule: a rule is a mapping with one key"),
        ("student", "rule: a rule is a mapping with one key"),
        ({"not": {"confirm": "ask"}}, "rule.not.confirm: a confirm condition cannot be negated"),
        ({"confirm": ""}, "rule.confirm: should be the step to take, as text"),
        ({"member_of": []}, "rule.member_of: should name at least one value"),
        ({"any": []}, "rule.any: can never be met: it needs at least one rule"),
        ({"not": {"all": []}}, "rule.not.all: can never be met: it needs at least one rule"),
        ({"level": [4, True]}, "rule.level[1]: should be a slug, not True"),
    ],
)
def test_bad_rules_are_reported_with_line_and_field(vocabulary, raw, message):
    document = parse("rule: placeholder\n", "rules.yaml")
    node, problems = vocabulary.compiler.compile(raw, document, ("rule",))
    assert node is None
    assert any(str(p).startswith(f"rules.yaml:1: {message}") for p in problems), problems


# Answers -----------------------------------------------------------------------------------


def test_answers_apply_the_declared_default_role(vocabulary):
    answers = rules.parse_answers(vocabulary, {})
    assert answers["role"] == frozenset({"mentee"})
    assert answers["profession"] is None


def test_none_of_these_is_an_empty_answer_not_an_unknown_one(vocabulary):
    assert rules.parse_answers(vocabulary, {"member_of": ["none"]})["member_of"] == frozenset()


@pytest.mark.parametrize(
    ("raw", "parameter", "message"),
    [
        (
            {"profession": "physio"},
            "profession",
            'unknown value "physio" (did you mean "physiotherapist"?)',
        ),
        ({"stage": ["student", "qualified"]}, "stage", "give one value only"),
        (
            {"member_of": ["none", "csp"]},
            "member_of",
            '"none" cannot be combined with other answers',
        ),
        ({"level": "8"}, "level", 'unknown value "8"'),
    ],
)
def test_bad_answers_name_the_parameter_and_valid_values(vocabulary, raw, parameter, message):
    with pytest.raises(rules.AnswerErrors) as caught:
        rules.parse_answers(vocabulary, raw)
    (error,) = caught.value.errors
    assert (error.parameter, error.message) == (parameter, message)
    assert "not-sure" in error.valid
    assert set(vocabulary.slugs(vocabulary.questions[parameter].term_set)) <= set(error.valid)


# Questions asked -----------------------------------------------------------------------------


def test_study_level_is_asked_only_of_students_or_the_unsure(vocabulary):
    def asked(**raw):
        return rules.should_ask(vocabulary, "level", rules.parse_answers(vocabulary, raw))

    assert asked(stage="student")
    assert asked(stage="not-sure")
    assert not asked(stage="qualified")


# Whether anyone can meet a rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "met"),
    [
        ({"profession": "physiotherapist"}, True),
        ({"all": []}, True),
        ({"all": [{"stage": "student"}, {"level": "4"}]}, True),
        # Someone qualified is never asked a study level, so has none.
        ({"all": [{"stage": "qualified"}, {"level": "4"}]}, False),
        ({"all": [{"stage": "qualified"}, {"not": {"level": "4"}}]}, True),
        # An award is only asked of someone qualified.
        ({"all": [{"stage": "student"}, {"award": "ica"}]}, False),
        ({"all": [{"member_of": "csp"}, {"not": {"member_of": "csp"}}]}, False),
        # Joining the CSP is a step someone can take, so this alone can be met.
        ({"member_of": "csp"}, True),
        ({"all": [{"profession": "physiotherapist"}, {"profession": "dietitian"}]}, False),
        (
            {"any": [{"member_of": "csp"}, {"all": [{"stage": "qualified"}, {"level": "4"}]}]},
            True,
        ),
        ({"all": [{"confirm": "ask your employer"}, {"stage": "student"}]}, True),
        (
            {"all": [{"confirm": "ask your employer"}, {"stage": "qualified"}, {"level": "5"}]},
            False,
        ),
    ],
)
def test_a_rule_nobody_can_meet_is_found_by_trying_the_answers(vocabulary, rule, met):
    assert rules.can_be_met(vocabulary, compile_ok(vocabulary, rule)) is met


def test_a_rule_excluding_every_profession_can_never_be_met(vocabulary):
    everyone = {"not": {"profession": vocabulary.slugs("professions")}}
    assert rules.can_be_met(vocabulary, compile_ok(vocabulary, everyone)) is False
    all_but_one = {"not": {"profession": vocabulary.slugs("professions")[1:]}}
    assert rules.can_be_met(vocabulary, compile_ok(vocabulary, all_but_one)) is True


def test_every_rule_in_the_catalogue_can_be_met(catalogue):
    for scheme_rules in catalogue.rules.values():
        for role, role_rule in scheme_rules.by_role.items():
            assert rules.can_be_met(catalogue.vocabulary, role_rule.rule), (
                scheme_rules.scheme_id,
                role,
            )


@pytest.mark.parametrize(
    ("rule", "positions"),
    [
        ({"profession": "physiotherapist"}, []),
        ({"any": [{"member_of": "csp"}, {"stage": "student"}]}, []),
        ({"any": [{"member_of": "csp"}, {"all": [{"stage": "qualified"}, {"level": "4"}]}]}, [1]),
        # With a condition everyone must meet: "qualified", so way 1 (a student) cannot be.
        (
            {
                "all": [
                    {"stage": "qualified"},
                    {"any": [{"stage": "student"}, {"member_of": "csp"}]},
                ]
            },
            [0],
        ),
        # Two separate choices are not ways to qualify.
        ({"all": [{"any": [{"stage": "student"}]}, {"any": [{"member_of": "csp"}]}]}, []),
    ],
)
def test_a_way_to_qualify_nobody_can_meet_is_found(vocabulary, rule, positions):
    assert rules.ways_nobody_meets(vocabulary, compile_ok(vocabulary, rule)) == positions


def test_the_conditions_that_clash_are_named(vocabulary):
    node = compile_ok(
        vocabulary,
        {
            "all": [
                {"profession": "physiotherapist"},
                {"stage": "qualified"},
                {"member_of": "csp"},
                {"level": "6"},
                {"confirm": "ask"},
            ]
        },
    )
    found = rules.clash(vocabulary, node.children)
    assert [rules.describe(vocabulary, c).text for c in found] == [
        "you are qualified",
        "you are studying at Level 6",
    ]
    assert rules.clash(vocabulary, node.children[:3]) == ()
