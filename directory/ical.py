"""iCalendar (RFC 5545) feeds, written with the `icalendar` package. No Flask here.

The package folds long lines, escapes TEXT values and ends lines in CRLF; this module
says what goes in the feed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import icalendar

from directory.catalogue import Catalogue, Scheme, Window
from directory.text import long_date

PRODID = "-//AHP Mentoring Directory//Application windows//EN"
UID_DOMAIN = "ahp-mentoring-directory"


def _europe_london() -> icalendar.Timezone:
    """RFC 5545's grammar asks every calendar for at least one component, so a feed with
    no events would be invalid. The UK's time zone is a true and harmless one: the
    all-day dates in our events are local dates there."""
    zone = icalendar.Timezone()
    zone.add("tzid", "Europe/London")
    for kind, name, offsets, start, month in (
        (icalendar.TimezoneDaylight, "BST", (0, 1), dt.datetime(1970, 3, 29, 1), 3),
        (icalendar.TimezoneStandard, "GMT", (1, 0), dt.datetime(1970, 10, 25, 2), 10),
    ):
        part = kind()
        part.add("tzoffsetfrom", dt.timedelta(hours=offsets[0]))
        part.add("tzoffsetto", dt.timedelta(hours=offsets[1]))
        part.add("tzname", name)
        part.add("dtstart", start)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1SU"})
        zone.add_component(part)
    return zone


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes, which we store as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


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

    def component(self) -> icalendar.Event:
        event = icalendar.Event()
        event.add("uid", self.uid)
        event.add("dtstamp", _utc(self.stamp))
        event.add("dtstart", self.first)
        event.add("dtend", self.last + dt.timedelta(days=1))  # DTEND is exclusive
        event.add("summary", self.summary)
        if self.description:
            event.add("description", self.description)
        if self.url:
            event.add("url", self.url)
        event.add("transp", "TRANSPARENT")
        return event


def calendar(name: str, events: Iterable[Event]) -> str:
    """A whole VCALENDAR object, CRLF line endings, folded."""
    feed = icalendar.Calendar()
    feed.add("version", "2.0")
    feed.add("prodid", PRODID)
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("name", name)
    feed.add("x-wr-calname", name)
    feed.add_component(_europe_london())
    for event in events:
        feed.add_component(event.component())
    return feed.to_ical().decode("utf-8")


# Application windows ----------------------------------------------------------------------------


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def window_uid(scheme_id: str, window: Window) -> str:
    """The same for a scheme's window in every feed, so calendars update, not duplicate."""
    return f"{scheme_id}-{_date(window.opens)}-{_date(window.closes)}@{UID_DOMAIN}"


def window_event(
    scheme: Scheme, window: Window, catalogue: Catalogue, url: str, stamp: dt.datetime
) -> Event:
    provider = catalogue.organisations[scheme.provider].name
    description = [
        f"{scheme.name} ({provider}) takes applications from {long_date(window.opens)} "
        f"to {long_date(window.closes)}."
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
