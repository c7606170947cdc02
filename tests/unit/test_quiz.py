"""The self-check quizzes: scoring and feedback from data/quiz.yaml, and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory import quiz
from directory.config import DEFAULT_DATA_DIR
from directory.yamlfile import DataFileError

ROOT = Path(__file__).parent.parent.parent
BROKEN = sorted((ROOT / "tests/fixtures/broken-quiz").glob("*.yaml"))


@pytest.fixture(scope="module")
def quizzes(vocabulary):
    return quiz.load(DEFAULT_DATA_DIR / "quiz.yaml", vocabulary)


def test_the_quiz_file_declares_both_quizzes(quizzes):
    assert list(quizzes) == ["mentoring-fit", "mentor-readiness"]


def test_the_mentoring_fit_quiz_offers_every_form_of_mentoring(quizzes, vocabulary):
    outcomes = [o.id for o in quizzes["mentoring-fit"].outcomes]
    assert outcomes == vocabulary.slugs("mentoring_types")


@pytest.mark.parametrize(
    ("answers", "top", "because"),
    [
        (
            {
                "looking_for": "same-stage",
                "how_you_learn": "small-group",
                "what_you_know": "not-sure",
                "student": "yes",
                "focused_support": "no",
            },
            ["peer", "group"],
            "As a student, students two levels ahead of you could mentor you, as on one pharmacy course.",
        ),
        (
            {
                "looking_for": "further-along",
                "how_you_learn": "one-to-one",
                "what_you_know": "not-really",
                "student": "no",
                "focused_support": "no",
            },
            ["traditional", "reverse"],
            "You want guidance from someone further along.",
        ),
        (
            {
                "looking_for": "other-profession",
                "how_you_learn": "several-people",
                "what_you_know": "yes-share",
                "student": "no",
                "focused_support": "rather-not-say",
            },
            # three outcomes tie on 3: the first declared in the file win
            ["reverse", "cross-disciplinary"],
            "You would like a view from outside your profession.",
        ),
        (
            {
                "looking_for": "settling-in",
                "how_you_learn": "one-to-one",
                "what_you_know": "not-sure",
                "student": "no",
                "focused_support": "yes",
            },
            ["traditional", "automatic"],
            "You are settling into somewhere new.",
        ),
    ],
)
def test_mentoring_fit_feedback_follows_the_answers(quizzes, answers, top, because):
    result = quiz.score(quizzes["mentoring-fit"], answers)
    assert [f.outcome.id for f in result.findings] == top
    assert any(because in f.because for f in result.findings)


def test_scores_are_the_sum_of_the_chosen_answers_weights(quizzes):
    answers = {
        "looking_for": "same-stage",
        "how_you_learn": "small-group",
        "what_you_know": "not-sure",
        "student": "yes",
        "focused_support": "no",
    }
    scores = quiz.score(quizzes["mentoring-fit"], answers).scores
    assert scores["peer"] == 3 + 1 + 2
    assert scores["group"] == 1 + 3
    assert scores["traditional"] == 0


def test_feedback_only_cites_answers_that_pointed_to_that_outcome(quizzes):
    answers = {
        "looking_for": "same-stage",
        "how_you_learn": "small-group",
        "what_you_know": "not-sure",
        "student": "yes",
        "focused_support": "no",
    }
    group = quiz.score(quizzes["mentoring-fit"], answers).findings[1]
    assert group.outcome.id == "group"
    assert (
        "As a student, students two levels ahead of you could mentor you, as on one pharmacy course."
        not in group.because
    )


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        (
            {
                "experience": "years",
                "time": "yes",
                "listening": "very",
                "preparation": "yes",
                "other_professions": "yes",
            },
            "ready",
        ),
        (
            {
                "experience": "similar",
                "time": "some-months",
                "listening": "advice",
                "preparation": "no",
                "other_professions": "own-only",
            },
            "nearly-ready",
        ),
        (
            {
                "experience": "a-little",
                "time": "not-now",
                "listening": "somewhat",
                "preparation": "no",
                "other_professions": "own-only",
            },
            "not-yet",
        ),
    ],
)
def test_mentor_readiness_gives_one_outcome(quizzes, answers, outcome):
    (finding,) = quiz.score(quizzes["mentor-readiness"], answers).findings
    assert finding.outcome.id == outcome


def test_a_tie_goes_to_the_outcome_declared_first(quizzes):
    answers = {
        "experience": "a-little",
        "time": "some-months",
        "listening": "very",
        "preparation": "yes",
        "other_professions": "own-only",
    }
    result = quiz.score(quizzes["mentor-readiness"], answers)
    assert result.scores["ready"] > result.scores["nearly-ready"]
    assert result.findings[0].outcome.id == "ready"


def test_every_question_must_be_answered_with_one_of_its_answers(quizzes):
    with pytest.raises(quiz.QuizError) as caught:
        quiz.score(quizzes["mentor-readiness"], {"experience": "decades"})
    errors = caught.value.errors
    assert errors["experience"] == "Select one of the answers"
    assert (
        errors["time"]
        == "Select an answer to ‘Can you give time regularly for as long as a scheme lasts?’"
    )
    assert len(errors) == 5


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_broken_quiz_file_is_reported_as_file_line_field_message(vocabulary, path):
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(DataFileError) as caught:
        quiz.load(path, vocabulary, str(path.relative_to(ROOT)))
    assert expected in [str(p) for p in caught.value.problems]
