"""When the scheduled reports are due, as a pure function of the time and the settings.

Each report has a send time in the configured time zone: the daily one every day at ``hour``,
the weekly one on ``weekly_report_day`` at ``hour``, the monthly one on the 1st at ``hour``. It
covers the period before its send time (24 hours, 7 days, the previous calendar month, in local
wall-clock time, so a daylight-saving change makes a day of 23 or 25 hours). The report of the
latest send time is due from that time until ``grace_hours`` after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from shared.config.monitoring import ReportingSettings
from shared.config.sections import WEEKDAYS, Weekday

Kind = Literal["daily", "weekly", "monthly"]


@dataclass(frozen=True)
class Period:
    kind: Kind
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """Names the report once, whichever replica sends it."""
        return f"{self.kind}:{self.end.astimezone(UTC).isoformat()}"

    @property
    def span(self) -> str:
        """The period in words: ``November 2026``, ``to Wed 02 Dec 2026 09:00 UTC``."""
        if self.kind == "monthly":
            return self.start.strftime("%B %Y")
        return f"to {self.end.strftime('%a %d %b %Y %H:%M %Z')}"


def _at(day: datetime, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=zone)


def _last_daily(now: datetime, hour: int, zone: ZoneInfo) -> datetime:
    today = _at(now, hour, zone)
    return today if today <= now else _at(now - timedelta(days=1), hour, zone)


def periods(now: datetime, reporting: ReportingSettings, weekly_day: Weekday) -> list[Period]:
    """The latest period of each enabled report whose send time has passed (``now`` aware)."""
    zone = ZoneInfo(reporting.timezone)
    local = now.astimezone(zone)
    found: list[Period] = []
    if reporting.daily_summary:
        end = _last_daily(local, reporting.hour, zone)
        found.append(Period("daily", _at(end - timedelta(days=1), reporting.hour, zone), end))
    if reporting.weekly_analysis:
        end = _last_daily(local, reporting.hour, zone)
        back = (end.weekday() - WEEKDAYS.index(weekly_day)) % 7
        end = _at(end - timedelta(days=back), reporting.hour, zone)
        found.append(Period("weekly", _at(end - timedelta(days=7), reporting.hour, zone), end))
    if reporting.monthly_trends:
        end = _at(local.replace(day=1), reporting.hour, zone)
        if end > local:
            end = _at((end - timedelta(days=1)).replace(day=1), reporting.hour, zone)
        start = _at((end - timedelta(days=1)).replace(day=1), reporting.hour, zone)
        found.append(Period("monthly", start, end))
    return found


def due(now: datetime, reporting: ReportingSettings, weekly_day: Weekday) -> list[Period]:
    """The periods whose report should go out now (their send time within the grace)."""
    grace = timedelta(hours=reporting.grace_hours)
    return [p for p in periods(now, reporting, weekly_day) if now - p.end < grace]
