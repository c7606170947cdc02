"""The iCalendar feed, read back with the `icalendar` package's parser: what matters is
what a calendar application sees (RFC 5545 folding and escaping are the package's)."""

from __future__ import annotations

import datetime as dt

import icalendar

from directory import ical


def read(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def test_an_empty_calendar_is_still_a_complete_calendar():
    text = ical.calendar("Windows", [])
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    # RFC 5545 wants at least one component: the time zone our dates are in.
    (zone,) = read(text).walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/London"


def test_an_all_day_event_ends_the_day_after_its_last_day():
    event = ical.Event(
        uid="u@x",
        stamp=dt.datetime(2026, 1, 2, 3, 4, 5),  # naive datetimes are UTC
        first=dt.date(2026, 12, 1),
        last=dt.date(2026, 12, 31),
        summary="Applications open: A, B",
    )
    text = ical.calendar("Windows", [event])
    assert "DTSTART;VALUE=DATE:20261201\r\n" in text and "DTEND;VALUE=DATE:20270101\r\n" in text
    (found,) = read(text).walk("VEVENT")
    assert found.decoded("DTSTART") == dt.date(2026, 12, 1)
    assert found.decoded("DTEND") == dt.date(2027, 1, 1)
    assert found.decoded("DTSTAMP") == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert str(found["SUMMARY"]) == "Applications open: A, B"
    assert "SUMMARY:Applications open: A\\, B\r\n" in text  # TEXT commas escaped


def test_long_and_awkward_text_survives_the_round_trip():
    description = "Line one; with, punctuation \\ and é — 🙂\n\n" + "Long words " * 30
    event = ical.Event(
        "u@x",
        dt.datetime(2026, 1, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 1),
        "S",
        description,
        "https://example.org/s?a=1,2",
    )
    text = ical.calendar("Windows", [event])
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75  # folded
    (found,) = read(text).walk("VEVENT")
    assert str(found["DESCRIPTION"]) == description
    assert str(found["URL"]) == "https://example.org/s?a=1,2"
