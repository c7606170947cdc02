"""The mentoring guide: what mentoring is, its forms, finding a mentor, the
near-peer scheme kit, and self-check quizzes with instant feedback."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, url_for

from directory import journey, quiz, rules
from directory.web.helpers import ANSWER_PREFIX, directory, snapshot

bp = Blueprint("guide", __name__, url_prefix="/guide")

ANSWERED = "answered"


@cache
def _quizzes(path: Path) -> dict[str, quiz.Quiz]:
    return quiz.load(path, directory().base_vocabulary)


def quizzes() -> dict[str, quiz.Quiz]:
    return _quizzes(directory().data_dir / "quiz.yaml")


@bp.get("/")
def index():
    return render_template("guide/index.html", quizzes=quizzes().values())


@bp.get("/what-is-mentoring")
def what_is_mentoring():
    return render_template("guide/what_is_mentoring.html")


@bp.get("/forms-of-mentoring")
def forms():
    catalogue = snapshot()
    forms = [
        (
            term,
            sorted(
                (s for s in catalogue.schemes.values() if term.slug in s.mentoring_types),
                key=lambda s: s.name,
            ),
        )
        for term in directory().vocabulary.term_sets["mentoring_types"].terms
    ]
    return render_template("guide/forms.html", forms=forms)


@bp.get("/finding-a-mentor")
def finding_a_mentor():
    catalogue = snapshot()
    by_kind: dict[str, list] = {}
    for scheme in sorted(catalogue.schemes.values(), key=lambda s: s.name):
        kind = catalogue.organisations[scheme.provider].kind
        by_kind.setdefault(kind, []).append(scheme)
    return render_template(
        "guide/finding_a_mentor.html",
        hubs=catalogue.schemes.get("cahpr-regional-hubs"),
        bodies=by_kind.get("professional-body", []),
        guidance=[s for s in catalogue.schemes.values() if s.listing_type == "guidance"],
    )


@bp.get("/near-peer-mentoring")
def near_peer():
    return render_template(
        "guide/near_peer.html", scheme=snapshot().schemes.get("ljmu-mpharm-near-peer-mentoring")
    )


@bp.get("/start-a-near-peer-scheme")
def start_near_peer():
    return render_template(
        "guide/start_near_peer.html",
        propose_url=url_for("editor.new_scheme", template="near-peer"),
        example=snapshot().schemes.get("ljmu-mpharm-near-peer-mentoring"),
    )


# Quizzes --------------------------------------------------------------------------------------


@bp.get("/quiz/<quiz_id>")
def take_quiz(quiz_id: str):
    the_quiz = quizzes().get(quiz_id)
    if the_quiz is None:
        abort(404)
    vocabulary = directory().vocabulary
    mine = journey.raw_answers(request.args, vocabulary, prefix=ANSWER_PREFIX)  # from the checker
    known = _known_from_checker(the_quiz, mine)  # not asked again
    chosen = {q.id: known.get(q.id) or request.args.get(q.id, "") for q in the_quiz.questions}
    errors, result = {}, None
    if request.args.get(ANSWERED) == "1":
        try:
            result = quiz.score(the_quiz, chosen)
        except quiz.QuizError as problem:
            errors = problem.errors
    if result is None:
        return render_template(
            "guide/quiz.html",
            quiz=the_quiz,
            chosen=chosen,
            errors=errors,
            has_errors=bool(errors),
            carried=journey.as_pairs(mine, ANSWER_PREFIX),
            known=known,
        )
    return render_template(
        "guide/quiz_result.html",
        quiz=the_quiz,
        result=result,
        labels=_outcome_labels(the_quiz),
        schemes=_matching_schemes(the_quiz, result, mine or _as_checker_answers(chosen)),
        mine=bool(mine),
        again_url=url_for("guide.take_quiz", quiz_id=quiz_id)
        + _query(journey.as_pairs(mine, ANSWER_PREFIX)),
        checker_url=url_for("eligibility.start"),
        mentor_url=url_for("eligibility.results")
        + _query(
            [("role", "mentor"), *journey.as_pairs({k: v for k, v in mine.items() if k != "role"})]
        ),
    )


# A quiz question the checker has already answered: (the checker's question, its answer
# -> the quiz's answer). "Are you a student?" is the checker's stage.
FROM_CHECKER = {"student": ("stage", {"student": "yes", "qualified": "no"})}


def _known_from_checker(the_quiz: quiz.Quiz, mine: journey.Raw) -> dict[str, str]:
    """The quiz's answers the checker's answers already give, by quiz question id."""
    known = {}
    for question in the_quiz.questions:
        checker_question, answers = FROM_CHECKER.get(question.id, (None, {}))
        given = mine.get(checker_question, [])
        if len(given) == 1 and given[0] in answers:
            known[question.id] = answers[given[0]]
    return known


def _as_checker_answers(chosen: dict[str, str]) -> journey.Raw:
    """The checker's answers a standalone quiz's answers give ("Are you a student? No":
    qualified), so its suggestions fit the person, not everyone."""
    raw = {}
    for quiz_question, (checker_question, answers) in FROM_CHECKER.items():
        by_quiz_answer = {quiz_answer: value for value, quiz_answer in answers.items()}
        if chosen.get(quiz_question) in by_quiz_answer:
            raw[checker_question] = [by_quiz_answer[chosen[quiz_question]]]
    return raw


def _query(pairs) -> str:
    return f"?{urlencode(pairs)}" if pairs else ""


def _outcome_labels(the_quiz: quiz.Quiz) -> dict[str, str]:
    vocabulary = directory().vocabulary
    labels = {}
    for outcome in the_quiz.outcomes:
        if outcome.label:
            labels[outcome.id] = outcome.label
        elif the_quiz.outcome_set:
            labels[outcome.id] = vocabulary.label(the_quiz.outcome_set, outcome.id)
    return labels


def _matching_schemes(
    the_quiz: quiz.Quiz, result: quiz.Result, mine: journey.Raw
) -> dict[str, dict]:
    """For each suggested form of mentoring: the listings offering it that are open or
    possibly open to the person ("open"), and, where none is, the others that offer it
    with what stands in the way ("elsewhere": (listing, decision))."""
    if the_quiz.outcome_set != "mentoring_types":
        return {}
    catalogue = snapshot()
    outcomes = None
    if mine:
        try:
            answers = rules.parse_answers(directory().vocabulary, mine)
        except rules.AnswerErrors:
            answers = None  # answers we cannot read: show every scheme instead
        if answers is not None:
            outcomes = directory().outcomes(answers, catalogue)
    allowed = set(catalogue.rule_table.ids_in(outcomes.not_ruled_out)) if outcomes else None
    found = {}
    for finding in result.findings:
        offering = sorted(
            (
                s
                for s in catalogue.schemes.values()
                if finding.outcome.id in s.mentoring_types and s.joinable
            ),
            key=lambda s: s.name,
        )
        open_ = [s for s in offering if allowed is None or s.id in allowed]
        elsewhere = [] if open_ else [(s, outcomes.decision(s.id)) for s in offering]
        found[finding.outcome.id] = {"open": open_, "elsewhere": elsewhere}
    return found
