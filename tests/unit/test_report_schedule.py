"""When the scheduled reports are due: daily, weekly and monthly send times in a time zone,
the periods they cover (across daylight-saving changes) and the grace after a send time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.api.reports import caught_up
from services.api.schedule import due, periods
from shared.config.monitoring import ReportingSettings

BERLIN = ReportingSettings(timezone="Europe/Berlin", hour=9)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_the_daily_report_covers_the_24_hours_before_its_send_time() -> None:
    reporting = ReportingSettings(weekly_analysis=False, monthly_trends=False)
    [daily] = periods(_utc(2026, 12, 2, 10, 30), reporting, "sunday")
    assert (daily.kind, daily.start, daily.end) == (
        "daily",
        _utc(2026, 12, 1, 9),
        _utc(2026, 12, 2, 9),
    )
    assert daily.key == "daily:2026-12-02T09:00:00+00:00"
    # before today's send time, the latest one is yesterday's
    [earlier] = periods(_utc(2026, 12, 2, 8, 59), reporting, "sunday")
    assert earlier.end == _utc(2026, 12, 1, 9)


def test_a_report_is_due_from_its_send_time_until_the_grace_runs_out() -> None:
    reporting = ReportingSettings(weekly_analysis=False, monthly_trends=False, grace_hours=6)
    assert [p.key for p in due(_utc(2026, 12, 2, 9), reporting, "sunday")] == [
        "daily:2026-12-02T09:00:00+00:00"
    ]
    assert due(_utc(2026, 12, 2, 14, 59), reporting, "sunday")
    assert due(_utc(2026, 12, 2, 15), reporting, "sunday") == []
    assert due(_utc(2026, 12, 2, 8), reporting, "sunday") == []  # yesterday's is 23 h old


def test_the_weekly_report_goes_out_on_its_day_and_covers_seven_days() -> None:
    reporting = ReportingSettings(daily_summary=False, monthly_trends=False)
    # 2026-12-02 is a Wednesday
    [weekly] = periods(_utc(2026, 12, 2, 12), reporting, "wednesday")
    assert (weekly.start, weekly.end) == (_utc(2026, 11, 25, 9), _utc(2026, 12, 2, 9))
    [last_sunday] = periods(_utc(2026, 12, 2, 12), reporting, "sunday")
    assert last_sunday.end == _utc(2026, 11, 29, 9)
    assert due(_utc(2026, 12, 2, 12), reporting, "sunday") == []
    # on the day, before the hour: last week's
    [before] = periods(_utc(2026, 12, 2, 8), reporting, "wednesday")
    assert before.end == _utc(2026, 11, 25, 9)


def test_the_monthly_report_covers_the_previous_calendar_month() -> None:
    reporting = ReportingSettings(daily_summary=False, weekly_analysis=False)
    [monthly] = periods(_utc(2026, 12, 1, 9, 5), reporting, "sunday")
    assert (monthly.start, monthly.end) == (_utc(2026, 11, 1, 9), _utc(2026, 12, 1, 9))
    assert monthly.span == "November 2026"
    [january] = periods(_utc(2027, 1, 1, 10), reporting, "sunday")
    assert (january.start, january.end) == (_utc(2026, 12, 1, 9), _utc(2027, 1, 1, 9))
    [before] = periods(_utc(2026, 12, 1, 8), reporting, "sunday")
    assert (before.start, before.end) == (_utc(2026, 10, 1, 9), _utc(2026, 11, 1, 9))


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (_utc(2026, 3, 29, 8), 23),  # the clocks went forward that night
        (_utc(2026, 10, 25, 9), 25),  # and back
        (_utc(2026, 6, 1, 8), 24),
    ],
)
def test_a_day_in_local_time_across_a_daylight_saving_change(now: datetime, hours: int) -> None:
    reporting = BERLIN.model_copy(update={"weekly_analysis": False, "monthly_trends": False})
    [daily] = periods(now, reporting, "sunday")
    assert daily.end.hour == 9
    assert daily.end.astimezone(UTC) <= now
    assert daily.end.astimezone(UTC) - daily.start.astimezone(UTC) == timedelta(hours=hours)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        ReportingSettings(timezone="Mars/Olympus")


def test_reports_switched_off_are_never_due() -> None:
    off = ReportingSettings(daily_summary=False, weekly_analysis=False, monthly_trends=False)
    assert periods(_utc(2026, 12, 1, 9), off, "sunday") == []


def test_a_report_waits_until_every_topic_is_read_past_its_end() -> None:
    end = 1000.0
    assert caught_up({}, {}, end)  # nothing to read
    assert caught_up({"audit": 0, "resolutions": 0}, {}, end)
    # a busy topic with lag, but read past the end: caught up for this period
    assert caught_up({"audit": 40, "resolutions": 0}, {"audit": 1001.0}, end)
    assert not caught_up({"audit": 40}, {"audit": 999.0}, end)
    assert not caught_up({"audit": 40}, {}, end)
