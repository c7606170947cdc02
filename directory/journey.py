"""The checker's path through the questions: which to ask, in what order. No Flask.

Answers travel in the URL as raw values ({"profession": ["physiotherapist"]}),
never stored on the server. A question is asked unless its `ask_if` rule
rules it out for the answers so far (no study level for qualified people);
answers to questions that are no longer asked are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

from directory import rules
from directory.vocabulary import Vocabulary

Raw = dict[str, list[str]]


def raw_answers(args: Mapping, vocabulary: Vocabulary, prefix: str = "") -> Raw:
    """The answers in a query string: only question ids, empty values dropped."""
    raw: Raw = {}
    for question_id in vocabulary.questions:
        values = [v for v in args.getlist(prefix + question_id) if v]
        if values:
            raw[question_id] = values
    return raw


def lenient(vocabulary: Vocabulary, raw: Raw) -> dict:
    """Answers for deciding what to ask: an invalid answer counts as no answer."""
    answers = {}
    for question_id, values in raw.items():
        try:
            answers.update(
                {question_id: rules.parse_answers(vocabulary, {question_id: values})[question_id]}
            )
        except rules.AnswerErrors:
            continue
    return answers


def asked(vocabulary: Vocabulary, raw: Raw) -> list[str]:
    """The questions to ask, in order, given the answers so far.

    A question that depends on one we skipped is skipped too: no course
    question for someone who was never asked where they study.
    """
    answers = lenient(vocabulary, raw)
    chosen, skipped = [], set()
    for question_id in vocabulary.questions:
        rule = vocabulary.ask_if.get(question_id)
        depends_on = set(rules.questions_asked(rule)) if rule else set()
        if depends_on & skipped or not rules.should_ask(vocabulary, question_id, answers):
            skipped.add(question_id)
        else:
            chosen.append(question_id)
    return chosen


def required(vocabulary: Vocabulary, raw: Raw) -> list[str]:
    """The questions that certainly apply: asked, and not just possibly relevant.

    On the one-page form a course question applies once you say where you
    study, not while that is still blank.
    """
    answers = lenient(vocabulary, raw)
    certain = []
    for question_id in asked(vocabulary, raw):
        rule = vocabulary.ask_if.get(question_id)
        outcome = rules.Evaluator(vocabulary, answers).outcome(rule).status if rule else None
        if outcome in (None, rules.Status.ELIGIBLE):
            certain.append(question_id)
    return certain


def prune(vocabulary: Vocabulary, raw: Raw) -> Raw:
    """Keep only answers to questions that are still asked."""
    keep = asked(vocabulary, raw)
    return {q: raw[q] for q in keep if q in raw}


def next_question(vocabulary: Vocabulary, raw: Raw) -> str | None:
    """The first question still to answer, or None when every asked question is answered."""
    return next((q for q in asked(vocabulary, raw) if q not in raw), None)


def previous_question(vocabulary: Vocabulary, raw: Raw, question_id: str) -> str | None:
    order = asked(vocabulary, raw)
    if question_id not in order:
        return None
    position = order.index(question_id)
    return order[position - 1] if position else None


def as_pairs(raw: Raw, prefix: str = "") -> list[tuple[str, str]]:
    """Answers as query-string pairs, in question order, for building URLs."""
    return [
        (prefix + question_id, value) for question_id, values in raw.items() for value in values
    ]
