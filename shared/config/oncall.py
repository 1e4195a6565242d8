"""The ``oncall:`` section of ``config.yaml``: on-call schedules (see docs/oncall.md).

A schedule is either rotations written here (``layers``) or an iCalendar feed (``ical_url``),
plus ``overrides`` that win over both. It covers the ``services`` it names; a schedule naming
none is a default schedule, for every service no schedule names. Who is on call is computed by
:mod:`shared.oncall`; this module only says what a valid schedule is.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from shared.config.knobs import RequestTimeout
from shared.config.sections import WEEKDAYS, Weekday, known_zone
from shared.models import StrictFrozenModel

#: A Slack user id: ``U…`` (or ``W…`` on Enterprise Grid).
SLACK_USER = r"^[UW][A-Z0-9]{2,}$"
_WALL_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
#: Rotations start in this range (and instants are asked about in it).
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 2), date(2199, 12, 31)
_URL = re.compile(r"^(https?|webcal)://\S+$", re.IGNORECASE)


def _wall_time(value: Any) -> Any:
    """``"09:00"`` as a time of day. A number is refused: YAML reads an unquoted ``9:00`` as
    540 (minutes in base 60), which must not become a handover at 00:09."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError('write the time of day in quotes, as "HH:MM" (e.g. "09:00")')
    found = _WALL_TIME.match(value.strip())
    if not found:
        raise ValueError(f'{value!r} is not a time of day: write "HH:MM" (e.g. "09:00")')
    return time(int(found[1]), int(found[2]))


WallTime = Annotated[time, BeforeValidator(_wall_time)]


def _slack_user_alone(value: Any) -> Any:
    """A participant may be written as its Slack user id alone."""
    return {"slack_user": value} if isinstance(value, str) else value


class Person(StrictFrozenModel):
    """Someone who can be on call."""

    slack_user: str = Field(
        pattern=SLACK_USER, description="Slack user id (U…): who @oncall pings."
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=128, description="Shown by the CLI and console."
    )


Participant = Annotated[Person, BeforeValidator(_slack_user_alone)]


class Restriction(StrictFrozenModel):
    """When a layer is on duty: from ``start`` to ``end`` (local wall time) on each of ``days``;
    an ``end`` at or before ``start`` runs into the next day (``"18:00"`` to ``"09:00"``)."""

    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        description="Days a window starts on (default every day).",
    )
    start: WallTime = Field(default=time(0), description='Window start, "HH:MM".')
    end: WallTime = Field(
        default=time(0), description='Window end, "HH:MM" (next day if <= start).'
    )


class Layer(StrictFrozenModel):
    """A rotation: ``participants`` take turns, handing over at ``handover_time`` local time."""

    name: str = Field(default="", max_length=64, description="Shown as the source of a shift.")
    participants: list[Participant] = Field(min_length=1, description="In the order of turns.")
    handover: Literal["daily", "weekly"] = Field(
        default="weekly", description="How often the turn passes on."
    )
    handover_time: WallTime = Field(default=time(9), description='Local time, "HH:MM".')
    handover_day: Weekday | None = Field(
        default=None, description="Weekly: the handover weekday (default: start's weekday)."
    )
    start: date = Field(
        ge=EARLIEST_DAY,
        le=LATEST_DAY,
        description="The first participant's first shift begins this day at handover_time "
        "(weekly with a handover_day: that weekday on or after it).",
    )
    shift_length: int = Field(
        default=1, ge=1, le=52, description="Days (daily) or weeks (weekly) in one shift."
    )
    restriction: Restriction | None = Field(
        default=None, description="Only on duty in these windows; outside them lower layers show."
    )

    @model_validator(mode="after")
    def _weekday_only_weekly(self) -> Layer:
        if self.handover == "daily" and self.handover_day is not None:
            raise ValueError("handover_day is for weekly layers; a daily one hands over every day")
        return self


class Override(Person):
    """Someone on call from ``start`` to ``end`` instead of whoever the layers or calendar say."""

    start: AwareDatetime = Field(description="With its UTC offset: 2025-03-29T18:00:00+01:00.")
    end: AwareDatetime = Field(description="With its UTC offset; after start.")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Override:
        if self.end <= self.start:
            raise ValueError(f"the override of {self.slack_user} ends before it starts")
        return self


class Schedule(StrictFrozenModel):
    """One on-call schedule: rotations (``layers``) or an iCalendar feed (``ical_url``)."""

    name: str = Field(min_length=1, max_length=64)
    time_zone: str = Field(
        default="UTC", description="IANA zone the handover times and calendar dates are in."
    )
    services: list[str] = Field(
        default_factory=list,
        description="Services whose @oncall this schedule answers; empty: the default schedule "
        "(every service no schedule names, and notifications without a service).",
    )
    mention: str = Field(
        default="oncall",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="The escalation mention it answers (mention_oncall is oncall).",
    )
    layers: list[Layer] = Field(
        default_factory=list, description="Rotations, lowest first; a higher one wins."
    )
    ical_url: SecretStr | None = Field(
        default=None,
        description="An iCalendar feed (https://, webcal://) instead of layers; kept secret.",
    )
    people: dict[str, Participant] = Field(
        default_factory=dict,
        description="iCalendar: a name or e-mail address the events use, to the Slack user.",
    )
    overrides: list[Override] = Field(
        default_factory=list, description="Win over layers and calendar; a later one wins."
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("people")
    @classmethod
    def _case_blind(cls, people: dict[str, Person]) -> dict[str, Person]:
        return {key.strip().lower(): person for key, person in people.items()}

    @model_validator(mode="after")
    def _one_source(self) -> Schedule:
        if bool(self.layers) == (self.ical_url is not None):
            raise ValueError("give a schedule either layers or an ical_url (one of the two)")
        if self.ical_url is not None and not _URL.match(self.ical_url.get_secret_value()):
            raise ValueError("ical_url is an https://, http:// or webcal:// address")
        if self.people and self.ical_url is None:
            raise ValueError("people maps the names a calendar uses: this schedule has no ical_url")
        return self


class OnCallSection(StrictFrozenModel):
    """On-call schedules: who an escalation's @oncall pings, per service."""

    schedules: list[Schedule] = Field(
        default_factory=list,
        description="Empty: @oncall is whatever slack.mention_groups says.",
    )
    refresh_seconds: float = Field(
        default=300.0, ge=10, description="An iCalendar feed is fetched again after this."
    )
    retry_seconds: float = Field(
        default=60.0,
        ge=1,
        description="After a failed fetch (the last good calendar stays in use), the next try.",
    )
    timeout_seconds: RequestTimeout = Field(
        default=10.0, le=60, description="Timeout of each iCalendar fetch."
    )
    max_calendar_bytes: int = Field(
        default=5_242_880, ge=1024, description="A larger iCalendar feed is refused."
    )

    @field_validator("schedules")
    @classmethod
    def _unique_names(cls, schedules: list[Schedule]) -> list[Schedule]:
        names = [s.name for s in schedules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"schedule names are unique: {', '.join(twice)} given twice")
        return schedules
