"""The analyzer's store: per-fingerprint state and consumed offsets, written per batch in one
transaction; the template snapshot."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.analyzer.frequency import FingerprintState
from services.analyzer.tables import blobs, consumed, fingerprints
from shared.storage import Database, upsert

Partition = tuple[str, int]


async def lock_offsets(
    db: AsyncConnection, partitions: Iterable[Partition]
) -> dict[Partition, int]:
    """The stored offset of each partition (-1 when none), locked until the transaction ends:
    two replicas never write one partition's states at once (on SQLite the whole database is
    locked by the transaction already)."""
    wanted = sorted(set(partitions))
    await upsert(
        db,
        consumed,
        [{"topic": t, "partition": p, "offset": -1} for t, p in wanted],
        key=["topic", "partition"],
        ignore=True,
    )
    rows = await db.execute(
        select(consumed.c.topic, consumed.c.partition, consumed.c.offset)
        .where(tuple_(consumed.c.topic, consumed.c.partition).in_(wanted))
        .order_by(consumed.c.topic, consumed.c.partition)
        .with_for_update()
    )
    return {(str(t), int(p)): int(o) for t, p, o in rows}


async def load_states(
    db: AsyncConnection, fingerprint_ids: Iterable[str]
) -> dict[str, FingerprintState]:
    wanted = sorted(set(fingerprint_ids))
    if not wanted:
        return {}
    rows = await db.execute(
        select(fingerprints.c.fingerprint, fingerprints.c.state).where(
            fingerprints.c.fingerprint.in_(wanted)
        )
    )
    return {str(fp): FingerprintState.from_json(json.loads(state)) for fp, state in rows}


async def save(
    db: AsyncConnection,
    states: Mapping[str, FingerprintState],
    offsets: Mapping[Partition, int],
) -> None:
    """The batch's new states and its partitions' offsets (inside the caller's transaction)."""
    await upsert(
        db,
        fingerprints,
        [
            {"fingerprint": fp, "state": json.dumps(s.to_json()), "last_seen": s.last_seen}
            for fp, s in states.items()
        ],
        key=["fingerprint"],
    )
    await upsert(
        db,
        consumed,
        [{"topic": t, "partition": p, "offset": o} for (t, p), o in offsets.items()],
        key=["topic", "partition"],
    )


class AnalyzerStore:
    """What the analyzer's periodic work needs outside a batch."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def prune(self, before: float) -> int:
        """Drop states of fingerprints silent since ``before``."""
        async with self.database.transaction() as db:
            result = await db.execute(
                delete(fingerprints)
                .where(fingerprints.c.last_seen < before)
                .returning(fingerprints.c.fingerprint)
            )
            return len(result.all())

    async def load_blob(self, name: str) -> bytes | None:
        async with self.database.transaction() as db:
            value = await db.scalar(select(blobs.c.value).where(blobs.c.name == name))
        return bytes(value) if value is not None else None

    async def save_blob(self, name: str, value: bytes) -> None:
        async with self.database.transaction() as db:
            await upsert(
                db,
                blobs,
                [{"name": name, "value": value, "updated_at": time.time()}],
                key=["name"],
            )
