"""The analyzer's store: per-fingerprint state and consumed offsets, written per batch in one
transaction with the ids counted (and their classifications until the broker has them), the
patterns' new template records and the incidents of new problems; the template snapshot."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Integer, String, bindparam, case, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.sqltypes import TupleType

from services.analyzer.frequency import FingerprintState
from services.analyzer.incidents import Correlator, OpenIncident, links_of
from services.analyzer.pattern_ids import Recorded, template_key
from services.analyzer.tables import (
    blobs,
    consumed,
    counted,
    fingerprints,
    incident_problems,
    incidents,
    patterns,
    releases,
)
from services.analyzer.templates import Settlement, TemplateMiner
from shared.config.analyzer import AnalyzerSection
from shared.events import Incident, RawErrorData
from shared.storage import Database, any_of, hold, later, read_together, upsert

Partition = tuple[str, int]

# The statements of every batch, built once (see shared.storage.any_of).
#: The stored offsets of some partitions, locked until the transaction ends.
_OFFSETS = (
    select(consumed.c.topic, consumed.c.partition, consumed.c.offset)
    .where(
        tuple_(consumed.c.topic, consumed.c.partition).in_(
            bindparam("partitions", expanding=True, type_=TupleType(String(), Integer()))
        )
    )
    .order_by(consumed.c.topic, consumed.c.partition)
    .with_for_update()
)
_COUNTED = select(counted.c.event_id, counted.c.classified).where(any_of(counted.c.event_id))
#: Classifications the broker has: no longer kept.
_SENT = later(update(counted).where(any_of(counted.c.event_id)).values(classified=None))
_STATES = select(fingerprints.c.fingerprint, fingerprints.c.state).where(
    any_of(fingerprints.c.fingerprint)
)
_INCIDENTS_OF = select(incident_problems.c.fingerprint, incident_problems.c.incident).where(
    any_of(incident_problems.c.fingerprint)
)
#: The incidents whose latest problem started at ``since`` or later.
_OPEN_INCIDENTS = select(incidents.c.incident, incidents.c.latest).where(
    incidents.c.latest >= bindparam("since")
)

#: The row of ``analyzer_blobs`` whose lock writers of ``analyzer_patterns`` hold.
PATTERNS_LOCK = "patterns"
#: The row of ``analyzer_blobs`` holding the template miner's snapshot.
TEMPLATES_BLOB = "drain"
#: The row of ``analyzer_blobs`` whose lock writers of ``analyzer_incidents`` hold.
INCIDENTS_LOCK = "incidents"


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
    rows = await db.execute(_OFFSETS, {"partitions": wanted})
    return {(str(t), int(p)): int(o) for t, p, o in rows}


@dataclass(frozen=True, slots=True)
class Known:
    """What the store holds for a batch before it is classified: which of its event ids were
    counted within the duplicate window (each with its classification if the broker may not
    have it yet), its fingerprints' states, and the incidents their problems were placed in."""

    counted: dict[str, bytes | None]
    states: dict[str, FingerprintState]
    incidents: dict[str, Incident]


async def known(
    db: AsyncConnection, fingerprint_ids: Iterable[str], event_ids: Iterable[str] = ()
) -> Known:
    """What the store holds for these fingerprints and event ids, read in one trip."""
    fps = sorted(set(fingerprint_ids))
    counted_rows, state_rows, incident_rows = await read_together(
        db,
        [
            (_COUNTED, {"ids": sorted(set(event_ids))}),
            (_STATES, {"ids": fps}),
            (_INCIDENTS_OF, {"ids": fps}),
        ],
    )
    return Known(
        counted={str(e): None if value is None else bytes(value) for e, value in counted_rows},
        states={str(fp): FingerprintState.from_json(json.loads(state)) for fp, state in state_rows},
        incidents={str(fp): Incident.model_validate_json(value) for fp, value in incident_rows},
    )


async def mark_sent(db: AsyncConnection, event_ids: Iterable[str]) -> None:
    """The classifications of ``event_ids`` are acknowledged by the broker: drop them (with the
    caller's transaction's next statement or its commit)."""
    wanted = sorted(set(event_ids))
    if wanted:
        await db.execute(_SENT, {"ids": wanted})


async def load_all_states(db: AsyncConnection) -> dict[str, FingerprintState]:
    """Every fingerprint's state the store holds."""
    rows = await db.execute(select(fingerprints.c.fingerprint, fingerprints.c.state))
    return {str(fp): FingerprintState.from_json(json.loads(state)) for fp, state in rows}


async def save(
    db: AsyncConnection,
    states: Mapping[str, FingerprintState],
    offsets: Mapping[Partition, int],
    classified: Mapping[str, bytes],
    *,
    now: float = 0.0,
) -> None:
    """The batch's new states, its partitions' offsets and the ids it counted, each with its
    classification until the broker has it (inside the caller's transaction)."""
    await upsert(
        db,
        counted,
        [
            {"event_id": event_id, "counted_at": now, "classified": value}
            for event_id, value in classified.items()
        ],
        key=["event_id"],
        ignore=True,
    )
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


async def _hold(db: AsyncConnection, name: str, *, now: float) -> None:
    """Lock the row ``name`` of ``analyzer_blobs`` (made if missing) until the transaction
    ends."""
    await hold(db, blobs, {"name": name, "value": b"", "updated_at": now})


async def load_patterns(db: AsyncConnection, *, after: int = 0) -> list[Recorded]:
    """The template records numbered above ``after``, in order."""
    rows = await db.execute(
        select(patterns.c.seq, patterns.c.template, patterns.c.pattern_id)
        .where(patterns.c.seq > after)
        .order_by(patterns.c.seq)
    )
    return [Recorded(int(seq), str(template), str(pid)) for seq, template, pid in rows]


async def settle_patterns(db: AsyncConnection, miner: TemplateMiner, *, now: float) -> Settlement:
    """Record the templates the miner's clusters took that the store does not know, deciding
    their patterns under the store's lock (inside the caller's transaction; call
    ``miner.confirm`` once it commits). Nothing to record: no lock, nothing read."""
    if not miner.unsettled:
        return Settlement()
    await _hold(db, PATTERNS_LOCK, now=now)
    settlement = miner.settle(await load_patterns(db, after=miner.registry.seq))
    await upsert(
        db,
        patterns,
        [
            {
                "template_key": template_key(r.template),
                "seq": r.seq,
                "template": r.template,
                "pattern_id": r.pattern_id,
                "recorded_at": now,
            }
            for r in settlement.records
        ],
        key=["template_key"],
        ignore=True,
    )
    return settlement


async def settle_incidents(
    db: AsyncConnection,
    problems: Mapping[str, tuple[RawErrorData, float]],
    placed: Mapping[str, Incident],
    *,
    window: float,
    now: float,
) -> dict[str, Incident]:
    """The incident of each problem of a batch (given its first occurrence in the batch and its
    start, in batch order): the stored one (``placed``, see :func:`known`), or for a problem
    without one, decided and stored now under the store's lock against the incidents open then
    (inside the caller's transaction). No new problem that names a link (see
    :mod:`services.analyzer.incidents`): no lock, nothing read."""
    found = {fp: placed[fp] for fp in problems if fp in placed}
    new = [fp for fp in problems if fp not in found]
    if not new:
        return found
    linked = [problems[fp][1] for fp in new if links_of(problems[fp][0])]
    open_incidents: list[OpenIncident] = []
    if linked:
        await _hold(db, INCIDENTS_LOCK, now=now)
        rows = await db.execute(_OPEN_INCIDENTS, {"since": min(linked) - window})
        open_incidents = [
            OpenIncident(Incident.model_validate_json(value), float(latest))
            for value, latest in rows
        ]
    correlator = Correlator(open_incidents, window=window)
    for fp in new:
        error, start = problems[fp]
        found[fp] = correlator.place(fp, error, start=start)
    await upsert(
        db,
        incidents,
        [
            {
                "incident_id": o.incident.id,
                "incident": o.incident.model_dump_json(),
                "latest": o.latest,
            }
            for o in correlator.changed.values()
        ],
        key=["incident_id"],
    )
    await upsert(
        db,
        incident_problems,
        [{"fingerprint": fp, "incident": found[fp].model_dump_json()} for fp in new],
        key=["fingerprint"],
    )
    return found


async def settle_releases(db: AsyncConnection, seen: Mapping[str, float]) -> dict[str, float]:
    """When each release of a batch (``seen``: release -> its earliest time in the batch) was
    first seen, recording the new ones and when each was last seen (inside the caller's
    transaction)."""
    if not seen:
        return {}
    rows = [{"release": r, "first_seen": at, "last_seen": at} for r, at in sorted(seen.items())]
    await upsert(
        db,
        releases,
        rows,
        key=["release"],
        changes=lambda new: {
            "first_seen": case(
                (new.first_seen < releases.c.first_seen, new.first_seen),
                else_=releases.c.first_seen,
            ),
            "last_seen": case(
                (new.last_seen > releases.c.last_seen, new.last_seen), else_=releases.c.last_seen
            ),
        },
    )
    found = await db.execute(
        select(releases.c.release, releases.c.first_seen).where(releases.c.release.in_(seen))
    )
    return {str(release): float(first) for release, first in found}


class AnalyzerStore:
    """What the analyzer's periodic work needs outside a batch."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def load_miner(self, section: AnalyzerSection) -> TemplateMiner:
        """The template miner as the store keeps it: its last snapshot and every replica's
        pattern records."""
        return TemplateMiner(
            similarity=section.drain_similarity,
            depth=section.drain_depth,
            max_clusters=section.drain_max_clusters,
            state=await self.load_blob(TEMPLATES_BLOB),
            records=await self.load_patterns(),
        )

    async def save_miner(self, miner: TemplateMiner) -> None:
        """A snapshot of ``miner``, if it changed since the last one."""
        if miner.dirty:
            await self.save_blob(TEMPLATES_BLOB, miner.snapshot())

    async def forget_counted(self, before: float) -> None:
        """Drop the ids counted before ``before`` (out of the duplicate window) whose
        classification the broker has."""
        async with self.database.transaction() as db:
            await db.execute(
                delete(counted).where(counted.c.counted_at < before, counted.c.classified.is_(None))
            )

    async def mark_sent(self, event_ids: Iterable[str]) -> None:
        """:func:`mark_sent` in a transaction of its own (when the service stops)."""
        async with self.database.transaction() as db:
            await mark_sent(db, event_ids)

    async def prune(self, before: float) -> int:
        """Drop states of fingerprints silent since ``before``, their problems' incidents,
        incidents whose latest problem started before ``before``, and releases silent since."""
        async with self.database.transaction() as db:
            result = await db.execute(
                delete(fingerprints)
                .where(fingerprints.c.last_seen < before)
                .returning(fingerprints.c.fingerprint)
            )
            await db.execute(
                delete(incident_problems).where(
                    incident_problems.c.fingerprint.not_in(select(fingerprints.c.fingerprint))
                )
            )
            await db.execute(delete(incidents).where(incidents.c.latest < before))
            await db.execute(delete(releases).where(releases.c.last_seen < before))
            return len(result.all())

    async def load_patterns(self) -> list[Recorded]:
        async with self.database.transaction() as db:
            return await load_patterns(db)

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
