"""The notifier's delivery outbox: one row per notification and target.

A row is queued once (an insert only one replica wins), claimed for sending under a short lease
that its replica renews while the row waits for a delivery slot, started under the lease of a
send, then records the outcome. Claims skip rows another replica holds, so each row is sent by
one replica at a time, and a row whose claim ran out is neither started nor recorded by the
replica that lost it. A claim a stopped replica never started is claimed again once its lease
runs out; a send it never finished is found once the send's lease runs out.

A problem's notifications to one target go in the order they were made, across replicas: a row
is not claimed while an earlier row of its problem to its target is unfinished elsewhere
(queued, claimed, being sent or waiting for a retry). A row held back so is due at once: any
replica's retry loop takes it with the row ahead of it, as soon as that one is due.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.tables import outbox
from shared.clock import SYSTEM_CLOCK, Clock
from shared.storage import Database, later, upserted

#: An outbox row's key: (notification id, target).
Key = tuple[str, str]

#: An outbox row's status: waiting for its first send; claimed for sending (under a short
#: lease, renewed); being sent (under the lease of a send); waiting for a retry; and the ends:
#: sent, failed, unknown (a send cut short that must not be repeated).
QUEUED: Final = "queued"
CLAIMED: Final = "claimed"
SENDING: Final = "sending"
RETRY: Final = "retry"
#: A row in one of these holds back the later rows of its problem to its target.
UNFINISHED: Final = (QUEUED, CLAIMED, SENDING, RETRY)


class Queued(NamedTuple):
    """What :meth:`Outbox.enqueue` queues: a notification for one target."""

    notification_id: str
    target: str
    fingerprint: str
    made_at: float  # the notification's time, epoch seconds
    body: str


@dataclass
class OutboxRow:
    notification_id: str
    target: str
    status: str  # queued, claimed, sending, retry, sent, failed, unknown
    attempts: int  # tries that ended in an error (rate-limit waits are not counted)
    due_at: float | None
    body: str
    reference: str | None = None
    error: str | None = None
    lease_until: float | None = None
    fingerprint: str | None = None  # None on rows a build before notifier_0005 queued
    made_at: float | None = None
    claim_id: str | None = None


#: How the error of an outbox row begins when its send was cut short by a stop, or got no answer:
#: its retry asks the target first whether it arrived (``reconcile``), where the target can tell.
INTERRUPTED = "interrupted while sending"


def unsure(row: OutboxRow) -> bool:
    """Whether ``row``'s last send may have arrived although nothing said so."""
    return (row.error or "").startswith(INTERRUPTED)


_COLUMNS = tuple(c for c in outbox.c if c.name != "updated_at")
#: Rows per INSERT: its parameters stay well within every backend's limit.
ROWS_PER_STATEMENT: Final = 500
_CHANGING = ("status", "attempts", "due_at", "reference", "error")
_KEY = tuple_(outbox.c.notification_id, outbox.c.target)


class _ClaimLost(Exception):
    """A claim ran out before its rows were started (rolls the start back)."""


def _keys(rows: Sequence[OutboxRow]) -> list[Key]:
    return sorted((row.notification_id, row.target) for row in rows)


def _among(keys: Collection[Key]) -> ColumnElement[bool]:
    """The rows of these keys, to read. The notification ids come first: PostgreSQL finds the
    rows by them on the primary key, where a list of pairs alone is read as one alternative per
    pair (a thousand keys: most of a second)."""
    return and_(
        outbox.c.notification_id.in_(sorted({key[0] for key in keys})), _KEY.in_(sorted(keys))
    )


#: One row by its key, to write: run once per key (``_each``), each a lookup on the primary
#: key, however the database plans a long list of keys.
_BY_KEY = and_(
    outbox.c.notification_id == bindparam("key_id"), outbox.c.target == bindparam("key_target")
)
#: One row its claim still holds, not started (run once per row: ``_each`` with
#: ``key_claim``).
_UNSTARTED = and_(_BY_KEY, outbox.c.status == CLAIMED, outbox.c.claim_id == bindparam("key_claim"))


def _each(keys: Collection[Key], **also: Any) -> list[dict[str, Any]]:
    """The parameters of a write run once per key (``_BY_KEY``)."""
    return [{"key_id": key[0], "key_target": key[1], **also} for key in sorted(keys)]


class Outbox:
    """The outbox rows of the notifier's database."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.database = database
        self.clock = clock  # stamps updated_at, which prune() compares

    async def prune(self, before: float) -> int:
        """Forget finished deliveries older than ``before``."""
        async with self.database.transaction() as db:
            sent = await db.execute(
                delete(outbox).where(
                    outbox.c.status.in_(("sent", "failed", "unknown")),
                    outbox.c.updated_at < before,
                )
            )
        return int(sent.rowcount or 0)

    async def outbox(self, notification_id: str, target: str) -> OutboxRow | None:
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(*_COLUMNS).where(
                        outbox.c.notification_id == notification_id, outbox.c.target == target
                    )
                )
            ).first()
        return OutboxRow(**row._mapping) if row else None

    async def enqueue(self, rows: Sequence[Queued], *, due_at: float) -> set[Key]:
        """Queue each row not seen before, in one transaction; the keys of the rows that were
        new. A queued row is claimed by the replica that queued it (:meth:`claim`) or, once
        ``due_at`` passes, by any replica's :meth:`claim_due`."""
        now = self.clock.time()
        fresh = [
            {
                **asdict(
                    OutboxRow(
                        row.notification_id,
                        row.target,
                        QUEUED,
                        0,
                        due_at,
                        row.body,
                        fingerprint=row.fingerprint,
                        made_at=row.made_at,
                    )
                ),
                "updated_at": now,
            }
            for row in rows
        ]
        new: list[tuple[Any, ...]] = []
        async with self.database.transaction() as db:
            for start in range(0, len(fresh), ROWS_PER_STATEMENT):
                chunk = fresh[start : start + ROWS_PER_STATEMENT]
                key = ["notification_id", "target"]
                new += await upserted(db, outbox, chunk, key=key, ignore=True)
        return {(str(nid), str(target)) for nid, target in new}

    async def claim(self, keys: Collection[Key], *, lease_until: float) -> list[OutboxRow]:
        """Claim these queued rows for sending (rows already claimed elsewhere, and rows behind
        an earlier one of their problem that is not among them, are skipped)."""
        if not keys:
            return []
        async with self.database.transaction() as db:
            rows = await db.execute(
                select(*_COLUMNS)
                .where(_among(keys), outbox.c.status == QUEUED)
                .with_for_update(skip_locked=True)
            )
            return await self._claimed(db, rows.all(), lease_until)

    async def claim_due(self, now: float, *, lease_until: float, limit: int) -> list[OutboxRow]:
        """Retries that are due, and queued rows their replica left unclaimed past their due
        time, claimed for sending (rows another replica holds are skipped, and so are rows
        behind an earlier one of their problem that is not among them)."""
        due = and_(outbox.c.status.in_((RETRY, QUEUED)), outbox.c.due_at <= now)
        # A due row waits while an earlier one of its problem to its target is unfinished and
        # not due; rows come oldest first, so the earlier ones that are due come with it. What
        # waits is found in one pass over the unfinished rows (each problem's first row that
        # is not due), not row by row through each problem's history.
        first_waiting = (
            select(outbox.c.fingerprint, outbox.c.target, func.min(outbox.c.made_at).label("at"))
            .where(outbox.c.status.in_(UNFINISHED), ~due)
            .group_by(outbox.c.fingerprint, outbox.c.target)
            .subquery("first_waiting")
        )
        problem = and_(
            first_waiting.c.fingerprint == outbox.c.fingerprint,
            first_waiting.c.target == outbox.c.target,
        )
        not_behind = or_(
            first_waiting.c.at.is_(None),
            outbox.c.made_at.is_(None),
            outbox.c.made_at <= first_waiting.c.at,
        )
        async with self.database.transaction() as db:
            rows = await db.execute(
                select(*_COLUMNS)
                .select_from(outbox.outerjoin(first_waiting, problem))
                .where(due, not_behind)
                .order_by(outbox.c.made_at, outbox.c.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True, of=outbox)
            )
            return await self._claimed(db, rows.all(), lease_until)

    async def _claimed(
        self, db: AsyncConnection, found: Sequence[Row[Any]], lease_until: float
    ) -> list[OutboxRow]:
        """Of ``found`` (locked), those no earlier unfinished row of their problem holds back,
        claimed under one new claim id."""
        rows = [OutboxRow(**row._mapping) for row in found]
        if not rows:
            return []
        held = await _held(db, rows)
        now = self.clock.time()
        if letting_go := [row for row in held if row.status == QUEUED and (row.due_at or 0) > now]:
            # Its replica lets it go: it follows the row ahead of it as soon as that one is done.
            await db.execute(
                update(outbox).where(_BY_KEY).values(due_at=now), _each(_keys(letting_go))
            )
        waiting = {(row.notification_id, row.target) for row in held}
        claimed = [row for row in rows if (row.notification_id, row.target) not in waiting]
        if not claimed:
            return []
        claim_id = uuid.uuid4().hex
        await db.execute(
            update(outbox)
            .where(_BY_KEY)
            .values(status=CLAIMED, lease_until=lease_until, claim_id=claim_id, updated_at=now),
            _each(_keys(claimed)),
        )
        for row in claimed:
            row.status, row.lease_until, row.claim_id = CLAIMED, lease_until, claim_id
        return claimed

    async def renew(self, rows: Sequence[OutboxRow], *, lease_until: float) -> None:
        """Extend the claim on those of ``rows`` not yet started (those still its claim's)."""
        waiting = [row for row in rows if row.status == CLAIMED and row.claim_id is not None]
        if waiting:
            async with self.database.transaction() as db:
                await db.execute(
                    update(outbox).where(_UNSTARTED).values(lease_until=lease_until),
                    _each(_keys(waiting), key_claim=waiting[0].claim_id),
                )

    async def start(self, rows: Sequence[OutboxRow], *, lease_until: float) -> bool:
        """Start sending ``rows`` (one claim's), under the lease of a send; False, and nothing
        changed, when the claim on any of them ran out and another replica may have it."""
        try:
            async with self.database.transaction() as db:
                started = await db.execute(
                    update(outbox)
                    .where(_UNSTARTED)
                    .values(status=SENDING, lease_until=lease_until),
                    _each(_keys(rows), key_claim=rows[0].claim_id),
                )
                if started.rowcount != len(rows):
                    raise _ClaimLost
        except _ClaimLost:
            return False
        for row in rows:
            row.status, row.lease_until = SENDING, lease_until
        return True

    async def finish(self, rows: Sequence[OutboxRow]) -> None:
        """Record the outcome of these sends, in one transaction (a row whose claim ran out is
        left to whoever has it now)."""
        if not rows:
            return
        now = self.clock.time()
        async with self.database.transaction() as db:
            await db.execute(
                later(
                    update(outbox)
                    .where(_BY_KEY, outbox.c.claim_id == bindparam("key_claim"))
                    .values({**{c: bindparam(f"new_{c}") for c in _CHANGING}, "updated_at": now})
                ),
                [
                    {
                        "key_id": row.notification_id,
                        "key_target": row.target,
                        "key_claim": row.claim_id,
                        **{f"new_{c}": getattr(row, c) for c in _CHANGING},
                    }
                    for row in rows
                ],
            )

    async def interrupted(self, now: float, resend: Callable[[str], bool]) -> tuple[int, int, int]:
        """Claims and sends a stop cut short (their lease ran out). A claim never started is
        due again at once. A send is sent again where ``resend(target)`` says the target
        deduplicates or can be asked whether it arrived, else ``unknown`` and never repeated.
        Returns how many claims were freed, sends queued again, and sends left unknown."""
        async with self.database.transaction() as db:
            rows = await db.execute(
                select(outbox.c.notification_id, outbox.c.target, outbox.c.status)
                .where(outbox.c.status.in_((CLAIMED, SENDING)), outbox.c.lease_until < now)
                .with_for_update(skip_locked=True)
            )
            found = rows.all()
            freed = [(n, t) for n, t, status in found if status == CLAIMED]
            sent = [(n, t) for n, t, status in found if status != CLAIMED]
            again = [(n, t) for n, t in sent if resend(str(t))]
            unknown = sorted(set(sent) - set(again))
            changes: list[tuple[list[Key], dict[str, Any]]] = [
                (freed, {"status": RETRY, "due_at": now}),
                (again, {"status": RETRY, "due_at": now, "error": INTERRUPTED}),
                (unknown, {"status": "unknown", "error": INTERRUPTED}),
            ]
            for keys, values in changes:
                if keys:
                    await db.execute(
                        update(outbox)
                        .where(_BY_KEY)
                        .values(**values, claim_id=None, updated_at=now),
                        _each(keys),
                    )
        return len(freed), len(again), len(unknown)

    async def counts(self) -> dict[str, int]:
        async with self.database.transaction() as db:
            rows = await db.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        return {str(status): int(n) for status, n in rows}


async def _held(db: AsyncConnection, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
    """Of ``rows`` (being claimed together), those an unfinished row of their problem to their
    target made earlier, not among them, holds back. The unfinished rows made before the
    latest of ``rows`` are read on the problem's index by status: usually ``rows`` themselves
    and the few ahead of them, never the rows a storm sent."""
    ordered = [row for row in rows if row.fingerprint is not None and row.made_at is not None]
    if not ordered:
        return []
    ours = {(row.notification_id, row.target) for row in rows}
    earlier = await db.execute(
        select(
            outbox.c.notification_id, outbox.c.target, outbox.c.fingerprint, outbox.c.made_at
        ).where(
            outbox.c.fingerprint.in_(sorted({str(row.fingerprint) for row in ordered})),
            outbox.c.target.in_(sorted({row.target for row in ordered})),
            outbox.c.status.in_(UNFINISHED),
            outbox.c.made_at < max(float(row.made_at or 0.0) for row in ordered),
        )
    )
    first: dict[tuple[str, str], float] = {}
    for notification_id, target, fingerprint, made_at in earlier:
        problem = (fingerprint, target)
        if (notification_id, target) not in ours and made_at < first.get(problem, math.inf):
            first[problem] = made_at
    return [
        row
        for row in ordered
        if (held := first.get((str(row.fingerprint), row.target))) is not None
        and float(row.made_at or 0.0) > held
    ]
