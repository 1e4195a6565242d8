"""The scheduled reports: the daily, weekly and monthly summaries posted to Slack's metrics
channel (``monitoring.reporting``), each with a system-health message.

Every ``check_seconds`` the console looks at what is due (:mod:`services.api.schedule`). A
report waits until the console's read model has caught up with the period: on every topic,
nothing is left to read or the newest event read is past the period's end. So it counts
everything up to its end, on a busy system too. Then, in one transaction, the period is
claimed (a row only one replica can insert), the report gathered from the read model and its
two ``notifications`` published, before the claim commits: a failed publish leaves the period
unclaimed and it is tried again at the next check; a commit that fails after the publish
republishes the same event ids (the notifier's outbox sends each once). The notifier delivers
them to Slack like any notification, with the ``metrics_report`` and ``system_health``
templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import structlog

from services.api import queries
from services.api.analytics import Window
from services.api.context import Context
from services.api.report import gather, health_text, slack_text
from services.api.schedule import Period, due
from services.api.tables import reports
from shared.config import Settings
from shared.events import (
    ErrorSummary,
    Notification,
    NotificationData,
    NotificationKind,
    Severity,
    Target,
    derived_event_id,
)
from shared.kafka.producer import Output
from shared.storage import upserted
from shared.topics import NOTIFICATIONS

log = structlog.get_logger(__name__)

SOURCE: Final = "/alertorch/api/reports"
#: The console's consumer group of the event topics (``<prefix>-api-events``).
EVENTS_GROUP: Final = "api-events"
TEXT_LIMIT: Final = 8000


@dataclass(frozen=True)
class Reporter:
    ctx: Context
    settings: Settings

    @property
    def target(self) -> Target | None:
        """Slack's metrics channel, when Slack is configured (a bot token or a webhook)."""
        if self.settings.slack_bot_token is None and self.settings.slack_webhook_url is None:
            return None
        return Target(type="slack", channel=self.settings.slack.notification_channels.metrics)

    async def step(self) -> int:
        """Send the reports that are due; how many were sent."""
        now = datetime.fromtimestamp(self.ctx.clock.time(), UTC)
        weekly_day = self.settings.maintenance.scheduled_maintenance.weekly_report_day
        periods = due(now, self.settings.monitoring.reporting, weekly_day)
        target = self.target
        if not periods or target is None:
            return 0
        consumers, error = await self.ctx.consumer_groups()
        group = f"{self.ctx.group_prefix}-{EVENTS_GROUP}"
        mine = next((c for c in consumers if c["group"] == group), None)
        if error or mine is None:
            log.info("reports wait for the broker", group=group, error=error)
            return 0
        async with self.ctx.database.transaction() as db:
            seen = (await queries.status_counts(db))["last_event_at"]
        sent = 0
        for period in periods:
            if not caught_up(mine["lag"], seen, period.end.timestamp()):
                log.info("a report waits for the read model to catch up", report=period.key)
                continue
            if await self._send(period, target, consumers, error, now):
                sent += 1
                log.info("report sent", report=period.key, channel=target.channel)
        return sent

    async def _send(
        self,
        period: Period,
        target: Target,
        consumers: list[dict[str, Any]],
        error: str | None,
        now: datetime,
    ) -> bool:
        start, end = period.start.timestamp(), period.end.timestamp()
        async with self.ctx.database.transaction() as db:
            row = {"key": period.key, "sent_at": now.timestamp()}
            if not await upserted(db, reports, [row], key=["key"], ignore=True):
                return False  # another replica sent it
            report = await gather(db, Window.spanning(start, end))
            letters = await queries.dead_letters_between(db, start, end)
            title = f"{period.kind.capitalize()} report · {period.span}"
            metrics = slack_text(report)
            health = health_text(consumers, error, letters)
            outputs = [
                _notification(period, "metrics_report", title, metrics, target),
                _notification(
                    period, "system_health", f"System health · {period.span}", health, target
                ),
            ]
            await self.ctx.publish(outputs)
        return True


def caught_up(lag: dict[str, int], seen: dict[str, float], end: float) -> bool:
    """Whether the read model holds everything up to ``end``: on each topic, nothing is left
    to read, or what was read already goes past ``end`` (a busy topic is never without lag)."""
    return all(not behind or seen.get(name, 0.0) >= end for name, behind in lag.items())


def _notification(
    period: Period, kind: NotificationKind, title: str, text: str, target: Target
) -> Output:
    fingerprint = f"report:{period.key}"
    event_id = derived_event_id(fingerprint, kind)
    event = Notification(
        id=event_id,
        source=SOURCE,
        subject=fingerprint,
        correlationid=event_id,
        data=NotificationData(
            fingerprint=fingerprint,
            kind=kind,
            targets=[target],
            summary=ErrorSummary(title=title, severity=Severity.INFO),
            text=text[:TEXT_LIMIT],
        ),
    )
    return Output(NOTIFICATIONS, event, fingerprint)
