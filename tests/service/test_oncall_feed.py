"""The on-call directory over a calendar host served on HTTP: a feed is fetched once per refresh
interval; a failed fetch (5xx, 429 with Retry-After, not a calendar, too large, unknown address)
keeps the last good calendar in use, says why, logs a warning and is tried again later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from shared.clock import ManualClock
from shared.config.oncall import OnCallSection
from shared.oncall import OnCallDirectory, answer_view
from tests.fakes.calendar import FakeCalendarHost
from tests.fakes.server import served, serving

WHEN = datetime.fromisoformat("2025-03-18T12:00:00+00:00")


@pytest.fixture
def calendar_host() -> Iterator[tuple[FakeCalendarHost, str]]:
    with served(FakeCalendarHost()) as host:
        yield host


def directory(url: str, clock: ManualClock, **more: Any) -> OnCallDirectory:
    section = OnCallSection.model_validate(
        {
            "refresh_seconds": 300,
            "retry_seconds": 60,
            "timeout_seconds": 5,
            **more,
            "schedules": [
                {
                    "name": "platform",
                    "services": ["checkout-api"],
                    "time_zone": "Europe/Berlin",
                    "ical_url": url,
                    "people": {"alice": "U0ALICE", "bob@example.com": "U0BOB"},
                }
            ],
        }
    )
    return OnCallDirectory(section, clock=clock.time)


async def test_fetched_once_per_interval_and_the_last_good_copy_outlives_failures(
    calendar_host: tuple[FakeCalendarHost, str],
) -> None:
    host, host_url = calendar_host
    clock = ManualClock(1_742_299_200.0)
    oncall = directory(f"{host_url}{host.path()}", clock)
    assert await oncall.mention_groups("checkout-api", WHEN) == {"oncall": ["U0ALICE"]}
    assert await oncall.mention_groups("billing", WHEN) == {}  # no schedule: mention_groups
    clock.advance(299)
    [answer] = await oncall.answers(WHEN)
    assert host.calls["get"] == 1
    view = answer_view(answer)
    assert view["people"] == [{"slack_user": "U0ALICE", "name": None}]
    assert view["calendar"] == {"fetched_at": "2025-03-18T12:00:00+00:00", "error": None}
    assert "ical_url" not in view
    assert host_url not in str(view)

    clock.advance(1)
    host.fail_next = 1
    with capture_logs() as logs:
        [answer] = await oncall.answers(WHEN)
    assert host.calls["get"] == 2
    assert [p.slack_user for p in answer.on_call.people] == ["U0ALICE"]  # the last good copy
    assert answer.feed is not None
    assert answer.feed.error == "127.0.0.1 answered HTTP 500"
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert warning["event"] == "on-call calendar not fetched; the last good copy stays in use"
    assert warning["host"] == "127.0.0.1"
    assert host.path() not in str(warning)  # the secret part of the address is never logged

    clock.advance(59)
    await oncall.answers(WHEN)
    assert host.calls["get"] == 2  # retried after retry_seconds, not at every look
    clock.advance(1)
    host.throttle_next = 1
    [answer] = await oncall.answers(WHEN)
    assert host.calls["get"] == 3
    assert answer.feed is not None
    assert answer.feed.error == "127.0.0.1 answered HTTP 429"
    clock.advance(119)
    await oncall.answers(WHEN)
    assert host.calls["get"] == 3  # Retry-After: 120 is longer than retry_seconds
    clock.advance(1)
    [answer] = await oncall.answers(WHEN)
    assert host.calls["served"] == 2
    assert answer.feed is not None
    assert answer.feed.error is None


@pytest.mark.parametrize(
    ("feed", "path", "limit", "error"),
    [
        (None, "/calendar/wrong-secret/basic.ics", 5_242_880, "127.0.0.1 answered HTTP 404"),
        (b"<html><body>Sign in</body></html>", None, 5_242_880, "not an iCalendar document"),
        (None, None, 1024, "127.0.0.1: the calendar is over 1024 bytes"),
    ],
)
async def test_a_feed_never_fetched_puts_nobody_on_call_and_says_why(
    feed: bytes | None, path: str | None, limit: int, error: str
) -> None:
    with served(FakeCalendarHost(feed)) as (host, url):
        clock = ManualClock(1_742_299_200.0)
        oncall = directory(f"{url}{path or host.path()}", clock, max_calendar_bytes=limit)
        with capture_logs():
            [answer] = await oncall.answers(WHEN, "checkout-api")
            assert await oncall.mention_groups("checkout-api", WHEN) == {}
    assert answer.on_call.people == ()
    assert answer.on_call.notes == ("the calendar has not been fetched yet",)
    assert answer.feed is not None
    assert error in str(answer.feed.error)
    assert answer_view(answer)["calendar"]["fetched_at"] is None
    assert host.calls["get"] == 1


async def test_an_address_nobody_answers_at() -> None:
    with serving(FakeCalendarHost().app()) as url:
        pass  # the server is gone: its port refuses connections
    clock = ManualClock(1_742_299_200.0)
    with capture_logs():
        [answer] = await directory(f"{url}/calendar/x/basic.ics", clock).answers(WHEN)
    assert answer.feed is not None
    assert answer.feed.error == "127.0.0.1: ConnectError"
