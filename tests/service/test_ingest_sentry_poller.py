"""The Sentry poller against a local fake Sentry that speaks the real wire format: Bearer auth,
``Link`` cursor pagination, rate-limit headers, one 429 with ``Retry-After`` and one 500.

Proves that no issue is lost or published twice, across count growth and a restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from shared.events import RawError
from shared.fingerprint import fingerprint
from shared.topics import ERRORS_RAW
from tests.fakes.sentry import ORG, TOKEN, FakeSentry, serving_sentry
from tests.kafka_helpers import Record, read_all, read_until
from tests.procs import running_service

pytestmark = pytest.mark.broker


@pytest.fixture
def fake_sentry() -> Iterator[tuple[FakeSentry, str]]:
    fake = FakeSentry(prefix=str(int(os.urandom(3).hex(), 16)))
    with serving_sentry(fake) as url:
        yield fake, url


def poller_env(url: str, **extra: str) -> dict[str, str]:
    """The ingest service polling the fake Sentry at ``url`` every 5 s."""
    return {
        "SENTRY_AUTH_TOKEN": TOKEN,
        "SENTRY_ORGANIZATION": ORG,
        "ALERTORCH_SENTRY__BASE_URL": url,
        "ALERTORCH_SENTRY__PROJECTS": "[]",
        "ALERTORCH_SENTRY__BACKOFF_SECONDS": "0.1",
        "ALERTORCH_OPERATION__MONITORING_INTERVAL": "5",
        **extra,
    }


def occurrences(records: list[Record]) -> list[tuple[str, int]]:
    out = []
    for record in records:
        event = RawError.model_validate_json(record.value or b"")
        assert (
            record.key
            == fingerprint(kind="sentry_issue", parts=[event.data.external_id or ""]).encode()
        )
        out.append((event.data.external_id or "", event.data.count))
    return sorted(out)


async def wait_for_polls(fake: FakeSentry, polls: int, timeout: float = 30) -> None:
    """Wait until ``polls`` more polls started, so at least ``polls - 1`` ran from end to end."""
    target = fake.project_calls + polls
    deadline = time.monotonic() + timeout
    while fake.project_calls < target:
        assert time.monotonic() < deadline, "the poller stopped polling"
        await asyncio.sleep(0.1)


async def test_polling_loses_nothing_and_duplicates_nothing_across_a_restart(
    kafka_bootstrap: str, fake_sentry: tuple[FakeSentry, str]
) -> None:
    fake, url = fake_sentry
    p = fake.prefix
    env = poller_env(url, ALERTORCH_SENTRY__FETCH_SETTINGS__DEFAULT_LIMIT="2")
    mine = lambda r: r.value is not None and f"({p})".encode() in r.value  # noqa: E731
    fake.set_issue("A", "web", 3, 30)
    fake.set_issue("B", "web", 1, 20)
    fake.set_issue("C", "web", 2, 10)
    fake.set_issue("D", "api", 1, 5)
    fake.set_issue("OLD", "web", 9, 60 * 48)  # outside the 24 h lookback
    with running_service("ingest", bootstrap=kafka_bootstrap, env=env) as service:
        first = await read_until(kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 4, match=mine)
        assert occurrences(first) == [(f"{p}A", 3), (f"{p}B", 1), (f"{p}C", 2), (f"{p}D", 1)]
        fake.set_issue("A", "web", 5, 0.5)  # the count grew
        fake.set_issue("E", "web", 1, 0.2)  # a new issue
        await read_until(kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 6, match=mine)
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
            metrics = (await client.get("/metrics")).text
        assert service.stop(signal.SIGTERM) == 0
    assert 'alertorch_ingest_sentry_rate_limit_waits_total{reason="429"} 1.0' in metrics
    assert 'alertorch_ingest_sentry_api_calls_total{endpoint="issues",status="500"} 1.0' in metrics

    fake.set_issue("B", "web", 4, 0.1)  # grew while the poller was down
    fake.set_issue("F", "api", 1, 0.1)  # new while the poller was down
    with running_service("ingest", bootstrap=kafka_bootstrap, env=env):
        await read_until(kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 8, match=mine)
        await wait_for_polls(fake, 2)
    records = await read_all(kafka_bootstrap, ERRORS_RAW, match=mine)
    assert occurrences(records) == [
        (f"{p}A", 3),
        (f"{p}A", 5),
        (f"{p}B", 1),
        (f"{p}B", 4),
        (f"{p}C", 2),
        (f"{p}D", 1),
        (f"{p}E", 1),
        (f"{p}F", 1),
    ]
    event = RawError.model_validate_json(records[0].value or b"")
    assert event.data.origin == "sentry_api"
    assert event.data.project in {"web", "api"}
    assert fake.auth_failures == 0


def lease_holder_pid(url: str) -> int | None:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT holder, expires_at FROM ingest_leases").fetchone()
    if row is None or row[1] < time.time():
        return None
    return int(str(row[0]).split(":")[1])


async def test_one_replica_polls_and_another_takes_over_when_it_dies(
    kafka_bootstrap: str, fake_sentry: tuple[FakeSentry, str], postgres_url: str
) -> None:
    fake, url = fake_sentry
    p = fake.prefix
    env = poller_env(
        url, ALERTORCH_INGEST__POLLER_LEASE_SECONDS="3", ALERTORCH_STORAGE__URL=postgres_url
    )
    mine = lambda r: r.value is not None and f"({p})".encode() in r.value  # noqa: E731
    fake.set_issue("A", "web", 3, 30)
    fake.set_issue("B", "api", 1, 20)
    with (
        running_service("ingest", bootstrap=kafka_bootstrap, env=env) as first,
        running_service("ingest", bootstrap=kafka_bootstrap, env=env) as second,
    ):
        await read_until(kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 2, match=mine)
        leader = lease_holder_pid(postgres_url)
        replicas = {first.process.pid: first, second.process.pid: second}
        assert leader in replicas
        await wait_for_polls(fake, 2)
        assert lease_holder_pid(postgres_url) == leader  # renewed; the other replica waits
        replicas[leader].stop(signal.SIGKILL)
        [survivor] = [pid for pid in replicas if pid != leader]
        fake.set_issue("A", "web", 7, 0.5)  # the count grew
        fake.set_issue("C", "web", 1, 0.2)  # a new issue
        await read_until(kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 4, match=mine)
        assert lease_holder_pid(postgres_url) == survivor
        await wait_for_polls(fake, 2)
    records = await read_all(kafka_bootstrap, ERRORS_RAW, match=mine)
    assert occurrences(records) == [(f"{p}A", 3), (f"{p}A", 7), (f"{p}B", 1), (f"{p}C", 1)]
