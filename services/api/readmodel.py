"""Writing the read model: a consumed batch in one transaction, idempotent on redelivery.

A batch's events are first inserted on the timeline, keyed by event id; only the events whose
row is new go on to change their problem's row, so a redelivered event changes nothing. The
problems' rows are locked (a placeholder inserted first, then ``SELECT ... FOR UPDATE`` in
fingerprint order) before they are folded, so consumers of different topics, and replicas,
change one problem one after another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api import projection
from services.api.projection import Alert
from services.api.tables import alerts, dead_letters, notifications, resolutions, timeline, topics
from shared.events import Envelope, Notification, Resolution
from shared.kafka.consumed import Consumed
from shared.kafka.dlq import (
    H_ERROR_CLASS,
    H_ERROR_REASON,
    H_FAILED_AT,
    H_SERVICE,
    H_SOURCE_TOPIC,
)
from shared.storage import any_of, greatest, upsert, upserted
from shared.topics import DLQ_SUFFIX


async def insert_new(
    db: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str
) -> set[str]:
    """Insert ``rows``, skipping those whose ``key`` exists; the keys actually inserted."""
    return {str(value) for (value,) in await upserted(db, table, rows, key=[key], ignore=True)}


async def locked_alerts(db: AsyncConnection, fingerprints: Iterable[str]) -> dict[str, Alert]:
    """The rows of ``fingerprints`` (placeholders for new ones), locked until the transaction
    ends. A batch's fingerprints (at most ``kafka.batch_max_records``, 10,000) fit one
    statement's parameters in both databases."""
    wanted = sorted(set(fingerprints))
    stubs = [Alert(fingerprint=fp).row() for fp in wanted]
    await upsert(db, alerts, stubs, key=["fingerprint"], ignore=True)
    rows = await db.execute(_LOCKED_ALERTS, {"ids": wanted})
    return {row.fingerprint: Alert.of_row(row) for row in rows}


#: The alerts of some fingerprints, locked: built once, as every batch that changes alerts reads
#: it (see shared.storage.any_of).
_LOCKED_ALERTS = (
    select(alerts)
    .where(any_of(alerts.c.fingerprint))
    .order_by(alerts.c.fingerprint)
    .with_for_update()
)


async def project(db: AsyncConnection, topic: str, events: Sequence[Envelope]) -> int:
    """Fold ``events`` (read from ``topic``) into the read model; the number that were new."""
    unique = list({event.id: event for event in events}.values())
    if not unique:
        return 0
    rows = [projection.entry(event).row() for event in unique]
    new_ids = await insert_new(db, timeline, rows, key="event_id")
    fresh = [event for event in unique if event.id in new_ids]
    if not fresh:
        return 0
    await insert_new(
        db,
        resolutions,
        [projection.resolution_row(e) for e in fresh if isinstance(e, Resolution)],
        key="event_id",
    )
    await insert_new(
        db,
        notifications,
        [projection.notification_row(e) for e in fresh if isinstance(e, Notification)],
        key="event_id",
    )
    changing = [event for event in fresh if projection.affects_alert(event)]
    if changing:
        current = await locked_alerts(db, (event.data.fingerprint for event in changing))
        for event in changing:
            fp = event.data.fingerprint
            current[fp] = projection.apply(current[fp], event)
        await upsert(db, alerts, [alert.row() for alert in current.values()], key=["fingerprint"])
    await _seen(db, topic, max(event.time.timestamp() for event in fresh))
    return len(fresh)


async def _seen(db: AsyncConnection, topic: str, at: float) -> None:
    """``topic`` has events up to ``at``: its ``last_event_at`` moves forward, never back."""
    await upsert(
        db,
        topics,
        [{"topic": topic, "last_event_at": at}],
        key=["topic"],
        changes=lambda new: {"last_event_at": greatest(topics.c.last_event_at, new.last_event_at)},
    )


def _header(message: Consumed, name: str) -> str | None:
    for key, value in message.headers:
        if key == name:
            return value.decode("utf-8", "replace")
    return None


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def dead_letter_row(message: Consumed) -> dict[str, Any]:
    """The row of one message read from a ``.dlq`` topic (its headers name the failure)."""
    source = _header(message, H_SOURCE_TOPIC) or message.topic.removesuffix(DLQ_SUFFIX)
    return {
        "id": message.coordinates,
        "topic": source,
        "service": _header(message, H_SERVICE),
        "error_class": _header(message, H_ERROR_CLASS),
        "reason": (_header(message, H_ERROR_REASON) or "")[:4000],
        "failed_at": _epoch(_header(message, H_FAILED_AT)),
        "key": message.key_text,
    }


async def record_dead_letters(db: AsyncConnection, batch: Sequence[Consumed]) -> int:
    rows = list({row["id"]: row for row in map(dead_letter_row, batch)}.values())
    new = await insert_new(db, dead_letters, rows, key="id")
    times = [row["failed_at"] for row in rows if row["id"] in new and row["failed_at"]]
    if times and batch:
        await _seen(db, batch[0].topic, max(times))
    return len(new)


async def wake_snoozed(db: AsyncConnection, now: float) -> int:
    """Problems whose snooze ended are open again."""
    result = await db.execute(
        update(alerts)
        .where(alerts.c.status == "snoozed", alerts.c.snoozed_until <= now)
        .values(status="open", status_at=alerts.c.snoozed_until, snoozed_until=None)
        .returning(alerts.c.fingerprint)
    )
    return len(result.all())


async def forget_before(db: AsyncConnection, before: float) -> int:
    """Drop timeline, resolution and notification rows older than ``before`` (problems stay)."""
    gone = 0
    for table in (timeline, resolutions, notifications):
        result = await db.execute(delete(table).where(table.c.at < before).returning(table.c.at))
        gone += len(result.all())
    return gone
