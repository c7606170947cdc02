"""The search's URL parameters, declared once.

`read` is the one parser: the search page reads leniently (a value it does not know is
dropped, and the page says so), the API strictly (every problem is a 400 naming the
parameter and what it accepts). `openapi_parameters` describes the same declarations
for /api/v1/openapi.json; a test keeps the file equal to it, and

    .venv/bin/python -m directory.web.openapi_file

writes them into the file after a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.datastructures import MultiDict

from directory import facets, rules, search
from directory.vocabulary import Vocabulary

MAX_TEXT_LENGTH = 200
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100
ANSWER_PREFIX = "my_"  # "search as me": the checker's answers ride along as my_profession=...
# Questions whose answers include the catalogue's own universities and courses: valid
# values come from /api/v1/taxonomy, not from a fixed list.
CATALOGUE_TERM_SETS = frozenset({"institutions", "programmes"})
OPENAPI_FILE = Path(__file__).parent / "openapi.json"
SCHEMES_PATH = "/api/v1/schemes"
ELIGIBILITY_PATH = "/api/v1/eligibility"


@dataclass
class SearchRequest:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = search.PAGE_SIZE
    open_now: bool = False
    answers: MultiDict = field(default_factory=MultiDict)  # my_* parameters, as given
    me: rules.Answers | None = None  # those answers read ("search as me"): None if none
    ignored: list[tuple[str, str]] = field(default_factory=list)  # dropped filter values
    problems: list[dict] = field(default_factory=list)  # what a strict reading refuses


def problem(parameter: str, message: str, valid: list[str] | None = None) -> dict:
    found = {"parameter": parameter, "message": message}
    if valid is not None:
        found["valid"] = valid
    return found


def names(vocabulary: Vocabulary) -> list[str]:
    return [
        "q",
        "sort",
        "page",
        "page_size",
        "open_now",
        *[f.id for f in facets.FACETS],
        *[ANSWER_PREFIX + q for q in vocabulary.questions],
    ]


def read(args: MultiDict, vocabulary: Vocabulary, strict: bool) -> SearchRequest:
    """A search from a query string. Lenient: bad values fall back to defaults or are
    dropped (filters are listed in `ignored`). Strict: each one is in `problems`."""
    found = SearchRequest()
    problems = found.problems
    if strict:
        problems += unknown_parameters(args, names(vocabulary))
    for facet in facets.FACETS:
        valid = facets.valid_values(facet.id, vocabulary)
        chosen = []
        for value in args.getlist(facet.id):
            if value not in valid:
                problems.append(problem(facet.id, f'unknown value "{value}"', valid))
                if value:
                    found.ignored.append((facet.id, value))
            elif value not in chosen:
                chosen.append(value)
        if chosen:
            found.filters[facet.id] = chosen
    text = args.get("q", "")
    found.text = text.strip()[:MAX_TEXT_LENGTH]
    found.sort = _choice(args, "sort", list(search.SORTS), "relevance", problems)
    found.open_now = _choice(args, "open_now", ["0", "1"], "0", problems) == "1"
    found.page = whole_number(args, "page", 1, MAX_PAGE, 1, problems)
    found.page_size = whole_number(args, "page_size", 1, MAX_PAGE_SIZE, search.PAGE_SIZE, problems)
    found.answers = MultiDict(
        [(k, v) for k, v in args.items(multi=True) if k.startswith(ANSWER_PREFIX)]
    )
    found.me = read_answers(found.answers, vocabulary, ANSWER_PREFIX, problems)
    if strict:
        if len(text) > MAX_TEXT_LENGTH:
            problems.append(problem("q", f"should be at most {MAX_TEXT_LENGTH} characters"))
    else:
        found.problems = []  # the page says what it ignored; the rest falls back quietly
    return found


def _choice(args: MultiDict, name: str, valid: list[str], default: str, problems) -> str:
    value = args.get(name, default)
    if value in valid:
        return value
    problems.append(problem(name, f'unknown value "{value}"', valid))
    return default


def unknown_parameters(args: MultiDict, allowed: list[str]) -> list[dict]:
    return [problem(n, "unknown parameter", sorted(allowed)) for n in args if n not in allowed]


def whole_number(args: MultiDict, name: str, low: int, high: int, default: int, problems) -> int:
    """`name` as a whole number from `low` to `high`; out of range, the nearest one (and a
    problem: the API refuses the request, the page shows the nearest page)."""
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        problems.append(problem(name, f"should be a whole number from {low} to {high}"))
        return default if value is None else min(max(value, low), high)
    return value


def read_answers(
    args: MultiDict, vocabulary: Vocabulary, prefix: str, problems: list[dict]
) -> rules.Answers | None:
    """The checker's answers in a query string, read once: `profession=...` for the
    eligibility API (no prefix: none given means every question unanswered), or
    `my_profession=...` for "search as me" (None if none is given). None too if any is
    invalid, each problem added to `problems` (the API refuses; the page searches without)."""
    raw = {q: args.getlist(prefix + q) for q in vocabulary.questions if prefix + q in args}
    if prefix and not raw:
        return None
    try:
        return rules.parse_answers(vocabulary, raw)
    except rules.AnswerErrors as bad:
        problems += [problem(prefix + e.parameter, e.message, e.valid) for e in bad.errors]
        return None


# The same declarations, described for OpenAPI ---------------------------------------------------


def openapi_parameters(vocabulary: Vocabulary) -> list[dict]:
    """/api/v1/schemes's parameters, from the declarations above and the vocabulary file."""
    vocabulary = vocabulary.base
    text = (
        "Words to search for. Synonyms and abbreviations are understood "
        "(physio, SALT, OT, ODP, chiropody)."
    )
    parameters = [
        _query("q", {"type": "string", "maxLength": MAX_TEXT_LENGTH}, text),
        _query("sort", {"type": "string", "enum": list(search.SORTS), "default": "relevance"}),
        _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
        _query(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
            | {"default": search.PAGE_SIZE},
        ),
        _query(
            "open_now",
            {"type": "string", "enum": ["0", "1"], "default": "0"},
            "1: only listings whose published application window is open today.",
        ),
    ]
    for facet in facets.FACETS:
        values = {"type": "string", "enum": facets.valid_values(facet.id, vocabulary)}
        parameters.append(
            _query(
                facet.id,
                {"type": "array", "items": values},
                f"Filter: {facet.label.lower()} (any of the values given).",
                repeated=True,
            )
        )
    for question in vocabulary.questions.values():
        about = (
            "Search as me: only listings open, or possibly open, to a person with this "
            f"answer to the checker's {question.id} question."
        )
        if question.term_set in CATALOGUE_TERM_SETS:
            about += " Valid values include the catalogue's own: see /api/v1/taxonomy."
            schema = answer_schema(vocabulary, question.id, known=False)
        else:
            schema = answer_schema(vocabulary, question.id)
        parameters.append(
            _query(ANSWER_PREFIX + question.id, schema, about, repeated=question.multiple)
        )
    return parameters


def answer_schema(vocabulary: Vocabulary, question_id: str, known: bool = True) -> dict:
    """What a checker question's parameter accepts, as rules.parse_answers reads it: its
    values or empty (unanswered); for a multiple-choice question any of them together,
    except "none", which stands alone. `known=False` when the values are the catalogue's,
    which the served document fills in (with_catalogue_values)."""
    question = vocabulary.questions[question_id]
    if not known:
        single = {"type": "string"}
        return {"type": "array", "items": single} if question.multiple else single
    valid = [*rules.valid_answers(vocabulary, question_id), ""]
    if not question.multiple:
        return {"type": "string", "enum": valid}
    combinable = [v for v in valid if v != rules.NONE_OF_THESE]
    return {
        "type": "array",
        "anyOf": [
            {"items": {"type": "string", "enum": valid}, "maxItems": 1},
            {"items": {"type": "string", "enum": combinable}},
        ],
    }


def with_catalogue_values(document: dict, vocabulary: Vocabulary) -> dict:
    """The OpenAPI document as served: every checker question's parameter (on
    /api/v1/eligibility, and my_* on /api/v1/schemes) lists the values this catalogue
    accepts, universities and courses included, so an outside client or fuzzer knows
    exactly what is valid."""
    for path, prefix in ((ELIGIBILITY_PATH, ""), (SCHEMES_PATH, ANSWER_PREFIX)):
        for parameter in document["paths"][path]["get"]["parameters"]:
            question_id = parameter.get("name", "").removeprefix(prefix)
            if parameter.get("name", "").startswith(prefix) and question_id in (
                vocabulary.questions
            ):
                parameter["schema"] = answer_schema(vocabulary, question_id)
    return document


def _query(name: str, schema: dict, description: str = "", repeated: bool = False) -> dict:
    found = {"name": name, "in": "query"}
    if description:
        found["description"] = description
    if repeated:
        found |= {"style": "form", "explode": True}
    return found | {"schema": schema}
