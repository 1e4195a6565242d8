"""The notifier's store: alert states and the ledger (policy), and the delivery outbox.

Policy functions take the connection of a transaction the caller holds, and the caller locks
the ledger first (:func:`lock_ledger`): decisions on alerts are serialised, across replicas too,
so a timer fires once and an ack landing during a tick is applied to the state the tick saved.
The outbox claims rows atomically: a notification is sent to a target by one replica, once.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from sqlalchemy import Row, bindparam, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState
from services.notifier.tables import alerts, ledger, outbox, policies
from shared.clock import SYSTEM_CLOCK, Clock
from shared.storage import Database, upsert, upserted

#: A known alert: its state and the correlation id its notifications carry.
Known = tuple[AlertState, str]
#: An outbox row's key: (notification id, target).
Key = tuple[str, str]

#: An outbox row's status: waiting for its first send; being sent (under a lease); waiting for
#: a retry; and the ends: sent, failed, unknown (a send cut short that must not be repeated).
QUEUED: Final = "queued"
SENDING: Final = "sending"
RETRY: Final = "retry"


@dataclass
class OutboxRow:
    notification_id: str
    target: str
    status: str  # queued, sending, retry, sent, failed, unknown
    attempts: int  # tries that ended in an error (rate-limit waits are not counted)
    due_at: float | None
    body: str
    reference: str | None = None
    error: str | None = None
    lease_until: float | None = None


#: The error of an outbox row whose send a stop cut short: its retry asks the target first
#: whether it arrived (``reconcile``), where the target can tell.
INTERRUPTED = "interrupted while sending"

_OUTBOX_COLUMNS = tuple(c for c in outbox.c if c.name != "updated_at")
#: Rows per INSERT: its parameters stay well within every backend's limit.
ROWS_PER_STATEMENT: Final = 500
_CHANGING = ("status", "attempts", "due_at", "lease_until", "reference", "error")


async def lock_ledger(db: AsyncConnection) -> Ledger:
    """The ledger, locked until the transaction ends."""
    await upsert(
        db, ledger, [{"id": 1, "body": Ledger().model_dump_json()}], key=["id"], ignore=True
    )
    row = (await db.execute(select(ledger.c.body).where(ledger.c.id == 1).with_for_update())).one()
    return Ledger.model_validate_json(row[0])


async def known(db: AsyncConnection, fingerprints: Iterable[str]) -> dict[str, Known]:
    wanted = sorted(set(fingerprints))
    if not wanted:
        return {}
    return await _states(db, alerts.c.fingerprint.in_(wanted))


async def save(db: AsyncConnection, states: Mapping[str, Known], book: Ledger, now: float) -> None:
    """Alerts' new states and the ledger, in the caller's transaction. Each state is stored
    without its policy, which is stored once by digest."""
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
            "state": state.model_dump_json(exclude={"policy"}),
            "policy_digest": state.policy.digest,
            "correlation_id": correlation,
            "next_due": min((t.due_at.timestamp() for t in state.timers), default=None),
            "status": state.status,
            "updated_at": now,
        }
        for fp, (state, correlation) in states.items()
    ]
    await upsert(db, alerts, rows, key=["fingerprint"])
    await db.execute(update(ledger).where(ledger.c.id == 1).values(body=book.model_dump_json()))


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
    return await _states(
        db,
        alerts.c.next_due.is_not(None),
        alerts.c.next_due < before,
        alerts.c.status != "resolved",
        order=alerts.c.next_due,
        limit=limit,
    )


async def _states(
    db: AsyncConnection, *where: Any, order: Any = None, limit: int | None = None
) -> dict[str, Known]:
    query = select(
        alerts.c.fingerprint, alerts.c.state, alerts.c.policy_digest, alerts.c.correlation_id
    ).where(*where)
    if order is not None:
        query = query.order_by(order)
    rows = (await db.execute(query.limit(limit))).all()
    found = await _POLICIES.load(db, {str(d) for _, _, d, _ in rows if d is not None})
    states: dict[str, Known] = {}
    for fp, body, digest, correlation in rows:
        data = json.loads(body)
        if digest is not None:
            data["policy"] = found[str(digest)]
        # else: written by a build before notifier_0002 (a replica not yet replaced during a
        # rollout): the state still carries its policy; the next save stores it apart.
        states[str(fp)] = (AlertState.model_validate(data), str(correlation))
    return states


class _PolicyCache:
    """Policies by digest, parsed once per process: a digest names one policy's content, so
    what is cached never goes stale (a bounded number is kept)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._parsed: OrderedDict[str, tuple[EscalationPolicy, str]] = OrderedDict()

    def _keep(self, policy: EscalationPolicy, body: str) -> None:
        self._parsed[policy.digest] = (policy, body)
        self._parsed.move_to_end(policy.digest)
        while len(self._parsed) > self.size:
            self._parsed.popitem(last=False)

    def body(self, policy: EscalationPolicy) -> str:
        cached = self._parsed.get(policy.digest)
        if cached is None:
            self._keep(policy, policy.model_dump_json())
            return self._parsed[policy.digest][1]
        return cached[1]

    async def load(self, db: AsyncConnection, digests: set[str]) -> dict[str, EscalationPolicy]:
        found = {d: self._parsed[d][0] for d in digests if d in self._parsed}
        missing = sorted(digests - found.keys())
        if missing:
            rows = await db.execute(
                select(policies.c.digest, policies.c.body).where(policies.c.digest.in_(missing))
            )
            for digest, body in rows:
                policy = EscalationPolicy.model_validate_json(body)
                self._parsed[str(digest)] = (policy, body)
                found[str(digest)] = policy
        return found


_POLICIES = _PolicyCache()


class NotifierStore:
    """The outbox and the housekeeping of the notifier's database."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.database = database
        self.clock = clock  # stamps updated_at, which prune() compares

    async def alert(self, fingerprint: str) -> Known | None:
        async with self.database.transaction() as db:
            return (await known(db, [fingerprint])).get(fingerprint)

    async def prune(self, before: float) -> int:
        """Forget resolved alerts and finished deliveries older than ``before``."""
        async with self.database.transaction() as db:
            gone = await db.execute(
                delete(alerts).where(alerts.c.status == "resolved", alerts.c.updated_at < before)
            )
            sent = await db.execute(
                delete(outbox).where(
                    outbox.c.status.in_(("sent", "failed", "unknown")),
                    outbox.c.updated_at < before,
                )
            )
        return int(gone.rowcount or 0) + int(sent.rowcount or 0)

    # -- outbox --------------------------------------------------------------------------------
    async def outbox(self, notification_id: str, target: str) -> OutboxRow | None:
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(*_OUTBOX_COLUMNS).where(
                        outbox.c.notification_id == notification_id, outbox.c.target == target
                    )
                )
            ).first()
        return OutboxRow(**row._mapping) if row else None

    async def enqueue(self, rows: Sequence[tuple[str, str, str]], *, due_at: float) -> set[Key]:
        """Queue each (notification id, target, body) not seen before, in one transaction; the
        keys of the rows that were new. A queued row is claimed by the replica that queued it
        (:meth:`claim`) or, once ``due_at`` passes, by any replica's :meth:`claim_due`."""
        now = self.clock.time()
        fresh = [
            {
                **asdict(OutboxRow(nid, target, QUEUED, 0, due_at, body)),
                "updated_at": now,
            }
            for nid, target, body in rows
        ]
        new: list[tuple[Any, ...]] = []
        async with self.database.transaction() as db:
            for start in range(0, len(fresh), ROWS_PER_STATEMENT):
                chunk = fresh[start : start + ROWS_PER_STATEMENT]
                key = ["notification_id", "target"]
                new += await upserted(db, outbox, chunk, key=key, ignore=True)
        return {(str(nid), str(target)) for nid, target in new}

    async def claim(self, keys: Collection[Key], *, lease_until: float) -> list[OutboxRow]:
        """Claim these queued rows for sending (rows already claimed elsewhere are skipped)."""
        if not keys:
            return []
        async with self.database.transaction() as db:
            rows = await db.execute(
                select(*_OUTBOX_COLUMNS)
                .where(
                    tuple_(outbox.c.notification_id, outbox.c.target).in_(sorted(keys)),
                    outbox.c.status == QUEUED,
                )
                .with_for_update(skip_locked=True)
            )
            return await self._claimed(db, rows.all(), lease_until)

    async def claim_due(self, now: float, *, lease_until: float, limit: int) -> list[OutboxRow]:
        """Retries that are due, and queued rows their replica left unclaimed past their due
        time, claimed for sending (rows another replica holds are skipped)."""
        async with self.database.transaction() as db:
            rows = await db.execute(
                select(*_OUTBOX_COLUMNS)
                .where(outbox.c.status.in_((RETRY, QUEUED)), outbox.c.due_at <= now)
                .order_by(outbox.c.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            return await self._claimed(db, rows.all(), lease_until)

    async def _claimed(
        self, db: AsyncConnection, found: Sequence[Row[Any]], lease_until: float
    ) -> list[OutboxRow]:
        claimed = [OutboxRow(**row._mapping) for row in found]
        for row in claimed:
            row.status, row.lease_until = SENDING, lease_until
        await self._write(db, claimed)
        return claimed

    async def finish(self, rows: Sequence[OutboxRow]) -> None:
        """Record the outcome of these sends, in one transaction."""
        async with self.database.transaction() as db:
            await self._write(db, rows)

    async def _write(self, db: AsyncConnection, rows: Sequence[OutboxRow]) -> None:
        if not rows:
            return
        now = self.clock.time()
        await db.execute(
            update(outbox)
            .where(
                outbox.c.notification_id == bindparam("key_id"),
                outbox.c.target == bindparam("key_target"),
            )
            .values({**{c: bindparam(f"new_{c}") for c in _CHANGING}, "updated_at": now}),
            [
                {
                    "key_id": row.notification_id,
                    "key_target": row.target,
                    **{f"new_{c}": getattr(row, c) for c in _CHANGING},
                }
                for row in rows
            ],
        )

    async def interrupted(self, now: float, resend: Callable[[str], bool]) -> tuple[int, int]:
        """Sends cut short (their replica stopped before the lease ran out): sent again where
        ``resend(target)`` says the target deduplicates or can be asked whether it arrived,
        else ``unknown`` and never repeated.
        Returns how many were queued again and how many left unknown."""
        async with self.database.transaction() as db:
            rows = await db.execute(
                select(outbox.c.notification_id, outbox.c.target)
                .where(outbox.c.status == SENDING, outbox.c.lease_until < now)
                .with_for_update(skip_locked=True)
            )
            again, unknown = 0, 0
            for notification_id, target in rows.all():
                key = (outbox.c.notification_id == notification_id, outbox.c.target == target)
                if resend(str(target)):
                    values: dict[str, Any] = {"status": RETRY, "due_at": now}
                    again += 1
                else:
                    values = {"status": "unknown"}
                    unknown += 1
                values["error"] = INTERRUPTED
                await db.execute(update(outbox).where(*key).values(**values, updated_at=now))
        return again, unknown

    async def counts(self) -> dict[str, int]:
        async with self.database.transaction() as db:
            rows = await db.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        return {str(status): int(n) for status, n in rows}
