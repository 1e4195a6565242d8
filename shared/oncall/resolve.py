"""Who is on call: a pure function of the schedules, a service and an instant (and the
calendars already fetched for the schedules that use one).

Which schedules answer for a service: those naming it in ``services``; when none does, the
default schedules (those naming no service). A notification without a service gets the
defaults.

One schedule at an instant, the first rule that names someone:

1. an override in progress (``start <= at < end``); of two, the one listed last;
2. the layers, the highest (listed last) first: the first whose turn covers the instant (it has
   started and, with a restriction, the instant is inside one of its windows);
3. the calendar: of the events in progress that name someone, the one that started last (a
   swap or cover entered on top of a rotation); events starting at the same instant all count.

Otherwise nobody is on call, and ``@oncall`` falls back to ``slack.mention_groups``. ``until`` is
the first instant at which the people on call change, looked for up to :data:`HORIZON` ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from shared.config.oncall import EARLIEST_DAY, LATEST_DAY, Person, Schedule
from shared.oncall.calendar import CalendarShift, shifts
from shared.oncall.errors import CalendarInvalid
from shared.oncall.rotation import layer_at, next_change

#: How far ahead ``until`` is looked for (and a calendar expanded).
HORIZON = timedelta(days=35)
#: Changes of answer looked at before ``until`` gives up (a restriction makes two a day).
MAX_STEPS = 400
EARLIEST = datetime.combine(EARLIEST_DAY, time(0), tzinfo=UTC)
LATEST = datetime.combine(LATEST_DAY, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class OnCall:
    """Who ``schedule`` has on call at an instant, why (``override``, ``layer <name>``,
    ``calendar``; empty for nobody), until when, and anything worth pointing out."""

    schedule: Schedule
    people: tuple[Person, ...]
    source: str
    until: datetime | None
    notes: tuple[str, ...] = ()


def instant(at: datetime) -> datetime:
    """``at`` in UTC; ValueError when it has no UTC offset or is out of the years served."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no UTC offset: add one (+02:00, Z)")
    found = at.astimezone(UTC)
    if not EARLIEST <= found <= LATEST:
        raise ValueError(f"{at.isoformat()} is outside {EARLIEST.year}..{LATEST.year}")
    return found


def covering(schedules: Sequence[Schedule], service: str | None) -> list[Schedule]:
    """The schedules that answer for ``service`` (see the module's rules)."""
    named = [s for s in schedules if service is not None and service in s.services]
    return named or [s for s in schedules if not s.services]


def _layer_name(schedule: Schedule, index: int) -> str:
    return f"layer {schedule.layers[index].name or index + 1}"


def _answer(
    schedule: Schedule, zone: ZoneInfo, events: Sequence[CalendarShift], at: datetime
) -> tuple[tuple[Person, ...], str]:
    for override in reversed(schedule.overrides):
        if override.start <= at < override.end:
            return (Person(slack_user=override.slack_user, name=override.name),), "override"
    for index in reversed(range(len(schedule.layers))):
        turn = layer_at(schedule.layers[index], zone, at)
        if turn is not None:
            return (turn.person,), _layer_name(schedule, index)
    current = [e for e in events if e.people and e.start <= at < e.end]
    if not current:
        return (), ""
    latest = max(e.start for e in current)
    once: dict[str, Person] = {}
    for event in current:
        for person in event.people if event.start == latest else ():
            once.setdefault(person.slack_user, person)
    return tuple(once.values()), "calendar"


def _next_edge(
    schedule: Schedule, zone: ZoneInfo, events: Sequence[CalendarShift], at: datetime
) -> datetime | None:
    edges = [t for o in schedule.overrides for t in (o.start, o.end) if t > at]
    edges += [next_change(layer, zone, at) for layer in schedule.layers]
    edges += [t for e in events for t in (e.start, e.end) if t > at]
    return min(edges, default=None)


def _until(
    schedule: Schedule,
    zone: ZoneInfo,
    events: Sequence[CalendarShift],
    at: datetime,
    people: tuple[Person, ...],
) -> datetime | None:
    step = at
    for _ in range(MAX_STEPS):
        edge = _next_edge(schedule, zone, events, step)
        if edge is None or edge > at + HORIZON:
            return None
        if _answer(schedule, zone, events, edge)[0] != people:
            return edge
        step = edge
    return None


def on_call(schedule: Schedule, at: datetime, calendar: icalendar.Calendar | None = None) -> OnCall:
    """Who ``schedule`` has on call at ``at`` (aware); ``calendar`` is its feed, if it has one
    and it was fetched."""
    at = instant(at)
    zone = ZoneInfo(schedule.time_zone)
    events: list[CalendarShift] = []
    notes: list[str] = []
    if schedule.ical_url is not None and calendar is None:
        notes.append("the calendar has not been fetched yet")
    elif calendar is not None:
        try:
            events = shifts(calendar, zone, schedule.people, at, at + HORIZON)
        except CalendarInvalid as exc:
            notes.append(str(exc))
    people, source = _answer(schedule, zone, events, at)
    notes += [
        f"the event {e.title!r} names nobody: add that name to people, or write a Slack user "
        "id in it"
        for e in events
        if not e.people and e.start <= at < e.end
    ]
    return OnCall(
        schedule, people, source, _until(schedule, zone, events, at, people), tuple(notes)
    )


def who_is_on_call(
    schedules: Sequence[Schedule],
    service: str | None,
    at: datetime,
    calendars: Mapping[str, icalendar.Calendar] | None = None,
) -> list[OnCall]:
    """Each schedule answering for ``service`` at ``at``; ``calendars`` by schedule name."""
    found = calendars or {}
    return [on_call(s, at, found.get(s.name)) for s in covering(schedules, service)]


def mention_groups(answers: Sequence[OnCall]) -> dict[str, list[str]]:
    """What each schedule's mention (``oncall``) stands for: the Slack users on call, each once;
    a mention whose schedules have nobody on call is left out (it falls back)."""
    groups: dict[str, list[str]] = {}
    for answer in answers:
        members = groups.setdefault(answer.schedule.mention, [])
        members += [p.slack_user for p in answer.people if p.slack_user not in members]
    return {name: members for name, members in groups.items() if members}
