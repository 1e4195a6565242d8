"""The notifier's delivery outbox: one row per notification and target.

A row is queued once (an insert only one replica wins), claimed for sending under a lease,
then records the outcome. Claims skip rows another replica holds, so each row is sent by one
replica at a time; a send its replica never finished is found once its lease runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from sqlalchemy import Row, bindparam, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.tables import outbox
from shared.clock import SYSTEM_CLOCK, Clock
from shared.storage import Database, upserted

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


#: How the error of an outbox row begins when its send was cut short by a stop, or got no answer:
#: its retry asks the target first whether it arrived (``reconcile``), where the target can tell.
INTERRUPTED = "interrupted while sending"


def unsure(row: OutboxRow) -> bool:
    """Whether ``row``'s last send may have arrived although nothing said so."""
    return (row.error or "").startswith(INTERRUPTED)


_COLUMNS = tuple(c for c in outbox.c if c.name != "updated_at")
#: Rows per INSERT: its parameters stay well within every backend's limit.
ROWS_PER_STATEMENT: Final = 500
_CHANGING = ("status", "attempts", "due_at", "lease_until", "reference", "error")


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
                select(*_COLUMNS)
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
                select(*_COLUMNS)
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
