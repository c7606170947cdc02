"""Self-check quizzes with instant feedback, declared in data/quiz.yaml. No Flask.

Each answer adds weights to outcomes (for "What kind of mentoring suits me?"
the outcomes are the vocabulary's mentoring types); the highest-scoring
outcomes win, and the feedback says why, from the answers that pointed there.
Nothing is stored: answers arrive in the URL and leave with the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from directory import validation, yamlfile
from directory.vocabulary import Slug, Text, Vocabulary, _Strict
from directory.yamlfile import DataFileError, LocatedDocument, Problem

Weight = Annotated[int, Field(ge=0, le=5)]


class Answer(_Strict):
    id: Slug
    text: Text
    weights: dict[Slug, Weight] = Field(default_factory=dict)
    feedback: Text | None = None  # why this answer points where it does


class QuizQuestion(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$")]
    text: Text
    hint: Text | None = None
    answers: tuple[Answer, ...] = Field(min_length=2)


class Outcome(_Strict):
    id: Slug
    label: Text | None = None  # defaults to the vocabulary's label for mentoring types
    feedback: Text


class Quiz(_Strict):
    id: Slug
    title: Text
    intro: Text
    outcome_set: Literal["mentoring_types"] | None = None  # outcomes that are vocabulary terms
    outcomes: tuple[Outcome, ...]
    questions: tuple[QuizQuestion, ...] = Field(min_length=1)
    show: int = Field(default=2, ge=1, le=8)  # how many top outcomes to give feedback on


class QuizFile(_Strict):
    quizzes: tuple[Quiz, ...]


def load(
    path: str | Path, vocabulary: Vocabulary, display_name: str | None = None
) -> dict[str, Quiz]:
    """Read and validate the quiz file; raise DataFileError listing every problem."""
    document = yamlfile.read(path, display_name)
    parsed, problems = validation.validate(document, QuizFile, document.data or {})
    if parsed is None:
        raise DataFileError(problems)
    problems = []
    for i, quiz in enumerate(parsed.quizzes):
        problems += _check(document, quiz, ("quizzes", i), vocabulary)
    problems += _duplicates(document, [q.id for q in parsed.quizzes], ("quizzes",))
    if problems:
        raise DataFileError(problems)
    return {quiz.id: quiz for quiz in parsed.quizzes}


def _check(
    document: LocatedDocument, quiz: Quiz, at: tuple, vocabulary: Vocabulary
) -> list[Problem]:
    problems = _duplicates(document, [o.id for o in quiz.outcomes], (*at, "outcomes"))
    problems += _duplicates(document, [q.id for q in quiz.questions], (*at, "questions"))
    outcomes = {o.id for o in quiz.outcomes}
    if quiz.outcome_set:
        known = set(vocabulary.slugs(quiz.outcome_set))
        for j, outcome in enumerate(quiz.outcomes):
            if outcome.id not in known:
                problems.append(
                    document.problem(
                        (*at, "outcomes", j, "id"),
                        f'unknown {quiz.outcome_set} term "{outcome.id}"',
                    )
                )
    listed = ", ".join(sorted(outcomes))
    for j, question in enumerate(quiz.questions):
        where = (*at, "questions", j)
        problems += _duplicates(document, [a.id for a in question.answers], (*where, "answers"))
        for k, answer in enumerate(question.answers):
            problems += [
                document.problem(
                    (*where, "answers", k, "weights", outcome),
                    f'unknown outcome "{outcome}" (outcomes: {listed})',
                )
                for outcome in answer.weights
                if outcome not in outcomes
            ]
    return problems


def _duplicates(document: LocatedDocument, ids: list[str], at: tuple) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for i, ident in enumerate(ids):
        if ident in seen:
            problems.append(document.problem((*at, i, "id"), f'duplicate id "{ident}"'))
        seen.add(ident)
    return problems


# Scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    outcome: Outcome
    score: int
    because: tuple[str, ...]  # feedback from the answers that pointed to this outcome


@dataclass(frozen=True)
class Result:
    findings: tuple[Finding, ...]  # the top outcomes, best first
    scores: dict[str, int]


class QuizError(ValueError):
    """Answers missing or not among a question's answers: question id -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def score(quiz: Quiz, chosen: dict[str, str]) -> Result:
    """Add up the weights of the chosen answers; feedback for the top outcomes.

    Ties keep the order outcomes are declared in, so results are deterministic.
    """
    errors = {}
    picked: list[Answer] = []
    for question in quiz.questions:
        answers = {a.id: a for a in question.answers}
        value = chosen.get(question.id)
        if not value:
            errors[question.id] = f"Select an answer to ‘{question.text}’"
        elif value not in answers:
            errors[question.id] = "Select one of the answers"
        else:
            picked.append(answers[value])
    if errors:
        raise QuizError(errors)
    scores = {o.id: 0 for o in quiz.outcomes}
    for answer in picked:
        for outcome, weight in answer.weights.items():
            scores[outcome] += weight
    order = {o.id: i for i, o in enumerate(quiz.outcomes)}
    ranked = sorted(quiz.outcomes, key=lambda o: (-scores[o.id], order[o.id]))
    top = [o for o in ranked if scores[o.id] > 0][: quiz.show] or ranked[:1]
    findings = tuple(
        Finding(
            o, scores[o.id], tuple(a.feedback for a in picked if a.feedback and a.weights.get(o.id))
        )
        for o in top
    )
    return Result(findings, scores)
