"""The delivery half of the notifier: each ``Notification`` to each of its targets, once.

Before a send, an outbox row (notification id, target) is claimed (an insert that only one
replica wins); after it, the row records the outcome. A redelivered notification finds its rows
and sends nothing again. A send a crash cut short (its lease of ``SEND_LEASE_SECONDS`` ran out)
is sent again where the target deduplicates (PagerDuty's ``dedup_key``, the console) or can be
asked whether it arrived (Slack with a bot token: ``reconcile`` finds the message by its
metadata), and is otherwise marked ``unknown``, never repeated. A target that answers "later"
is retried from the outbox when due, by whichever replica claims the row: after an error (a
5xx, a network error) the try counts, and after ``MAX_ATTEMPTS`` such tries the delivery is
failed; a rate-limit wait (a 429, our own limiter) never counts, so a storm delays deliveries
but never drops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import structlog

from services.notifier.delivery.base import DeliveryResult, Integration
from services.notifier.metrics import DELIVERIES
from services.notifier.store import INTERRUPTED, NotifierStore, OutboxRow
from shared.clock import SYSTEM_CLOCK, Clock
from shared.events import (
    Actor,
    AuditRecord,
    AuditRecordData,
    Notification,
    NotificationData,
    Target,
    derived_event_id,
)
from shared.kafka.producer import Output, Publisher
from shared.topics import AUDIT

log = structlog.get_logger(__name__)

SOURCE = "/alertorch/notifier/delivery"
ACTOR = Actor(kind="service", id="notifier", via="system")
MAX_ATTEMPTS = 50
CONSOLE = "console"  # the inbox is ours: it is delivered to in a dry run too
ERROR_BACKOFF = 30.0
#: A send (every call an integration makes for one notification) ends well within this.
SEND_LEASE_SECONDS = 120.0
RETRIES_PER_STEP = 50


def target_key(target: Target) -> str:
    return f"{target.type}:{target.channel or ''}"


class Dispatcher:
    def __init__(
        self,
        *,
        store: NotifierStore,
        integrations: Mapping[str, Integration],
        publisher: Publisher,
        clock: Clock = SYSTEM_CLOCK,
        dry_run: bool = False,
    ) -> None:
        """``dry_run`` (``operation.dry_run``): nothing reaches an outside target; each delivery
        is logged and audited as what would have been sent."""
        self.store = store
        self.integrations = integrations
        self.publisher = publisher
        self.clock = clock
        self.dry_run = dry_run

    async def on_notification(self, event: Notification) -> None:
        body = event.model_dump_json()
        for target in event.data.targets:
            key = target_key(target)
            lease = self.clock.time() + SEND_LEASE_SECONDS
            row = await self.store.claim(event.id, key, body, lease_until=lease)
            if row is None:
                log.info("already handled; not sending again", target=key)
                continue
            await self._send(row, event, target)

    async def retry_due(self) -> int:
        """Give up on sends cut short, then send the retries that are due."""
        now = self.clock.time()
        again, unknown = await self.store.interrupted(now, self._resend_safe)
        if again:
            log.warning(
                "sends cut short by a stop are sent again (the target deduplicates)", count=again
            )
        if unknown:
            log.warning("sends cut short by a stop are not repeated", count=unknown)
        rows = await self.store.claim_retries(
            now, lease_until=now + SEND_LEASE_SECONDS, limit=RETRIES_PER_STEP
        )
        for row in rows:
            event = Notification.model_validate_json(row.body)
            target = next((t for t in event.data.targets if target_key(t) == row.target), None)
            if target is None:
                await self.store.mark(row, status="failed", error="target vanished")
                continue
            await self._send(row, event, target)
        return len(rows)

    def _resend_safe(self, target: str) -> bool:
        integration = self.integrations.get(target.split(":", 1)[0])
        return bool(getattr(integration, "resend_safe", False))

    async def tick_integrations(self) -> None:
        now = self.clock.time()
        for name, integration in self.integrations.items():
            tick = getattr(integration, "tick", None)
            if tick is None:
                continue
            try:
                await tick(now)
            except Exception as exc:  # noqa: BLE001 - one integration must not stop the others
                log.error("integration tick failed", integration=name, error=repr(exc))

    async def _send(self, row: OutboxRow, event: Notification, target: Target) -> None:
        integration = self.integrations.get(target.type)
        if integration is None:
            result = DeliveryResult.failed(f"no integration delivers target type {target.type!r}")
        elif self.dry_run and target.type != CONSOLE:
            log.info("dry run: would deliver", target=row.target, kind=event.data.kind)
            result = DeliveryResult.ok(None, dry_run=True, would=f"notify:{event.data.kind}")
        else:
            found = await self._arrived(integration, row, event.data, target)
            result = found or await self._call(integration, event.data, target)
        if not result.rate_limited:
            row.attempts += 1
        if result.delivered:
            await self.store.mark(row, status="sent", reference=result.reference, error=None)
            await self._audit(
                event, row, "dry_run" if result.details.get("dry_run") else "succeeded", result
            )
        elif result.permanent or row.attempts >= MAX_ATTEMPTS:
            await self.store.mark(row, status="failed", error=result.error)
            log.error("delivery failed", target=row.target, error=result.error)
            await self._audit(event, row, "failed", result)
        else:
            delay = result.retry_after if result.retry_after is not None else ERROR_BACKOFF
            due_at = self.clock.time() + delay
            await self.store.mark(row, status="retry", due_at=due_at, error=result.error)
        DELIVERIES.labels(target.type, _outcome(result)).inc()

    @staticmethod
    async def _arrived(
        integration: Integration, row: OutboxRow, data: NotificationData, target: Target
    ) -> DeliveryResult | None:
        """For a send a stop cut short: what the target says it received of it (integrations
        that can look have ``reconcile``); None when it did not arrive or nobody can tell."""
        reconcile = getattr(integration, "reconcile", None)
        if row.error != INTERRUPTED or reconcile is None:
            return None
        try:
            found: DeliveryResult | None = await reconcile(data, target)
        except Exception as exc:  # noqa: BLE001 - the send itself decides what happens next
            log.error("looking up an interrupted send failed", target=row.target, error=repr(exc))
            return None
        return found

    @staticmethod
    async def _call(
        integration: Integration, data: NotificationData, target: Target
    ) -> DeliveryResult:
        try:
            if data.kind == "escalation":
                return await integration.handle_escalation(data, target)
            return await integration.send_notification(data, target)
        except Exception as exc:  # noqa: BLE001 - a broken integration is retried, then failed
            log.error("integration raised", target=target.type, error=repr(exc))
            return DeliveryResult.later(ERROR_BACKOFF, f"integration raised {exc!r}")

    async def _audit(
        self,
        event: Notification,
        row: OutboxRow,
        outcome: Literal["succeeded", "failed", "dry_run"],
        result: DeliveryResult,
    ) -> None:
        record = AuditRecord(
            id=derived_event_id(event.id, "delivery", row.target, outcome),
            source=SOURCE,
            subject=event.subject,
            correlationid=event.correlationid,
            data=AuditRecordData(
                fingerprint=event.data.fingerprint,
                actor=ACTOR,
                action=f"notify:{event.data.kind}",
                target=row.target,
                outcome=outcome,
                details={
                    "reference": result.reference,
                    "error": result.error,
                    "attempts": row.attempts,
                    **result.details,
                },
            ),
        )
        await self.publisher.publish_many([Output(AUDIT, record, event.data.fingerprint)])


def _outcome(result: DeliveryResult) -> str:
    if result.delivered:
        return "sent"
    if result.permanent:
        return "failed"
    return "rate_limited" if result.rate_limited else "retry"
