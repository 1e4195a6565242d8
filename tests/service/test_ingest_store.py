"""The ingest store on both backends: Sentry marks, webhook request ids, the poller's lease."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.request_log import RequestLog
from services.ingest.sentry_marks import SentryMarks
from services.ingest.tables import SCHEMA, leases
from shared.storage import Database
from shared.storage.lease import Lease
from tests.storage import migrated


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    async with migrated(storage_url, SCHEMA) as opened:
        yield opened


async def test_marks_only_move_forward_and_stay_bounded(database: Database) -> None:
    marks = SentryMarks(database)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    assert await marks.mark("web") is None
    await marks.record("web", "1", 3, t0)
    await marks.record("web", "2", 1, t0 + timedelta(minutes=5))
    assert await marks.published_counts(["1", "2", "3"]) == {"1": 3, "2": 1}
    await marks.advance("web", t0 + timedelta(minutes=1))
    assert await marks.mark("web") == t0 + timedelta(minutes=5)
    assert await marks.published_counts(["1", "2"]) == {"2": 1}, "issues behind the mark go"


async def test_request_log_expires_entries(database: Database) -> None:
    now = [1000.0]
    log = RequestLog(database, ttl_seconds=60, clock=lambda: now[0])
    await log.remember("sentry_webhook", "r1")
    assert await log.seen("sentry_webhook", "r1")
    assert not await log.seen("custom", "r1")
    now[0] += 61
    assert not await log.seen("sentry_webhook", "r1")
    await log.remember("sentry_webhook", "r2")
    assert await log.size() == 1, "expired ids are deleted"


async def test_one_lease_holder_at_a_time_until_it_expires_or_is_released(
    database: Database,
) -> None:
    now = [1000.0]

    def lease(holder: str) -> Lease:
        return Lease(
            database, leases, name="poller", holder=holder, seconds=15, clock=lambda: now[0]
        )

    a, b = lease("a"), lease("b")
    assert await a.acquire()
    assert not await b.acquire()
    assert a.held()
    assert not b.held()
    now[0] += 10
    assert await a.acquire(), "the holder renews"
    now[0] += 10
    assert not await b.acquire(), "renewed: still a's"
    now[0] += 6  # a died: 16 s since its last renewal
    assert not a.held()
    assert await b.acquire()
    assert not await a.acquire()
    await b.release()
    assert await a.acquire(), "a clean stop hands the lease over at once"
