"""iCalendar (RFC 5545) feeds, written by hand. No Flask here.

The format is small enough to write directly: every line ends in CRLF, lines
longer than 75 octets are folded (CRLF and one space, never inside a UTF-8
character), and TEXT values escape backslashes, semicolons, commas and
newlines (RFC 5545 sections 3.1 and 3.3.11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from directory.catalogue import Catalogue, Scheme, Window

CRLF = "\r\n"
LINE_OCTETS = 75  # a content line's limit, not counting its CRLF
PRODID = "-//AHP Mentoring Directory//Application windows//EN"
UID_DOMAIN = "ahp-mentoring-directory"

# RFC 5545's grammar asks every calendar for at least one component, so a feed with
# no events would be invalid. The UK's time zone is a true and harmless one: the
# all-day dates in our events are local dates there.
EUROPE_LONDON = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, newlines as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded so that no physical line is longer than 75 octets."""
    pieces: list[str] = []
    current, size, limit = [], 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the leading space counts
        current.append(char)
        size += octets
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes, which we store as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Event:
    """An all-day event from `first` to `last`, both days included."""

    uid: str
    stamp: dt.datetime  # when the information last changed (DTSTAMP)
    first: dt.date
    last: dt.date
    summary: str
    description: str | None = None
    url: str | None = None

    def lines(self) -> list[str]:
        lines = [
            "BEGIN:VEVENT",
            f"UID:{escape_text(self.uid)}",
            f"DTSTAMP:{_utc(self.stamp)}",
            f"DTSTART;VALUE=DATE:{_date(self.first)}",
            # DTEND is exclusive: the day after the last day.
            f"DTEND;VALUE=DATE:{_date(self.last + dt.timedelta(days=1))}",
            f"SUMMARY:{escape_text(self.summary)}",
        ]
        if self.description:
            lines.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.url:
            lines.append(f"URL:{self.url}")  # a URI value: not TEXT, so not escaped
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
        return lines


def calendar(name: str, events: Iterable[Event]) -> str:
    """A whole VCALENDAR object, CRLF line endings, folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
        *EUROPE_LONDON,
    ]
    for event in events:
        lines += event.lines()
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


# Application windows ----------------------------------------------------------------------------


def window_uid(scheme_id: str, window: Window) -> str:
    """The same for a scheme's window in every feed, so calendars update, not duplicate."""
    return f"{scheme_id}-{_date(window.opens)}-{_date(window.closes)}@{UID_DOMAIN}"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def window_event(
    scheme: Scheme, window: Window, catalogue: Catalogue, url: str, stamp: dt.datetime
) -> Event:
    provider = catalogue.organisations[scheme.provider].name
    description = [
        f"{scheme.name} ({provider}) takes applications from {_day(window.opens)} "
        f"to {_day(window.closes)}."
    ]
    if window.note:
        description.append(window.note)
    if scheme.applications.how:
        description.append(f"How to apply: {scheme.applications.how}")
    description.append(f"Details: {url}")
    return Event(
        uid=window_uid(scheme.id, window),
        stamp=stamp,
        first=window.opens,
        last=window.closes,
        summary=f"Applications open: {scheme.name}",
        description="\n\n".join(description),
        url=url,
    )


def application_windows(
    catalogue: Catalogue,
    scheme_url: Callable[[str], str],
    updated: Mapping[str, dt.datetime],
) -> list[Event]:
    """One event per published application window, by scheme id then date.

    `updated` gives each listing's last change, the events' DTSTAMP.
    """
    events = []
    for scheme_id in sorted(catalogue.schemes):
        scheme = catalogue.schemes[scheme_id]
        stamp = updated.get(scheme_id) or dt.datetime.now(dt.UTC)
        for window in sorted(scheme.applications.windows, key=lambda w: (w.opens, w.closes)):
            events.append(window_event(scheme, window, catalogue, scheme_url(scheme_id), stamp))
    return events
