"""Rotations: whose turn it is in one layer at an instant, as a pure function.

Everything is counted in the schedule's local calendar: shift ``k`` of a layer begins on the day
``start + k * period`` (a period is ``shift_length`` days, or weeks) at ``handover_time`` local
wall time. So a 09:00 handover stays at 09:00 across a daylight-saving change, and the day of the
change lasts 23 or 25 hours. A handover time the spring-forward skips (02:30 in Europe/Berlin on
the last Sunday of March) happens when the clocks show the hour after it (03:30); one the
fall-back repeats happens the first time.

Instants handed in and out are aware datetimes in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.config.oncall import Layer, Person, Restriction
from shared.config.sections import WEEKDAYS

#: How far a restriction's windows are looked for around an instant, in days.
_WINDOW_DAYS = range(-1, 9)


@dataclass(frozen=True)
class Turn:
    """One shift of one layer: who, from when, until when (UTC)."""

    person: Person
    start: datetime
    end: datetime


def wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the clocks in ``zone`` show ``at`` on ``day`` (first time, when twice;
    read with the offset before the change, when skipped)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _period(layer: Layer) -> int:
    return layer.shift_length * (1 if layer.handover == "daily" else 7)


def _first_day(layer: Layer) -> date:
    """The day of the first handover: ``start`` (a weekly layer moved on to its weekday)."""
    if layer.handover == "daily" or layer.handover_day is None:
        return layer.start
    ahead = (WEEKDAYS.index(layer.handover_day) - layer.start.weekday()) % 7
    return layer.start + timedelta(days=ahead)


def turn(layer: Layer, zone: ZoneInfo, at: datetime) -> Turn | None:
    """Whose shift of ``layer`` covers ``at``; None before the layer starts."""
    first, period = _first_day(layer), _period(layer)
    local_day = at.astimezone(zone).date()
    index = (local_day - first).days // period
    if wall(first + timedelta(days=index * period), layer.handover_time, zone) > at:
        index -= 1
    if index < 0:
        return None
    begins = first + timedelta(days=index * period)
    return Turn(
        person=layer.participants[index % len(layer.participants)],
        start=wall(begins, layer.handover_time, zone),
        end=wall(begins + timedelta(days=period), layer.handover_time, zone),
    )


def _windows(
    restriction: Restriction, zone: ZoneInfo, at: datetime
) -> list[tuple[datetime, datetime]]:
    """The restriction's windows that start from the day before ``at`` to a week after it."""
    local_day = at.astimezone(zone).date()
    found = []
    for offset in _WINDOW_DAYS:
        day = local_day + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in restriction.days:
            continue
        ends_on = day + timedelta(days=1) if restriction.end <= restriction.start else day
        found.append((wall(day, restriction.start, zone), wall(ends_on, restriction.end, zone)))
    return found


def on_duty(layer: Layer, zone: ZoneInfo, at: datetime) -> bool:
    """Whether ``at`` is inside the layer's restriction (always, without one)."""
    if layer.restriction is None:
        return True
    return any(start <= at < end for start, end in _windows(layer.restriction, zone, at))


def layer_at(layer: Layer, zone: ZoneInfo, at: datetime) -> Turn | None:
    """The turn that has ``layer``'s say at ``at``: none before it starts or outside its
    restriction."""
    found = turn(layer, zone, at)
    return found if found is not None and on_duty(layer, zone, at) else None


def next_change(layer: Layer, zone: ZoneInfo, at: datetime) -> datetime:
    """The first instant after ``at`` at which the layer's answer may change: its next handover,
    or a window of its restriction opening or closing."""
    current = turn(layer, zone, at)
    handover = current.end if current else wall(_first_day(layer), layer.handover_time, zone)
    edges = [handover]
    if layer.restriction is not None:
        edges += [e for window in _windows(layer.restriction, zone, at) for e in window if e > at]
    return min(edges)
