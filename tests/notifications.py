"""Notifications the delivery tests send: about problem ``fp-42``, at escalation level 3, to one
target; and the event that carries one. The resolver's decisions the notifier acts on: as events,
and as its escalation policy takes them."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from services.notifier.outbox import Queued, unsure
from services.notifier.policy import ResolutionInput
from shared.events import (
    AuditRecord,
    ErrorSummary,
    Notification,
    NotificationData,
    Resolution,
    ResolutionData,
    Severity,
    Target,
    new_event_id,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.notifier.dispatcher import Dispatcher
    from services.notifier.outbox import Outbox, OutboxRow
    from shared.clock import ManualClock
    from shared.kafka.producer import Output

#: A problem whose title tries to mention a whole channel.
BOOM = ErrorSummary(title="Boom @channel", severity=Severity.HIGH, service="web")


def error_summary(**changes: Any) -> ErrorSummary:
    """A critical problem of the ``billing`` service with a Sentry link; ``changes`` replace
    fields."""
    fields: dict[str, Any] = {
        "title": "Boom",
        "severity": Severity.CRITICAL,
        "service": "billing",
        "url": "https://sentry.example.com/issues/42/",
    }
    fields.update(changes)
    return ErrorSummary(**fields)


def notification_data(
    target: Target, summary: ErrorSummary = BOOM, **changes: Any
) -> NotificationData:
    """An escalation of problem ``fp-42`` to level 3 for ``target``; ``changes`` replace
    fields."""
    fields: dict[str, Any] = {
        "fingerprint": "fp-42",
        "kind": "escalation",
        "level": 3,
        "targets": [target],
        "summary": summary,
        "text": "level 2 not acknowledged within 30 min",
    }
    fields.update(changes)
    return NotificationData(**fields)


def notification_event(data: NotificationData) -> Notification:
    """``data`` as the notifier consumes it, with a fresh event id."""
    event_id = new_event_id()
    return Notification(
        id=event_id, source="/test", subject=data.fingerprint, correlationid=event_id, data=data
    )


def unfixed(fp: str, title: str, *, service: str = "checkout-api", count: int = 12) -> Resolution:
    """A decision the notifier alerts on: no strategy for a critical database error of
    ``service`` in production, seen ``count`` times."""
    summary = ErrorSummary(
        title=title,
        severity=Severity.CRITICAL,
        category="database",
        environment="production",
        service=service,
        count=count,
    )
    data = ResolutionData(
        fingerprint=fp, status="no_strategy", reason="no strategy bound", summary=summary
    )
    event_id = new_event_id()
    return Resolution(
        id=event_id, source="/test", subject=fp, correlationid=f"corr-{fp}", data=data
    )


_input_ids = itertools.count()


def resolution_input(
    fingerprint: str = "fp",
    status: str = "no_strategy",
    details: dict[str, Any] | None = None,
    **summary: Any,
) -> ResolutionInput:
    """The resolver's decision on problem ``fingerprint`` as the escalation policy takes it;
    ``summary`` holds the problem's summary fields (``title`` and ``severity`` at least)."""
    data = ResolutionData(
        fingerprint=fingerprint,
        status=status,
        summary=ErrorSummary.model_validate(summary),
        details=details or {},
    )
    return ResolutionInput(f"r{next(_input_ids)}", data)


class Audits:
    """A dispatcher's publisher: keeps the audit records it is given."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        self.records += [o.event for o in outputs if isinstance(o.event, AuditRecord)]


async def deliver(dispatcher: Dispatcher, *events: Notification) -> None:
    """What the notifier does with notifications it consumes: queue their sends, then make
    them."""
    await dispatcher.enqueue(events)
    await dispatcher.send_queued()


async def sent_after_a_lost_answer(
    dispatcher: Dispatcher, clock: ManualClock, event: Notification, target: str, wait: float
) -> OutboxRow:
    """Deliver ``event`` to ``target`` while the target holds its answer past the client's
    timeout: the send is left to retry, unsure whether it arrived; ``wait`` seconds later the
    retry is made. Its row, sent."""
    await deliver(dispatcher, event)
    row = await dispatcher.outbox.outbox(event.id, target)
    assert row is not None
    assert (row.status, unsure(row)) == ("retry", True), row
    clock.advance(wait + 1)
    assert await dispatcher.send_due() == 1
    row = await dispatcher.outbox.outbox(event.id, target)
    assert row is not None
    assert row.status == "sent", row
    return row


async def mid_send(
    store: Outbox, events: Sequence[Notification], target: str, *, lease_until: float
) -> list[OutboxRow]:
    """The rows of ``events`` for ``target`` as a replica leaves them when it stops mid-send
    (claimed together, as one claim of its takes them)."""
    keys = {(event.id, target) for event in events}
    queued = [
        Queued(
            event.id,
            target,
            event.data.fingerprint,
            event.time.timestamp(),
            event.model_dump_json(),
        )
        for event in events
    ]
    assert await store.enqueue(queued, due_at=lease_until) == keys
    rows = await store.claim(keys, lease_until=lease_until)
    assert len(rows) == len(keys)
    assert await store.start(rows, lease_until=lease_until)
    return rows
