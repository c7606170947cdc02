""" "Which schemes can I join?": the eligibility checker.

GOV.UK question pages: one question per page, then "check your answers", then
results; or every question on one page for returning users. All of it is GET:
answers live only in the URL, so results can be bookmarked, shared or printed,
and nothing a person answers is stored or logged on the server.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from directory import bitmaps, journey, rules
from directory.rules import Status
from directory.web import helpers, representations
from directory.web.forms import CheckerForm, choices
from directory.web.helpers import ANSWER_PREFIX, directory, snapshot

bp = Blueprint("eligibility", __name__, url_prefix="/check")

ANSWERED = "answered"  # marks a submitted question page (its value is the question id)


def _url(endpoint: str, raw: journey.Raw, **values) -> str:
    query = urlencode(journey.as_pairs(raw))
    return url_for(endpoint, **values) + (f"?{query}" if query else "")


def _current_answers() -> journey.Raw:
    vocabulary = directory().vocabulary
    return journey.prune(vocabulary, journey.raw_answers(request.args, vocabulary))


@bp.get("/")
def start():
    vocabulary = directory().vocabulary
    first = next(iter(vocabulary.questions))
    return render_template(
        "eligibility/start.html",
        first_url=url_for("eligibility.question", question_id=first),
        all_url=url_for("eligibility.all_questions"),
    )


@bp.get("/<question_id>")
def question(question_id: str):
    vocabulary = directory().vocabulary
    if question_id not in vocabulary.questions:
        abort(404)
    raw = journey.raw_answers(request.args, vocabulary)
    others = journey.prune(vocabulary, {q: v for q, v in raw.items() if q != question_id})
    if question_id not in journey.asked(vocabulary, others):
        return redirect(_next_url(others))  # e.g. study level for someone qualified
    submitted = request.args.get(ANSWERED) == question_id
    form = CheckerForm.for_questions(vocabulary, [question_id], request.args)
    if submitted and form.validate():
        return redirect(_next_url(journey.prune(vocabulary, raw)))
    previous = journey.previous_question(vocabulary, others, question_id)
    back_url = (
        _url("eligibility.question", others, question_id=previous)
        if previous
        else url_for("eligibility.start")
    )
    return render_template(
        "eligibility/question.html",
        form=form,
        question=vocabulary.questions[question_id],
        field=form[question_id],
        hidden=journey.as_pairs(others),
        back_url=back_url,
        options=_options(question_id, others),
    )


def _next_url(raw: journey.Raw) -> str:
    following = journey.next_question(directory().vocabulary, raw)
    if following:
        return _url("eligibility.question", raw, question_id=following)
    return _url("eligibility.check_answers", raw)


def _options(question_id: str, raw: journey.Raw) -> list[dict]:
    """Each answer with its hint, for the templates' radios, checkboxes or select.

    A course belongs to a university: once you have said where you study, only
    that university's courses are offered.
    """
    vocabulary = directory().vocabulary
    question = vocabulary.questions[question_id]
    terms = {t.slug: t for t in vocabulary.question_terms(question_id)}
    studying_at = raw.get("institution", [])

    def offered(value: str) -> bool:
        term = terms.get(value)
        return (
            term is None
            or not term.institution
            or not studying_at
            or term.institution in studying_at
        )

    options = [
        {
            "value": value,
            "text": text,
            "hint": terms[value].description if value in terms else None,
            "special": value in (rules.NOT_SURE, rules.NONE_OF_THESE),
        }
        for value, text in choices(vocabulary, question)
        if offered(value)
    ]
    if question.term_set == "memberships" and raw.get("profession"):
        options = _profession_first(options, terms, raw["profession"][0])
    if question.multiple:  # "these, and I'm not sure about the rest" (issue #19)
        for option in options:
            if option["value"] == rules.NOT_SURE:
                option["text"] = "I’m not sure about the rest"
                option["hint"] = "Tick it with the ones you are sure of, or on its own."
    return options


def _profession_first(options: list[dict], terms: dict, profession: str) -> list[dict]:
    """Memberships in the order that fits the person: their own profession's bodies,
    then those for every profession, then the rest (group "rest": folded away)."""

    def group(option: dict) -> str:
        term = terms.get(option["value"])
        if term is None or option["special"]:
            return "special"
        if term.profession == profession:
            return "own"
        return "cross" if term.profession is None else "rest"

    order = ("own", "cross", "rest", "special")
    for option in options:
        option["group"] = group(option)
    return sorted(options, key=lambda option: order.index(option["group"]))


@bp.get("/answers")
def check_answers():
    vocabulary = directory().vocabulary
    raw = _current_answers()
    missing = journey.next_question(vocabulary, raw)
    if missing:
        return redirect(_url("eligibility.question", raw, question_id=missing))
    rows = []
    for question_id in journey.asked(vocabulary, raw):
        question = vocabulary.questions[question_id]
        labels = dict(choices(vocabulary, question))
        rows.append(
            {
                "question": question,
                "key": vocabulary.term_sets[question.term_set].label,
                "answers": [labels.get(v, v) for v in raw[question_id]],
                "change_url": _url("eligibility.question", raw, question_id=question_id),
            }
        )
    return render_template(
        "eligibility/check_answers.html",
        rows=rows,
        results_url=_url("eligibility.results", raw),
        back_url=rows[-1]["change_url"] if rows else url_for("eligibility.start"),
    )


@bp.get("/all")
def all_questions():
    """Every question on one page, for people who have been here before."""
    vocabulary = directory().vocabulary
    raw = journey.raw_answers(request.args, vocabulary)
    submitted = request.args.get(ANSWERED) == "all"
    needed = journey.required(vocabulary, raw)
    form = CheckerForm.for_questions(vocabulary, list(vocabulary.questions), request.args)
    if submitted:
        form.validate()
        # Only questions that apply to these answers must be answered.
        errors = {q: form[q].errors for q in needed if form[q].errors}
        if not errors:
            return redirect(_url("eligibility.results", journey.prune(vocabulary, raw)))
        for question_id in vocabulary.questions:
            if question_id not in errors:
                form[question_id].errors = []
    return render_template(
        "eligibility/all.html",
        form=form,
        questions=[
            (vocabulary.questions[q], form[q], _options(q, {})) for q in vocabulary.questions
        ],
    )


@bp.get("/results")
def results():
    vocabulary = directory().vocabulary
    raw = journey.raw_answers(request.args, vocabulary)
    try:
        answers = rules.parse_answers(vocabulary, raw)
    except rules.AnswerErrors as bad:
        return render_template("eligibility/bad_answers.html", errors=bad.errors), 400
    raw = journey.prune(vocabulary, raw)
    catalogue = snapshot()
    view = results_view(answers, raw, catalogue)
    return render_template("eligibility/results.html", view=view, raw=raw)


def results_view(answers: rules.Answers, raw: journey.Raw, catalogue) -> dict:
    vocabulary = directory().vocabulary
    role = next(iter(answers["role"])) if answers.get("role") else None
    profession = next(iter(answers["profession"])) if answers.get("profession") else None
    outcomes = directory().outcomes(answers, catalogue)
    guidance = catalogue.guidance_bits
    # Other professions' bodies' schemes come apart, as the source puts it: a mentor sees
    # their own profession's and cross-profession schemes first; a mentee does not see
    # "join BAPO" among the steps that would open a scheme to a physiotherapist.
    outside = helpers.other_bodies_listings(profession, catalogue) if profession else 0
    if role != "mentor":
        outside &= outcomes.possible  # a member of that body can still join it, as before
    groups = {  # bitmaps of catalogue.rule_table
        Status.ELIGIBLE.value: outcomes.eligible & ~guidance & ~outside,
        Status.POSSIBLE.value: outcomes.possible & ~guidance & ~outside,
        "outside": outcomes.not_ruled_out & outside & ~guidance,
        Status.INELIGIBLE.value: outcomes.ineligible & ~outcomes.not_running,
        "guidance": outcomes.not_ruled_out & guidance,
        "ended": outcomes.not_running,  # would fit, but nobody can join them now
    }
    order = _display_order(outcomes, catalogue, profession)
    shown = {
        group: _first_items(bits, order, outcomes, catalogue) for group, bits in groups.items()
    }
    for group in (Status.POSSIBLE.value, "outside"):
        for item in shown[group]:
            item["steps"] = [linked_step(need, vocabulary) for need in item["decision"].needs]
    specific = None
    if profession and role != "mentor":
        specific = {
            "term": vocabulary.term("professions", profession),
            "listed": bool(
                representations.own_listings(profession, catalogue, vocabulary)
                or helpers.own_body_listings(profession, catalogue)
            ),
            "body": representations.professional_body(profession, vocabulary),
            "quiet_body": helpers.body_without_scheme(profession, catalogue),
        }
    search_query = urlencode(journey.as_pairs(raw, prefix=ANSWER_PREFIX))
    return {
        "role": role,
        **shown,  # eligible, possible, ineligible, guidance, ended, outside
        "profession": specific,
        "unsure": [
            vocabulary.questions[q]
            for q in vocabulary.questions
            if q in raw and (answers.get(q) is None or rules.NOT_SURE in answers[q])
        ],
        "search_url": url_for("public.search_page") + (f"?{search_query}" if search_query else ""),
        "quiz_url": url_for("guide.take_quiz", quiz_id="mentoring-fit")
        + (f"?{search_query}" if search_query else ""),
        "answers_url": _url("eligibility.check_answers", raw),
        "all_url": _url("eligibility.all_questions", raw),
    }


@functools.lru_cache(maxsize=8)  # a vocabulary lives as long as its catalogue version
def action_links(vocabulary) -> tuple[dict[str, str], re.Pattern | None]:
    """{step, lower case: where to take it}, for the steps whose page a source gives (a
    body's join page, from data/vocabulary.yaml's action_url), and a pattern finding
    them in a sentence (None when there are none). Worked out once per vocabulary, not
    for every step of every result."""
    links = {
        term.action.lower(): term.action_url
        for term_set in vocabulary.term_sets.values()
        for term in term_set.terms
        if term.action and term.action_url
    }
    if not links:
        return links, None
    pattern = re.compile("|".join(map(re.escape, sorted(links, key=len, reverse=True))), re.I)
    return links, pattern


def linked_step(need: str, vocabulary) -> Markup:
    """A step as a sentence, each action in it linked to where to take it."""
    text = helpers.capitalise(need)
    links, actions = action_links(vocabulary)
    if actions is None:
        return escape(text)
    html, start = Markup(), 0
    for found in actions.finditer(text):
        html += escape(text[start : found.start()])
        html += Markup(
            '<a class="govuk-link" href="{}" rel="noopener">{}'
            '<span class="govuk-visually-hidden"> (on another website)</span></a>'
        ).format(links[found.group().lower()], found.group())
        start = found.end()
    return html + escape(text[start:])


def _display_order(outcomes, catalogue, profession: str | None) -> list[int]:
    """The order listings are shown in within a group, as bitmaps taken one after another:
    those just for the person's profession first, then fewer steps to take, then by name
    (the bitmaps' own order)."""
    named = catalogue.rule_table.naming("mentee", "profession", profession) if profession else 0
    no_steps = outcomes.eligible | outcomes.ineligible
    by_steps = [no_steps, *outcomes.possible_by_steps().values()]
    return [named & bits for bits in by_steps] + [bits & ~named for bits in by_steps]


def _first_items(bits: int, order: list[int], outcomes, catalogue) -> representations.Shown:
    """The listings shown first in a group, picked without sorting them all (there may be
    thousands)."""
    table = catalogue.rule_table
    items = []
    for position in bitmaps.first_in_order(
        (bits & part for part in order), representations.LIST_LIMIT
    ):
        scheme = catalogue.schemes[table.ids[position]]
        items.append(
            {
                "scheme": scheme,
                "decision": outcomes.decision(scheme.id),
                "provider": catalogue.organisations[scheme.provider],
            }
        )
    return representations.Shown(items, total=bits.bit_count())
