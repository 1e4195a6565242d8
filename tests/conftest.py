"""Test harness: a real Kafka-protocol broker for the session, isolated environment per test."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port
from tests.postgres import LocalPostgres, fresh_database

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Read once, before any test isolates the environment.
EXTERNAL_BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
EXTERNAL_POSTGRES = os.environ.get("ALERTORCH_TEST_POSTGRES_URL")
TEST_PARTITIONS = 3


#: Folders whose files one worker runs one after another under ``make test``: the fault tests
#: each run a broker and four service processes and time what they see, so two never run at once.
SERIAL_FOLDERS = ("tests/faults/",)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile`` (a file's tests on one worker, its fixtures set up once), with every
    file of a serial folder in one unit of work."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SerialFolders(LoadFileScheduling):  # type: ignore[misc]  # xdist is untyped
        def _split_scope(self, nodeid: str) -> str:
            scope: str = super()._split_scope(nodeid)
            return next((f for f in SERIAL_FOLDERS if scope.startswith(f)), scope)

    return SerialFolders(config, log)


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return (
            subprocess.run(
                ["docker", "info"], capture_output=True, timeout=10, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
async def kafka_bootstrap() -> AsyncIterator[str]:
    """KAFKA_BOOTSTRAP_SERVERS if set; else Testcontainers Kafka if Docker answers; else Tansu."""
    if EXTERNAL_BOOTSTRAP:
        await ensure_topics(EXTERNAL_BOOTSTRAP, partitions=TEST_PARTITIONS)
        yield EXTERNAL_BOOTSTRAP
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer().with_kraft()
        await asyncio.to_thread(container.start)
        try:
            bootstrap = container.get_bootstrap_server()
            await ensure_topics(bootstrap, partitions=TEST_PARTITIONS)
            yield bootstrap
        finally:
            await asyncio.to_thread(container.stop)
        return
    broker = EmbeddedBroker(port=free_port(), log_path=None)
    await broker.start()
    try:
        await ensure_topics(broker.bootstrap_servers, partitions=TEST_PARTITIONS)
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
async def own_embedded_broker() -> AsyncIterator[EmbeddedBroker]:
    """The broker of ``own_broker`` itself, for a test that signals its process (a pause)."""
    broker = EmbeddedBroker(port=free_port(), log_path=None)
    await broker.start()
    try:
        await ensure_topics(broker.bootstrap_servers, partitions=TEST_PARTITIONS)
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def own_broker(own_embedded_broker: EmbeddedBroker) -> str:
    """A broker of the test's own, for tests that leave thousands of events behind: later
    tests, whose new consumer groups read the shared broker's topics from the start, never
    wade through them."""
    return own_embedded_broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """ALERTORCH_TEST_POSTGRES_URL if set; else Testcontainers PostgreSQL if Docker answers;
    else a throwaway cluster from the local PostgreSQL binaries."""
    if EXTERNAL_POSTGRES:
        yield EXTERNAL_POSTGRES
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
        try:
            yield container.get_connection_url(driver=None)
        finally:
            container.stop()
        return
    server = LocalPostgres()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return fresh_database(postgres_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on both storage backends: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a test that talks to a local fake (no base URL: full URLs)."""
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's settings, and each test has its own consumer groups."""
    for name in list(os.environ):
        if name.startswith("ALERTORCH_") or name in {
            "KAFKA_BOOTSTRAP_SERVERS",
            "SENTRY_AUTH_TOKEN",
            "SLACK_BOT_TOKEN",
            "SLACK_WEBHOOK_URL",
            "SLACK_SIGNING_SECRET",
            "GITHUB_TOKEN",
            "JIRA_TOKEN",
            "JIRA_URL",
            "PAGERDUTY_API_KEY",
            "SMTP_PASSWORD",
            "SENTRY_CLIENT_SECRET",
            "SENTRY_ORGANIZATION",
            "ALERT_WEBHOOK_TOKEN",
            "INGEST_DSN_KEYS",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALERTORCH_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.setenv("ALERTORCH_KAFKA__GROUP_PREFIX", f"test-{os.urandom(4).hex()}")
    monkeypatch.setenv("ALERTORCH_STORAGE__DATA_DIRECTORY", str(tmp_path / "data"))
    # Short group timeouts: a test restarts consumers in one group within seconds.
    monkeypatch.setenv("ALERTORCH_KAFKA__SESSION_TIMEOUT_MS", "1500")
    monkeypatch.setenv("ALERTORCH_KAFKA__HEARTBEAT_INTERVAL_MS", "300")
    monkeypatch.setenv("ALERTORCH_KAFKA__REBALANCE_TIMEOUT_MS", "1000")
    monkeypatch.chdir(tmp_path)
