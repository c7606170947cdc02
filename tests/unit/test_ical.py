"""iCalendar text by hand: folding at 75 octets and TEXT escaping (RFC 5545 3.1, 3.3.11)."""

from __future__ import annotations

import datetime as dt

import pytest

from directory import ical


def octets(folded: str) -> list[int]:
    return [len(line.encode("utf-8")) for line in folded.split("\r\n")]


def test_a_line_of_75_octets_is_left_alone():
    assert ical.fold("X" * 75) == "X" * 75


def test_a_longer_line_continues_on_lines_that_start_with_a_space():
    folded = ical.fold("X" * 200)
    assert octets(folded) == [75, 75, 52]  # 75 + (1 + 74) + (1 + 51)
    assert all(line.startswith(" ") for line in folded.split("\r\n")[1:])
    assert folded.replace("\r\n ", "") == "X" * 200


@pytest.mark.parametrize("char", ["é", "—", "🙂"])  # 2, 3 and 4 octets in UTF-8
def test_folding_never_splits_a_character(char):
    line = "S" * 73 + char * 40
    folded = ical.fold(line)
    assert max(octets(folded)) <= 75
    assert folded.replace("\r\n ", "") == line
    for physical in folded.split("\r\n"):
        physical.encode("utf-8").decode("utf-8")  # each line is whole characters


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words", "plain words"),
        ("a, b; c", "a\\, b\\; c"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
        ("windows\r\nline", "windows\\nline"),
        ("already \\n escaped?", "already \\\\n escaped?"),
    ],
)
def test_text_values_are_escaped(text, escaped):
    assert ical.escape_text(text) == escaped


def test_an_empty_calendar_is_still_a_complete_calendar():
    text = ical.calendar("Windows", [])
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    # RFC 5545 wants at least one component: the time zone our dates are in.
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n" in text


def test_an_all_day_event_ends_the_day_after_its_last_day():
    event = ical.Event(
        uid="u@x",
        stamp=dt.datetime(2026, 1, 2, 3, 4, 5),  # naive datetimes are UTC
        first=dt.date(2026, 12, 1),
        last=dt.date(2026, 12, 31),
        summary="Applications open: A, B",
    )
    assert event.lines() == [
        "BEGIN:VEVENT",
        "UID:u@x",
        "DTSTAMP:20260102T030405Z",
        "DTSTART;VALUE=DATE:20261201",
        "DTEND;VALUE=DATE:20270101",
        "SUMMARY:Applications open: A\\, B",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
