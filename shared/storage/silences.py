"""The silences a service honours, kept in a table of its own (each service names it): one row
per silence, its newest state (an older event arriving late changes nothing)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Float, Index, MetaData, Select, Table, Text, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events import Silence, SilenceData
from shared.storage.sql import Read, read_together, upsert


def silences_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("silence_id", Text, primary_key=True),
        Column("state", Text, nullable=False),
        Column("ends_at", Float, nullable=False),
        Column("updated_at", Float, nullable=False),
        Column("body", Text, nullable=False),
        Index(f"{name}_state_ends_at", "state", "ends_at"),
    )


async def keep(db: AsyncConnection, table: Table, events: Sequence[Silence]) -> None:
    """Record each silence's state, unless a newer one is recorded already."""
    newest = {e.data.silence_id: e for e in sorted(events, key=lambda e: e.time)}
    rows = [
        {
            "silence_id": e.data.silence_id,
            "state": e.data.state,
            "ends_at": e.data.ends_at.timestamp(),
            "updated_at": e.time.timestamp(),
            "body": e.data.model_dump_json(),
        }
        for e in newest.values()
    ]
    await upsert(
        db, table, rows, key=["silence_id"], only_if=lambda new: table.c.updated_at < new.updated_at
    )


async def active(db: AsyncConnection, table: Table, now: float) -> list[SilenceData]:
    """The silences in force or still to come at ``now``."""
    [rows] = await read_together(db, [active_read(table, now)])
    return active_from(rows)


def active_read(table: Table, now: float) -> Read:
    """The read of :func:`active`, to make with others (:func:`shared.storage.read_together`)."""
    return _active(table), {"now": now}


def active_from(rows: Iterable[Sequence[Any]]) -> list[SilenceData]:
    """The silences :func:`active_read` found."""
    return [SilenceData.model_validate_json(body) for (body,) in rows]


@functools.cache
def _active(table: Table) -> Select[str]:
    """The statement of :func:`active` on ``table``, built once a table: every batch of a
    service that honours silences reads it (see :func:`shared.storage.sql.any_of` for why)."""
    return select(table.c.body).where(table.c.state == "active", table.c.ends_at > bindparam("now"))


def at(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)
