"""The notifier's delivery outbox after a storm: how long its claims take with a long history.

One problem, three targets, 12,000 notifications (36,000 rows), 27,000 of them sent, the rest
queued. Timed: the delivery loop's claim of the next 1,000 queued rows by key; the retry loop's
claim with 2,000 rows due behind those 1,000 (it finds that none may go); and the same once the
1,000 are sent (it takes 1,000). On SQLite, and on PostgreSQL when one is at hand
(``ALERTORCH_TEST_POSTGRES_URL``, else a throwaway cluster from the machine's binaries).
Printed and written to ``bench/results/outbox.json``; no target (docs/performance.md, *A
storm's updates held behind a retry*).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import bindparam, update

from bench.pipeline import write_results
from services.notifier.outbox import Outbox, OutboxRow, Queued
from services.notifier.tables import SCHEMA, outbox
from shared.storage import Database

NOTIFICATIONS = 12_000
TARGETS = ("slack:#alerts", "slack:#dev-team", "slack:#oncall")
SENT = 27_000
CLAIM = 1_000
DUE = 2_000
LEASE = 15.0


async def _timed(step: Callable[[], Awaitable[list[OutboxRow]]]) -> tuple[float, int]:
    started = time.perf_counter()
    rows = await step()
    return time.perf_counter() - started, len(rows)


async def _set(database: Database, rows: list[Queued], **values: Any) -> None:
    """Give ``rows`` these column values (the storm's history), by key."""
    statement = update(outbox).where(
        outbox.c.notification_id == bindparam("key_id"), outbox.c.target == bindparam("key_t")
    )
    async with database.transaction() as db:
        await db.execute(
            statement.values(**values),
            [{"key_id": row.notification_id, "key_t": row.target} for row in rows],
        )


async def measure(url: str) -> dict[str, Any]:
    """The three claims' times on the database at ``url`` (empty)."""
    database = Database(url, schemas=[SCHEMA])
    await database.migrate()
    try:
        box = Outbox(database)
        now = time.time()
        made = now - 3600.0
        rows = [
            Queued(uuid.uuid4().hex, target, "storm", made + n * 0.001, "{}")
            for n in range(NOTIFICATIONS)
            for target in TARGETS
        ]
        for start in range(0, len(rows), 3_000):
            await box.enqueue(rows[start : start + 3_000], due_at=now + 60.0)
        await _set(database, rows[:SENT], status="sent")
        claim = [(row.notification_id, row.target) for row in rows[SENT : SENT + CLAIM]]
        behind = rows[SENT + CLAIM : SENT + CLAIM + DUE]
        claim_s, claimed = await _timed(lambda: box.claim(claim, lease_until=now + LEASE))
        await _set(database, behind, due_at=now - 1.0)

        def due() -> Awaitable[list[OutboxRow]]:
            return box.claim_due(now, lease_until=now + LEASE, limit=CLAIM)

        held_s, held = await _timed(due)
        await _set(database, rows[SENT : SENT + CLAIM], status="sent")
        free_s, freed = await _timed(due)
    finally:
        await database.close()
    return {
        "claim_seconds": claim_s,
        "claimed": claimed,
        "retry_loop_held_seconds": held_s,
        "retry_loop_held_claimed": held,
        "retry_loop_seconds": free_s,
        "retry_loop_claimed": freed,
    }


def _print(backend: str, found: dict[str, Any]) -> None:
    print(
        f"{'outbox, ' + backend + ': claim 1,000 queued':<44} "
        f"{found['claim_seconds'] * 1000:>8,.1f} ms  ({found['claimed']:,} claimed)"
    )
    print(
        f"{'outbox, ' + backend + ': retry loop, held behind':<44} "
        f"{found['retry_loop_held_seconds'] * 1000:>8,.1f} ms  "
        f"({found['retry_loop_held_claimed']:,} claimed)"
    )
    print(
        f"{'outbox, ' + backend + ': retry loop, 2,000 due':<44} "
        f"{found['retry_loop_seconds'] * 1000:>8,.1f} ms  ({found['retry_loop_claimed']:,} claimed)"
    )


async def _on_postgresql() -> dict[str, Any] | None:
    from tests.postgres import LocalPostgres, fresh_database  # the tests' throwaway cluster

    server = os.environ.get("ALERTORCH_TEST_POSTGRES_URL")
    local = None
    if server is None:
        try:
            local = LocalPostgres()
            local.start()
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            print(f"{'outbox, postgresql':<44} skipped: {exc}")
            return None
        server = local.url
    try:
        return await measure(fresh_database(server))
    finally:
        if local is not None:
            local.stop()


async def run() -> None:
    results: dict[str, Any] = {
        "notifications": NOTIFICATIONS,
        "targets": len(TARGETS),
        "sent": SENT,
    }
    with tempfile.TemporaryDirectory(prefix="alertorch-outbox-") as workdir:
        results["sqlite"] = await measure(f"sqlite:///{workdir}/notifier.db")
    _print("sqlite", results["sqlite"])
    if (found := await _on_postgresql()) is not None:
        results["postgresql"] = found
        _print("postgresql", found)
    write_results("outbox", results)


if __name__ == "__main__":
    asyncio.run(run())
