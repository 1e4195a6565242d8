"""The resolver's store: attempts, the global gate state, snoozes, decided events.

Every function takes the connection of a transaction the caller holds. A transaction that
decides on the gates calls :func:`lock_gates` first, so replicas decide one after another on
one shared state (rate windows, breakers, the running set behind the concurrency cap).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.resolver.gates import Candidate, GateState
from services.resolver.limits import CircuitBreaker
from services.resolver.tables import attempts, decided, gates, snoozes
from shared.events import SafetyLevel
from shared.kafka.producer import Output
from shared.ratelimit import SlidingWindow
from shared.storage import Read, any_of, hold, later, read_together, upsert
from shared.topics import topic

#: Statuses of an attempt in progress: the problem's other alerts are suppressed, and each
#: counts against ``operation.max_concurrent_resolutions``.
ACTIVE = ("auto_resolving", "approved", "executing", "verifying")
LOCK = "lock"

# Statements of every batch, built once (see shared.storage.any_of).
_VERIFYING = select(attempts.c.body).where(
    attempts.c.status == "verifying", any_of(attempts.c.fingerprint)
)
_DECIDED = select(decided.c.event_id, decided.c.outputs, decided.c.published).where(
    any_of(decided.c.event_id)
)
_RUNNING = select(attempts.c.fingerprint).where(attempts.c.status.in_(ACTIVE))
_SNOOZES = select(snoozes.c.fingerprint, snoozes.c.until)
_GATES = select(gates.c.name, gates.c.body)
#: Decisions the broker has acknowledged: their events are no longer kept to publish again.
_PUBLISHED = later(update(decided).where(any_of(decided.c.event_id)).values(published=1))


@dataclass
class Attempt:
    attempt_id: str
    fingerprint: str
    strategy: str
    status: str
    created_at: float
    updated_at: float
    correlation_id: str
    summary: dict[str, Any]
    context: dict[str, Any]
    safety_level: SafetyLevel | None = None
    expires_at: float | None = None
    verify_until: float | None = None
    rate_before: float = 0.0
    seen_during_verify: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    #: Work claimed outside a transaction: ``execute`` or ``rollback`` (None when none).
    work: str | None = None
    owner: str | None = None
    lease_until: float | None = None
    #: Who asked for the pending rollback (an actor's fields; None for the automatic one).
    rollback_by: dict[str, Any] | None = None

    def follow_up(self, attempt_id: str, now: float, **changes: Any) -> Attempt:
        """A new attempt at this one's problem (a retry, the next fallback), as a fresh start:
        ``new``, nothing run, verified, claimed or asked yet, with ``changes``."""
        fresh: dict[str, Any] = {
            "attempt_id": attempt_id,
            "status": "new",
            "created_at": now,
            "updated_at": now,
            "expires_at": None,
            "verify_until": None,
            "seen_during_verify": 0,
            "result": {},
            "history": [],
            "work": None,
            "owner": None,
            "lease_until": None,
            "rollback_by": None,
        }
        return replace(self, **{**fresh, **changes})

    def candidate(self) -> Candidate:
        """The attempt as the gates see it."""
        return Candidate(
            self.fingerprint,
            self.strategy,
            float(self.context.get("confidence", 0.0)),
            self.context.get("environment"),
        )

    def row(self) -> dict[str, Any]:
        """The attempt's row in ``attempts``: all of it as JSON in ``body``, and each other
        column (what attempts are looked up by) the field it is named after."""
        fields = asdict(self)
        return {
            column.name: json.dumps(fields) if column.name == "body" else fields[column.name]
            for column in attempts.columns
        }


def _attempt(body: str) -> Attempt:
    return Attempt(**json.loads(body))


async def lock_gates(db: AsyncConnection, *, threshold: int, cooldown_seconds: float) -> GateState:
    """The gate state, locked until the transaction ends (its three reads in one trip)."""
    await hold(db, gates, {"name": LOCK, "body": "{}"})
    running, snoozed, kept = await read_together(db, [(_RUNNING, {}), (_SNOOZES, {}), (_GATES, {})])
    state = GateState(breaker_threshold=threshold, breaker_cooldown_seconds=cooldown_seconds)
    state.running = {str(fp) for (fp,) in running}
    for fp, until in snoozed:
        state.snoozed_until[str(fp)] = float(until)
    for name, body in kept:
        kind, _, key = str(name).partition(":")
        if kind == "window":
            state.windows[key] = SlidingWindow(times=[float(t) for t in json.loads(body)])
        elif kind == "breaker":
            state.breakers[key] = CircuitBreaker(**json.loads(body))
    return state


async def save_gates(db: AsyncConnection, state: GateState) -> None:
    rows = [
        {"name": f"window:{key}", "body": json.dumps(window.times)}
        for key, window in state.windows.items()
    ] + [
        {"name": f"breaker:{key}", "body": json.dumps(asdict(breaker))}
        for key, breaker in state.breakers.items()
    ]
    await upsert(db, gates, rows, key=["name"])


async def save(db: AsyncConnection, *items: Attempt) -> None:
    await upsert(db, attempts, [a.row() for a in items], key=["attempt_id"])


async def get(db: AsyncConnection, attempt_id: str, *, lock: bool = False) -> Attempt | None:
    query = select(attempts.c.body).where(attempts.c.attempt_id == attempt_id)
    row = (await db.execute(query.with_for_update() if lock else query)).first()
    return _attempt(row[0]) if row else None


async def for_problem(db: AsyncConnection, fingerprint: str, *, limit: int = 100) -> list[Attempt]:
    """A problem's attempts, newest first."""
    rows = await db.execute(
        select(attempts.c.body)
        .where(attempts.c.fingerprint == fingerprint)
        .order_by(attempts.c.created_at.desc())
        .limit(limit)
    )
    return [_attempt(body) for (body,) in rows]


def verifying_read(fingerprints: Iterable[str]) -> Read:
    """The read of the attempts verifying a fix of any of ``fingerprints``
    (:func:`shared.storage.read_together`; :func:`attempts_from` its rows)."""
    return _VERIFYING, {"ids": sorted(set(fingerprints))}


def attempts_from(rows: Iterable[Sequence[Any]]) -> list[Attempt]:
    return [_attempt(body) for (body,) in rows]


async def due(
    db: AsyncConnection, status: str, column: str, now: float, *, limit: int = 100
) -> list[Attempt]:
    """Attempts in ``status`` whose ``column`` time has come and no work is pending, locked
    (rows another replica has locked are skipped)."""
    rows = await db.execute(
        select(attempts.c.body)
        .where(attempts.c.status == status, attempts.c[column] <= now, attempts.c.work.is_(None))
        .order_by(attempts.c[column])
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_attempt(body) for (body,) in rows]


async def claimable(db: AsyncConnection, *, limit: int) -> list[Attempt]:
    """Attempts with work nobody has claimed, oldest first, locked (skipping locked rows)."""
    rows = await db.execute(
        select(attempts.c.body)
        .where(attempts.c.work.is_not(None), attempts.c.owner.is_(None))
        .order_by(attempts.c.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_attempt(body) for (body,) in rows]


async def lapsed(db: AsyncConnection, now: float) -> list[Attempt]:
    """Claimed work whose claim was not renewed in time: its replica died."""
    rows = await db.execute(
        select(attempts.c.body)
        .where(attempts.c.owner.is_not(None), attempts.c.lease_until < now)
        .with_for_update(skip_locked=True)
    )
    return [_attempt(body) for (body,) in rows]


async def renew(db: AsyncConnection, owner: str, attempt_ids: Iterable[str], until: float) -> None:
    ids = sorted(set(attempt_ids))
    if ids:
        await db.execute(
            later(
                update(attempts)
                .where(attempts.c.owner == owner, attempts.c.attempt_id.in_(ids))
                .values(lease_until=until)
            )
        )


async def snooze(db: AsyncConnection, fingerprint: str, until: float) -> None:
    await upsert(db, snoozes, [{"fingerprint": fingerprint, "until": until}], key=["fingerprint"])


def decided_read(event_ids: Iterable[str]) -> Read:
    """The read of the events already decided among ``event_ids``
    (:func:`shared.storage.read_together`; :func:`decided_from` its rows)."""
    return _DECIDED, {"ids": sorted(set(event_ids))}


def decided_from(rows: Iterable[Sequence[Any]]) -> dict[str, list[Output]]:
    """Each event :func:`decided_read` found, with what its decision publishes (nothing when
    the broker has acknowledged it already)."""
    return {
        str(event_id): []
        if published
        else [
            Output(name, topic(name).decode(event.encode()), key)
            for name, key, event in json.loads(outputs)
        ]
        for event_id, outputs, published in rows
    }


async def mark_published(db: AsyncConnection, event_ids: Iterable[str]) -> None:
    ids = sorted(set(event_ids))
    if ids:
        await db.execute(_PUBLISHED, {"ids": ids})


async def mark_decided(
    db: AsyncConnection, outputs: Mapping[str, Sequence[Output]], now: float
) -> None:
    """Record each event's decision and the events it publishes."""
    rows = [
        {
            "event_id": event_id,
            "at": now,
            "outputs": json.dumps([[o.topic, o.key, o.event.model_dump_json()] for o in published]),
        }
        for event_id, published in outputs.items()
    ]
    await upsert(db, decided, rows, key=["event_id"], ignore=True)


async def forget_decided(db: AsyncConnection, before: float) -> int:
    return (await db.execute(delete(decided).where(decided.c.at < before))).rowcount or 0
