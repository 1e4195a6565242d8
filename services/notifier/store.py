"""The notifier's alert states (the ledger is :mod:`services.notifier.ledger_store`, the
delivery outbox :mod:`services.notifier.outbox`).

Policy functions take the connection of a transaction the caller holds, and the caller locks
the ledger first (:meth:`~services.notifier.ledger_store.LedgerStore.lock`): decisions on
alerts are serialised, across replicas too, so a timer fires once and an ack landing during a
tick is applied to the state the tick saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.state import AlertState
from services.notifier.tables import alerts, policies
from shared.clock import SYSTEM_CLOCK, Clock
from shared.recent import Recent
from shared.storage import Database, any_of, upsert

#: A known alert: its state and the correlation id its notifications carry.
Known = tuple[AlertState, str]

_STATE_COLUMNS = (
    alerts.c.fingerprint,
    alerts.c.state,
    alerts.c.policy_digest,
    alerts.c.correlation_id,
)
#: The states of some alerts: built once, as every batch reads it (see shared.storage.any_of).
_KNOWN = select(*_STATE_COLUMNS).where(any_of(alerts.c.fingerprint))


async def known(db: AsyncConnection, fingerprints: Iterable[str]) -> dict[str, Known]:
    wanted = sorted(set(fingerprints))
    if not wanted:
        return {}
    return await _states(db, (await db.execute(_KNOWN, {"ids": wanted})).all())


async def save(db: AsyncConnection, states: Mapping[str, Known], now: float) -> None:
    """Alerts' new states, in the caller's transaction. Each state is stored without its
    policy, which is stored once by digest."""
    used = {state.policy.digest: state.policy for state, _ in states.values()}
    await upsert(
        db,
        policies,
        [{"digest": digest, "body": _POLICIES.body(policy)} for digest, policy in used.items()],
        key=["digest"],
        ignore=True,
    )
    rows = [
        {
            "fingerprint": fp,
            "state": _STATES.keep(
                fp, state.model_dump_json(exclude={"policy"}), state.policy.digest, state
            ),
            "policy_digest": state.policy.digest,
            "correlation_id": correlation,
            "next_due": min((t.due_at.timestamp() for t in state.timers), default=None),
            "status": state.status,
            "updated_at": now,
        }
        for fp, (state, correlation) in states.items()
    ]
    await upsert(db, alerts, rows, key=["fingerprint"])


async def due(db: AsyncConnection, now: float, *, limit: int = 500) -> list[str]:
    rows = await db.execute(
        select(alerts.c.fingerprint)
        .where(alerts.c.next_due.is_not(None), alerts.c.next_due <= now)
        .order_by(alerts.c.next_due)
        .limit(limit)
    )
    return [str(fp) for (fp,) in rows]


async def overdue(db: AsyncConnection, before: float, *, limit: int = 500) -> dict[str, Known]:
    """Open alerts holding a timer due before ``before``, most overdue first."""
    query = (
        select(*_STATE_COLUMNS)
        .where(
            alerts.c.next_due.is_not(None),
            alerts.c.next_due < before,
            alerts.c.status != "resolved",
        )
        .order_by(alerts.c.next_due)
        .limit(limit)
    )
    return await _states(db, (await db.execute(query)).all())


async def _states(db: AsyncConnection, rows: Sequence[Sequence[Any]]) -> dict[str, Known]:
    """The states of ``rows`` (of :data:`_STATE_COLUMNS`), with their policies."""
    states: dict[str, Known] = {}
    unparsed = []
    for fp, body, digest, correlation in rows:
        state = _STATES.get(str(fp), body, digest)
        if state is None:
            unparsed.append((fp, body, digest, correlation))
        else:
            states[str(fp)] = (state, str(correlation))
    found = await _POLICIES.load(db, {str(d) for _, _, d, _ in unparsed if d is not None})
    for fp, body, digest, correlation in unparsed:
        data = json.loads(body)
        if digest is not None:
            data["policy"] = found[str(digest)]
        # else: written by a build before notifier_0002 (a replica not yet replaced during a
        # rollout): the state still carries its policy; the next save stores it apart.
        state = AlertState.model_validate(data)
        _STATES.keep(str(fp), body, digest, state)
        states[str(fp)] = (state, str(correlation))
    return states


class _StateCache:
    """The last state each fingerprint was stored or read as in this process, with its stored
    text: a row whose text and policy digest are the ones kept is not parsed again. Parsing a
    state is most of what a batch's load costs, and it grows with the samples a state holds.
    A kept state is the one its text parses to (a state's JSON round trip is exact), so what is
    kept never goes stale: a write by another replica, or a rolled-back one, changes the text
    and the row is parsed. 10,000 are kept."""

    def __init__(self, size: int = 10_000) -> None:
        self._kept: Recent[str, tuple[str, str | None, AlertState]] = Recent(size)

    def get(self, fingerprint: str, body: str, digest: str | None) -> AlertState | None:
        kept = self._kept.get(fingerprint)
        if kept is None or kept[0] != body or kept[1] != digest:
            return None
        return kept[2]

    def keep(self, fingerprint: str, body: str, digest: str | None, state: AlertState) -> str:
        """Keep ``state`` as stored: its text ``body`` and its policy's ``digest`` (None: a row
        of a build before notifier_0002, whose text carries its policy); return ``body``."""
        self._kept.put(fingerprint, (body, digest, state))
        return body


class _PolicyCache:
    """Policies by digest, parsed once per process: a digest names one policy's content, so
    what is cached never goes stale (64 are kept)."""

    def __init__(self, size: int = 64) -> None:
        self._parsed: Recent[str, tuple[EscalationPolicy, str]] = Recent(size)

    def body(self, policy: EscalationPolicy) -> str:
        cached = self._parsed.get(policy.digest)
        if cached is None:
            cached = (policy, policy.model_dump_json())
            self._parsed.put(policy.digest, cached)
        return cached[1]

    async def load(self, db: AsyncConnection, digests: set[str]) -> dict[str, EscalationPolicy]:
        found: dict[str, EscalationPolicy] = {}
        for digest in digests:
            if (cached := self._parsed.get(digest)) is not None:
                found[digest] = cached[0]
        missing = sorted(digests - found.keys())
        if missing:
            rows = await db.execute(
                select(policies.c.digest, policies.c.body).where(policies.c.digest.in_(missing))
            )
            for digest, body in rows:
                policy = EscalationPolicy.model_validate_json(body)
                self._parsed.put(str(digest), (policy, body))
                found[str(digest)] = policy
        return found


_POLICIES = _PolicyCache()
_STATES = _StateCache()


class NotifierStore:
    """Reads and housekeeping of the alert states outside a policy step."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.database = database
        self.clock = clock

    async def alert(self, fingerprint: str) -> Known | None:
        async with self.database.transaction() as db:
            return (await known(db, [fingerprint])).get(fingerprint)

    async def prune(self, before: float) -> int:
        """Forget resolved alerts older than ``before``."""
        async with self.database.transaction() as db:
            gone = await db.execute(
                delete(alerts).where(alerts.c.status == "resolved", alerts.c.updated_at < before)
            )
        return int(gone.rowcount or 0)
