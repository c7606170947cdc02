"""A listing's fields and their values in words people read, for the differences shown
to editors: a rule as its conditions, professions and regions by name, a date as a
date, a source as its title, date and address. No Flask.

Values with several parts (a rule's conditions, a list of sources) come back as lines
separated by newlines; pages show each on its own line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from directory import catalogue as cat
from directory import rules
from directory.editing import FieldChange, Overlap
from directory.text import capitalise, long_date
from directory.vocabulary import Vocabulary
from directory.yamlfile import LocatedDocument

NOT_STATED = "Not stated in the sources"

# Fields whose value is a slug (or a list of slugs) of one of the vocabulary's term sets.
TERM_SETS = {
    "listing_type": "listing_types",
    "access": "access",
    "mentoring_types": "mentoring_types",
    "regions": "regions",
    "status.state": "statuses",
}
# Fields where nothing means "the sources do not say" (README: "A listing").
UNSTATED_WHEN_EMPTY = ("access", "mentoring_types", "regions")
TIMING = {
    "unknown": "Not published",
    "all-year": "Open all year",
    "windows": "In application windows",
}
DATES = ("last_verified", "status.checked")
SOURCE_LISTS = ("sources", "status.evidence")


class Describer:
    """Words for one catalogue: its vocabulary, and its organisations' names."""

    def __init__(self, vocabulary: Vocabulary, organisation_names: Mapping[str, str]):
        self.vocabulary = vocabulary
        self.organisation_names = organisation_names

    def changes(self, changes: list[FieldChange]) -> list[FieldChange]:
        # A listing's id never changes: it differs only where the listing itself is new
        # (or removed), and then there was nothing before (or after), not "Not offered".
        new = any(c.field == "id" and c.was is None for c in changes)
        gone = any(c.field == "id" and c.now is None for c in changes)
        return [
            dataclasses.replace(
                c,
                before="" if new else self.value(c.field, c.was),
                after="" if gone else self.value(c.field, c.now),
            )
            for c in changes
        ]

    def overlaps(self, overlaps: list[Overlap]) -> list[Overlap]:
        return [
            dataclasses.replace(
                o,
                theirs=self.value(o.field, o.their_value),
                yours=self.value(o.field, o.your_value),
            )
            for o in overlaps
        ]

    def value(self, path: str, value: Any) -> str:
        """`value` of the field at `path` ("eligibility.mentee.rule") in words; "" for
        an empty value that has no meaning of its own."""
        parts = path.split(".")
        if value is None and parts[0] == "eligibility" and parts[-1] == "rule":
            return f"Not offered: the listing describes no way to take part as a {parts[1]}"
        if value is None or value == [] or value == {}:
            return NOT_STATED if path in UNSTATED_WHEN_EMPTY else ""
        if parts[0] == "eligibility" and len(parts) == 3 and parts[2] == "rule":
            return self.rule(value)
        if parts[0] == "eligibility" and len(parts) == 2 and isinstance(value, dict):
            return self.rule(value.get("rule") or {})  # a role offered (or no longer)
        if path in TERM_SETS:
            slugs = value if isinstance(value, list) else [value]
            return rules.join_words(
                [self.vocabulary.label(TERM_SETS[path], s) for s in slugs], "and"
            )
        if path == "provider":
            return self.organisation_names.get(value, value)
        if path == "id":
            return f"/schemes/{value}"
        if path == "applications.timing":
            return TIMING.get(value, value)
        if path in DATES:
            return _date(value)
        if path == "applications.windows":
            return _items([_window(w) for w in value])
        if path in SOURCE_LISTS:
            return _items([_source(s) for s in value])
        if isinstance(value, list):
            return _items([str(item) for item in value])
        return str(value)

    def rule(self, rule: dict) -> str:
        """A rule as the public reads it: "All of these apply:" and a line per condition."""
        node, problems = self.vocabulary.compiler.compile(rule, LocatedDocument("rule", None), ())
        if node is None or problems:
            return "A rule that cannot be read: " + "; ".join(p.message for p in problems)
        return "\n".join(_lines(rules.describe(self.vocabulary, node)))


def _items(items: list[str]) -> str:
    """One item as it is; several as a bulleted line each."""
    return items[0] if len(items) == 1 else "\n".join(f"• {item}" for item in items)


# Pages keep a value's lines but not its spaces: a no-break space indents a nested condition.
INDENT = "\u00a0\u00a0\u00a0"


def _lines(condition: rules.Condition, depth: int = 0) -> list[str]:
    bullet = INDENT * (depth - 1) + ("• " if depth % 2 else "◦ ") if depth else ""
    text = capitalise(condition.text)
    lines = [bullet + text]
    for child in condition.children:
        lines += _lines(child, depth + 1)
    return lines


def _date(value: str) -> str:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return long_date(day)


def _window(window: dict) -> str:
    text = f"{_date(window.get('opens'))} to {_date(window.get('closes'))}"
    return f"{text} ({window['note']})" if window.get("note") else text


def _source(value: dict) -> str:
    """ "CSP mentoring page, September 2022, https://…: “its words”. A note." """
    source = cat.Source.model_validate(value)
    text = source.title
    if source.date:
        text += f", {source.date_in_words}"
    if source.url:
        text += f", {source.url}"
    if source.quote:
        text += f": “{source.quote}”"
    if source.note:
        text += f". {source.note}"
    return text
