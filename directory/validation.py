"""Turn pydantic's validation errors into `file:line: field: message` problems."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from directory.yamlfile import LocatedDocument, Problem

Model = TypeVar("Model", bound=pydantic.BaseModel)

_FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "should be text",
    "list_type": "should be a list",
    "tuple_type": "should be a list",
    "dict_type": "should be a mapping of fields",
    "model_type": "should be a mapping of fields",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "date_type": "should be a date written as YYYY-MM-DD",
    "date_from_datetime_inexact": "should be a date written as YYYY-MM-DD",
    "date_from_datetime_parsing": "should be a date written as YYYY-MM-DD",
    "date_parsing": "should be a date written as YYYY-MM-DD",
    "string_pattern_mismatch": "should be a slug: lower-case letters, digits and single hyphens",
    "string_too_short": "should not be empty",
    "url_parsing": "should be a web address starting with https://",
    "url_scheme": "should be a web address starting with https://",
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "string_pattern_mismatch" and str(ctx.get("pattern", "")).startswith("^https?"):
        text = "should be a web address starting with https://"
    elif kind == "string_pattern_mismatch" and str(ctx.get("pattern", "")).startswith("^\\d{4}"):
        text = "should be a date written as YYYY, YYYY-MM or YYYY-MM-DD"
    elif kind == "string_too_long":
        text = f"should be {ctx['max_length']} characters or fewer"
    elif kind in _FRIENDLY:
        text = _FRIENDLY[kind]
    elif kind == "literal_error":
        text = f"should be one of {error['ctx']['expected']}"
    elif kind == "value_error":
        text = str(error["ctx"]["error"])
    else:
        text = error["msg"][0].lower() + error["msg"][1:]
    quiet = ("missing", "extra_forbidden", "value_error", "string_too_long", "string_too_short")
    if kind not in quiet and "input" in error:
        text += _echo(error["input"])
    return text


def _echo(value: Any) -> str:
    """Quote what was given, briefly: enough to find it, never a wall of text."""
    if isinstance(value, dict | list):
        return ""
    shown = repr(value)
    return f", not {shown if len(shown) <= 40 else shown[:37] + '...'}"


def validate(document: LocatedDocument, model: type[Model], data: Any, location=()):
    """Validate `data` (found at `location` in `document`) as `model`.

    Returns (instance or None, problems). Locations in pydantic's errors are
    relative to `data`, so they are joined onto `location` to find the line.
    """
    try:
        return model.model_validate(data), []
    except pydantic.ValidationError as error:
        items = [
            (tuple(part for part in item["loc"] if not _is_union_tag(part)), item)
            for item in error.errors(include_url=False)
        ]
        problems: list[Problem] = []
        for loc, item in items:
            if item["type"] == "too_short" and any(
                other[: len(loc)] == loc and other != loc for other, _ in items
            ):
                continue  # a list "too short" only because its bad items were dropped
            problems.append(document.problem((*location, *loc), _message(item)))
        return None, problems


def _is_union_tag(part) -> bool:
    # pydantic adds the chosen union member's name to `loc` (e.g. "list[str]"); drop it.
    # Not "date": no model has a union with a date in it, and a source has a field "date".
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "none"})


def problem(document: LocatedDocument, location, message: str) -> Problem:
    return document.problem(tuple(location), message)
