"""``triggers``: severity, time and frequency triggers."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from services.notifier.expr import Expression
from services.notifier.policy.base import GraceMinutes, LevelNumber
from shared.models import StrictFrozenModel

DURATION_KEY = re.compile(r"^(\d+)_(minutes|hours|days)$")
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


def duration_seconds(key: str) -> int:
    """``15_minutes`` -> 900; raises ValueError for keys of another shape."""
    match = DURATION_KEY.match(key)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{key!r}: durations are written like 15_minutes, 2_hours or 1_days")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def _duration_key(key: str) -> str:
    duration_seconds(key)
    return key


DurationKey = Annotated[str, AfterValidator(_duration_key)]


class SeverityTrigger(StrictFrozenModel):
    """Matches an alert whose severity is the trigger's name, or when any condition holds."""

    immediate_level: LevelNumber
    conditions: list[Expression] = Field(default_factory=list)
    grace_period_minutes: GraceMinutes = None


class TimeTrigger(StrictFrozenModel):
    """After the alert has been open this long, raise it when every condition holds."""

    escalate_to_level: LevelNumber
    conditions: list[Expression] = Field(default_factory=list)


class TimeTriggers(StrictFrozenModel):
    unresolved_duration: dict[DurationKey, TimeTrigger] = Field(default_factory=dict)


class FrequencyTrigger(StrictFrozenModel):
    """Raise the alert when the rate in the window reaches ``threshold`` per hour."""

    threshold: float = Field(gt=0)
    escalate_to_level: LevelNumber
    window_minutes: int = Field(default=60, ge=1, le=24 * 60)


class FrequencyTriggers(StrictFrozenModel):
    error_rate: dict[str, FrequencyTrigger] = Field(default_factory=dict)
    resolution_failure_rate: dict[str, FrequencyTrigger] = Field(default_factory=dict)


class Triggers(StrictFrozenModel):
    error_severity: dict[str, SeverityTrigger] = Field(default_factory=dict)
    time_based: TimeTriggers = TimeTriggers()
    frequency_based: FrequencyTriggers = FrequencyTriggers()
