"""Reading the read model: filtered, sorted, keyset-paginated pages, and the status counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Row,
    Select,
    and_,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api import cursor
from services.api.cursor import CursorError, Position
from services.api.projection import Alert
from services.api.tables import alerts, dead_letters, notifications, resolutions, timeline, topics

#: Sort names for alerts and their columns (a leading ``-`` sorts descending).
ALERT_SORTS: Final = {
    "last_seen": alerts.c.last_seen,
    "first_seen": alerts.c.first_seen,
    "severity": alerts.c.severity_rank,
    "occurrences": alerts.c.occurrences,
    "impact": alerts.c.impact_score,
}
DEFAULT_ALERT_SORT: Final = "-last_seen"


@dataclass(frozen=True, kw_only=True)
class AlertFilter:
    status: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    environment: tuple[str, ...] = ()

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [alerts.c.title.is_not(None)]
        for name in ("status", "severity", "service", "category", "environment"):
            wanted: tuple[str, ...] = getattr(self, name)
            if wanted:
                found.append(alerts.c[name].in_(wanted))
        return found


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _after(
    column: ColumnElement[Any], key: ColumnElement[Any], position: Position, descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after ``position`` in the order ``(column, key)``."""
    value = position.value
    if descending:
        return or_(column < value, and_(column == value, key < position.key))
    return or_(column > value, and_(column == value, key > position.key))


async def _read_page(
    db: AsyncConnection,
    query: Select[Any],
    *,
    column: ColumnElement[Any],
    key: ColumnElement[Any],
    sort: str,
    limit: int,
    after: str | None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of ``query`` in ``sort`` order (by ``column``, ties by ``key``) from the cursor
    ``after``, and the cursor of the next page (None on the last)."""
    descending = sort.startswith("-")
    if after is not None:
        position = cursor.decode(after, sort=sort)
        if isinstance(position.value, bool) or not isinstance(position.value, int | float):
            raise CursorError("the cursor is not valid")  # every sort column is a number
        query = query.where(_after(column, key, position, descending))
    order = (column.desc(), key.desc()) if descending else (column.asc(), key.asc())
    rows = (await db.execute(query.order_by(*order).limit(limit + 1))).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]._mapping
    return rows[:limit], cursor.encode(Position(sort, last[column.key], str(last[key.key])))


def sort_column(sort: str) -> ColumnElement[Any]:
    name = sort.removeprefix("-")
    if name not in ALERT_SORTS:
        raise CursorError(f"unknown sort {sort!r}; use one of {', '.join(sorted(ALERT_SORTS))}")
    return ALERT_SORTS[name]


async def list_alerts(
    db: AsyncConnection, where: AlertFilter, *, sort: str, limit: int, after: str | None
) -> Page:
    rows, next_cursor = await _read_page(
        db,
        select(alerts).where(*where.conditions()),
        column=sort_column(sort),
        key=alerts.c.fingerprint,
        sort=sort,
        limit=limit,
        after=after,
    )
    return Page([Alert.of_row(row) for row in rows], next_cursor)


async def get_alert(db: AsyncConnection, fingerprint: str) -> Alert | None:
    row = (await db.execute(select(alerts).where(alerts.c.fingerprint == fingerprint))).first()
    return Alert.of_row(row) if row is not None else None


async def fingerprint_of_event(db: AsyncConnection, event_id: str) -> str | None:
    query = select(timeline.c.fingerprint).where(timeline.c.event_id == event_id)
    return (await db.execute(query)).scalar_one_or_none()


async def alert_timeline(
    db: AsyncConnection, fingerprint: str, *, limit: int, after: str | None
) -> Page:
    """The problem's events in time order (the oldest first)."""
    rows, next_cursor = await _read_page(
        db,
        select(timeline).where(timeline.c.fingerprint == fingerprint),
        column=timeline.c.at,
        key=timeline.c.event_id,
        sort="at",
        limit=limit,
        after=after,
    )
    items = [
        {
            "event_id": row.event_id,
            "at": row.at,
            "kind": row.kind,
            "actor": row.actor,
            "summary": row.summary,
            "data": json.loads(row.body),
        }
        for row in rows
    ]
    return Page(items, next_cursor)


async def list_resolutions(
    db: AsyncConnection,
    *,
    fingerprint: str | None,
    status: tuple[str, ...],
    strategy: str | None,
    limit: int,
    after: str | None,
) -> Page:
    query = select(resolutions)
    if fingerprint:
        query = query.where(resolutions.c.fingerprint == fingerprint)
    if status:
        query = query.where(resolutions.c.status.in_(status))
    if strategy:
        query = query.where(resolutions.c.strategy == strategy)
    rows, next_cursor = await _read_page(
        db,
        query,
        column=resolutions.c.at,
        key=resolutions.c.event_id,
        sort="-at",
        limit=limit,
        after=after,
    )
    return Page([dict(row._mapping) for row in rows], next_cursor)


async def inbox(db: AsyncConnection, *, limit: int, after: str | None) -> Page:
    """Notifications for the console target, and every problem's latest notification."""
    latest = select(alerts.c.latest_notification_id).where(
        alerts.c.latest_notification_id.is_not(None)
    )
    rows, next_cursor = await _read_page(
        db,
        select(notifications).where(
            or_(notifications.c.console.is_(True), notifications.c.event_id.in_(latest))
        ),
        column=notifications.c.at,
        key=notifications.c.event_id,
        sort="-at",
        limit=limit,
        after=after,
    )
    items = []
    for row in rows:
        item = dict(row._mapping)
        item["targets"] = json.loads(item["targets"])
        item["actions"] = json.loads(item["actions"])
        items.append(item)
    return Page(items, next_cursor)


async def status_counts(db: AsyncConnection) -> dict[str, Any]:
    by_status = await db.execute(
        select(alerts.c.status, func.count())
        .where(alerts.c.title.is_not(None))
        .group_by(alerts.c.status)
    )
    dlq = await db.execute(
        select(dead_letters.c.topic, func.count()).group_by(dead_letters.c.topic)
    )
    seen = await db.execute(select(topics.c.topic, topics.c.last_event_at).order_by(topics.c.topic))
    return {
        "alerts": {str(status): int(count) for status, count in by_status},
        "dead_letters": {str(topic): int(count) for topic, count in dlq},
        "last_event_at": {str(topic): float(at) for topic, at in seen},
    }


def _bucket(db: AsyncConnection, at: ColumnElement[float], start: float, width: float) -> Any:
    offset = (at - start) / width
    if db.dialect.name == "postgresql":
        return cast(func.floor(offset), Integer)
    return cast(offset, Integer)  # SQLite truncates toward zero: the floor of a value >= 0


async def bucket_counts(
    db: AsyncConnection, *, kind: str, start: float, end: float, width: float
) -> dict[int, int]:
    """Timeline events of ``kind`` per bucket of ``width`` seconds from ``start``."""
    index = _bucket(db, timeline.c.at, start, width).label("bucket")
    query = (
        select(index, func.count())
        .where(timeline.c.kind == kind, timeline.c.at >= start, timeline.c.at < end)
        .group_by(index)
    )
    return {int(bucket): int(count) for bucket, count in await db.execute(query)}


async def alerts_active_between(db: AsyncConnection, start: float, end: float) -> list[Alert]:
    """Problems with an event in ``[start, end)``."""
    query = select(alerts).where(
        alerts.c.title.is_not(None), alerts.c.last_seen >= start, alerts.c.first_seen < end
    )
    return [Alert.of_row(row) for row in await db.execute(query)]


async def resolution_steps(db: AsyncConnection, start: float, end: float) -> list[dict[str, Any]]:
    query = select(
        resolutions.c.attempt_id,
        resolutions.c.strategy,
        resolutions.c.status,
        cast(resolutions.c.at, Float).label("at"),
    ).where(resolutions.c.at >= start, resolutions.c.at < end)
    return [dict(row._mapping) for row in await db.execute(query)]


async def dead_letters_between(db: AsyncConnection, start: float, end: float) -> dict[str, int]:
    """Dead letters per source topic that failed within [start, end)."""
    rows = await db.execute(
        select(dead_letters.c.topic, func.count())
        .where(dead_letters.c.failed_at >= start, dead_letters.c.failed_at < end)
        .group_by(dead_letters.c.topic)
    )
    return {str(topic): int(count) for topic, count in rows}
