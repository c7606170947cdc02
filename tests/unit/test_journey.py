"""Which checker questions are asked, and in what order."""

from __future__ import annotations

import pytest

from directory import journey


@pytest.mark.parametrize(
    ("raw", "asked"),
    [
        (
            {},
            [
                "role",
                "profession",
                "stage",
                "level",
                "member_of",
                "region",
                "institution",
                "programme",
                "research_stage",
                "award",
            ],
        ),
        (
            {"stage": ["qualified"]},
            ["role", "profession", "stage", "member_of", "region", "research_stage", "award"],
        ),
        (
            {"stage": ["student"], "institution": ["other"]},
            [
                "role",
                "profession",
                "stage",
                "level",
                "member_of",
                "region",
                "institution",
                "research_stage",
            ],
        ),
        (
            {"stage": ["student"], "institution": ["ljmu"]},
            [
                "role",
                "profession",
                "stage",
                "level",
                "member_of",
                "region",
                "institution",
                "programme",
                "research_stage",
            ],
        ),
        (
            {"stage": ["retired"]},  # not understood: treated as unanswered
            [
                "role",
                "profession",
                "stage",
                "level",
                "member_of",
                "region",
                "institution",
                "programme",
                "research_stage",
                "award",
            ],
        ),
    ],
)
def test_questions_are_asked_only_where_they_apply(vocabulary, raw, asked):
    assert journey.asked(vocabulary, raw) == asked


def test_answers_to_questions_no_longer_asked_are_dropped(vocabulary):
    raw = {"stage": ["qualified"], "level": ["4"], "institution": ["ljmu"], "programme": ["mpharm"]}
    assert journey.prune(vocabulary, raw) == {"stage": ["qualified"]}


def test_the_next_question_is_the_first_unanswered_one_that_applies(vocabulary):
    assert journey.next_question(vocabulary, {}) == "role"
    assert (
        journey.next_question(
            vocabulary, {"role": ["mentee"], "profession": ["dietitian"], "stage": ["qualified"]}
        )
        == "member_of"
    )
    done = {
        "role": ["mentor"],
        "profession": ["dietitian"],
        "stage": ["qualified"],
        "member_of": ["none"],
        "region": ["not-sure"],
        "research_stage": ["mid-career"],
        "award": ["none"],
    }
    assert journey.next_question(vocabulary, done) is None


def test_the_previous_question_skips_ones_that_do_not_apply(vocabulary):
    raw = {"stage": ["qualified"]}
    assert journey.previous_question(vocabulary, raw, "member_of") == "stage"
    assert journey.previous_question(vocabulary, raw, "role") is None


def test_a_course_question_is_required_on_one_page_only_once_the_university_is_known(vocabulary):
    student = {"stage": ["student"]}
    assert "programme" not in journey.required(vocabulary, student)
    assert "programme" in journey.required(vocabulary, {**student, "institution": ["ljmu"]})
