"""Scheduled reports end to end: the console and the notifier as processes on a broker of their
own, a fake Slack. The daily and weekly reports of a period whose send time has just passed
reach the metrics channel once each, with the period's figures and a system-health message;
a restarted console does not send them again."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.topics import ERRORS_CLASSIFIED, NOTIFICATIONS, RESOLUTIONS
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack, Message
from tests.kafka_helpers import produce_keyed
from tests.procs import running_service
from tests.unit.test_api_projection import classified, notification, resolution

pytestmark = pytest.mark.broker

METRICS = "C0METRICS"


async def _posted(fake: FakeSlack, count: int, timeout: float = 60) -> list[Message]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fake.posted(METRICS)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{len(fake.posted(METRICS))} of {count} reports posted")


def _text(message: Message) -> str:
    return "\n".join(str(block["text"]["text"]) for block in message.blocks if "text" in block)


async def test_daily_and_weekly_reports_reach_the_metrics_channel_once(
    own_broker: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    # send time an hour ago: the latest daily report is due now (within its grace)
    end = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    in_period = (end - timedelta(minutes=10)).timestamp()
    day_before = (end - timedelta(hours=30)).timestamp()
    events = [
        classified("fp-db", at=in_period, count=3),
        classified("fp-db", at=in_period + 1, count=2),
        classified(
            "fp-cache", at=in_period, title="Redis timeout", category="cache", service="sessions"
        ),
        classified("fp-db-old", at=day_before),
    ]
    steps = [
        resolution(
            "fp-db", at=in_period + 5, status="executing", attempt_id="a1", strategy="restart_db"
        ),
        resolution(
            "fp-db", at=in_period + 60, status="succeeded", attempt_id="a1", strategy="restart_db"
        ),
    ]
    await produce_keyed(
        own_broker, ERRORS_CLASSIFIED, [(e.subject.encode(), e.to_json_bytes()) for e in events]
    )
    await produce_keyed(
        own_broker, RESOLUTIONS, [(e.subject.encode(), e.to_json_bytes()) for e in steps]
    )
    told = notification("fp-db", at=in_period + 30)
    await produce_keyed(own_broker, NOTIFICATIONS, [(told.subject.encode(), told.to_json_bytes())])

    fake = FakeSlack()
    fake.add_channel("#metrics", METRICS)
    with serving(fake.app()) as url:
        env = {
            **fake.env(url),
            "ALERTORCH_SLACK__NOTIFICATION_CHANNELS__METRICS": "#metrics",
            "ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path),
            "ALERTORCH_MONITORING__REPORTING__HOUR": str(end.hour),
            "ALERTORCH_MONITORING__REPORTING__TIMEZONE": "UTC",
            "ALERTORCH_MONITORING__REPORTING__MONTHLY_TRENDS": "false",
            "ALERTORCH_MONITORING__REPORTING__CHECK_SECONDS": "0.5",
            "ALERTORCH_MAINTENANCE__SCHEDULED_MAINTENANCE__WEEKLY_REPORT_DAY": end.strftime(
                "%A"
            ).lower(),
        }
        with (
            running_service("notifier", bootstrap=own_broker, env=env),
            running_service("api", bootstrap=own_broker, env=env),
        ):
            posted = await _posted(fake, 4)
        by_title = {m.blocks[0]["text"]["text"]: m for m in posted}
        span = f"to {end.strftime('%a %d %b %Y %H:%M')} UTC"
        assert set(by_title) == {
            f":bar_chart: Daily report · {span}",
            f":stethoscope: System health · {span}",
            f":bar_chart: Weekly report · {span}",
        }
        daily = _text(by_title[f":bar_chart: Daily report · {span}"])
        assert "*Errors processed:* 3 (+200%)" in daily  # 3 events against 1 the day before
        assert "• database: 5 (+400%)" in daily
        assert "• cache: 1 (new)" in daily
        assert "• checkout: 5 in 1 problem(s)" in daily
        assert "*Automatic fixes:* 1 attempts, 1 succeeded (100%)" in daily
        assert "• restart_db: 1/1 succeeded" in daily
        health = [m for m in posted if m.blocks[0]["text"]["text"].startswith(":stethoscope:")]
        assert len(health) == 2  # one with each report
        assert "-api-events: Stable" in _text(health[0])
        assert "lag 0" in _text(health[0])
        assert "*Dead letters in the period*\n• none" in _text(health[0])

        # A console restarted within the grace finds the periods sent: nothing twice.
        with running_service("api", bootstrap=own_broker, env=env):
            await asyncio.sleep(3)
        assert len(fake.posted(METRICS)) == 4
