"""Small pieces of wording shared by the pages, the open data, the calendar feed and
the editors' differences, so a date or a sentence reads the same everywhere. No Flask."""

from __future__ import annotations

import datetime as dt


def capitalise(text: str) -> str:
    """The first letter upper case, the rest as written ("NIHR" stays "NIHR")."""
    return text[:1].upper() + text[1:]


def long_date(day: dt.date) -> str:
    """A date as people write it: "6 December 2026"."""
    return f"{day.day} {day:%B %Y}"
