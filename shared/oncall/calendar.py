"""iCalendar schedules: a feed's events, expanded, and who each one names. Pure: the bytes are
fetched elsewhere (:mod:`shared.oncall.fetch`).

Recurrences are expanded by ``recurring-ical-events`` (RRULE, RDATE, EXDATE, and occurrences
moved or changed with RECURRENCE-ID). Who an event names, the first rule that names anyone:

1. ``SUMMARY``, split at commas: each part is a key of the schedule's ``people`` (a name or an
   e-mail address, any case) or a Slack user id (``<@U024BE7LH>``, or ``U024BE7LH`` alone: with
   a digit, so that a title such as ``WFH`` is not one); in a part such as ``On call: Alice``
   the text after the last colon is tried too.
2. ``ATTENDEE``: each one whose address (``mailto:…``) or common name (``CN``) is a key of
   ``people``.
3. ``DESCRIPTION``: every Slack mention written in it (``<@U024BE7LH>``).

An event that names nobody is kept with no people (the CLI and the console point it out) and
never puts anyone on call. Cancelled events (``STATUS:CANCELLED``) are left out. An all-day event
runs from midnight to midnight in the schedule's time zone, as does a floating time (one
without a zone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from shared.config.oncall import Person
from shared.oncall.errors import CalendarInvalid
from shared.oncall.rotation import wall

_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
#: A Slack user id written alone: with a digit, so that a title such as ``WFH`` is not one.
_BARE_ID = re.compile(r"^@?([UW](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,})$")
#: Occurrences are asked for this much wider than wanted: floating and all-day events are read
#: in the schedule's zone here, which the library may not do.
_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class CalendarShift:
    """One occurrence of an event: from ``start`` to ``end`` (UTC), the people it names."""

    start: datetime
    end: datetime
    people: tuple[Person, ...]
    title: str


def parse_calendar(data: bytes) -> icalendar.Calendar:
    """The calendar in ``data``; :class:`CalendarInvalid` when it is not one."""
    try:
        found = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarInvalid(f"not an iCalendar document: {str(exc)[:200]}") from None
    if not isinstance(found, icalendar.Calendar) or found.name != "VCALENDAR":
        raise CalendarInvalid("not an iCalendar document: no VCALENDAR")
    return found


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return wall(value, time(0), zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def _texts(component: icalendar.Event, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _from_summary(summary: str, people: Mapping[str, Person]) -> list[Person]:
    found = []
    for part in summary.split(","):
        for text in dict.fromkeys((part.strip(), part.rsplit(":", 1)[-1].strip())):
            if text.lower() in people:
                found.append(people[text.lower()])
                break
            if slack := _MENTION.fullmatch(text) or _BARE_ID.match(text):
                found.append(Person(slack_user=slack[1]))
                break
    return found


def _from_attendees(event: icalendar.Event, people: Mapping[str, Person]) -> list[Person]:
    found = []
    for attendee in _texts(event, "ATTENDEE"):
        address = str(attendee).strip().lower().removeprefix("mailto:")
        name = str(getattr(attendee, "params", {}).get("CN", "")).strip()
        person = people.get(address) or people.get(name.lower())
        if person is not None:
            found.append(person.model_copy(update={"name": person.name or name or None}))
    return found


def named(event: icalendar.Event, people: Mapping[str, Person]) -> tuple[Person, ...]:
    """Who ``event`` puts on call (see the module's rules), each once."""
    summary = str(event.get("SUMMARY", ""))
    description = str(event.get("DESCRIPTION", ""))
    for found in (
        _from_summary(summary, people),
        _from_attendees(event, people),
        [Person(slack_user=user) for user in _MENTION.findall(description)],
    ):
        if found:
            once: dict[str, Person] = {}
            for person in found:
                once.setdefault(person.slack_user, person)
            return tuple(once.values())
    return ()


def shifts(
    calendar: icalendar.Calendar,
    zone: ZoneInfo,
    people: Mapping[str, Person],
    start: datetime,
    end: datetime,
) -> list[CalendarShift]:
    """Every occurrence that overlaps ``start``..``end`` (UTC), oldest first; CalendarInvalid
    when the calendar cannot be expanded."""
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        events = query.between(start - _MARGIN, end + _MARGIN)
    except (ValueError, TypeError, KeyError) as exc:
        raise CalendarInvalid(f"the calendar cannot be expanded: {str(exc)[:200]}") from None
    found = []
    for event in events:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            begins, ends = _instant(event.start, zone), _instant(event.end, zone)
        except (ValueError, TypeError):  # no DTSTART, or an end it cannot tell: not a shift
            continue
        if begins < end and ends > start and ends > begins:
            title = str(event.get("SUMMARY", "")).strip()
            found.append(CalendarShift(begins, ends, named(event, people), title))
    return sorted(found, key=lambda s: (s.start, s.end))
