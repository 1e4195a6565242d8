"""``alertorch db upgrade``, run as an operator runs it before a deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from services.analyzer.tables import SCHEMA as ANALYZER
from services.api.tables import SCHEMA as API
from services.ingest.tables import SCHEMA as INGEST
from services.notifier.delivery.github_tables import SCHEMA as NOTIFIER_GITHUB
from services.notifier.delivery.jira_tables import SCHEMA as NOTIFIER_JIRA
from services.notifier.slack.tables import SCHEMA as NOTIFIER_SLACK
from services.notifier.tables import SCHEMA as NOTIFIER
from services.resolver.tables import SCHEMA as RESOLVER
from shared.kafka.embedded import free_port
from tests.procs import cli


def test_upgrade_on_postgresql_is_idempotent_and_refuses_a_newer_schema(postgres_url: str) -> None:
    env = {"ALERTORCH_STORAGE__URL": postgres_url}
    first = cli("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    for name, schema in (
        ("ingest", INGEST),
        ("analyzer", ANALYZER),
        ("resolver", RESOLVER),
        ("notifier", NOTIFIER),
        ("notifier", NOTIFIER_SLACK),
        ("notifier", NOTIFIER_GITHUB),
        ("notifier", NOTIFIER_JIRA),
        ("api", API),
    ):
        head = schema.scripts().get_current_head()
        assert f"{name}: {schema.name} at {head} (postgresql+psycopg://" in first.stdout
    again = cli("db", "upgrade", "--service", "ingest", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [x for x in first.stdout.splitlines() if "ingest" in x]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("UPDATE alembic_version_ingest SET version_num = 'ingest_9999'")
    newer = cli("db", "upgrade", env=env)
    assert newer.returncode == 2
    assert "newer than this build" in newer.stderr
    assert "Traceback" not in newer.stderr
    # the service itself refuses to start on it, with the same message
    service = cli("ingest", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    assert service.returncode == 2
    assert "newer than this build" in service.stderr


async def test_every_command_works_with_the_storage_url_set(
    postgres_url: str, kafka_bootstrap: str
) -> None:
    env = {"ALERTORCH_STORAGE__URL": postgres_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    for command in (("topics",), ("validate-config",), ("db", "upgrade")):
        result = cli(*command, env=env)
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr


def test_upgrade_on_sqlite_files_in_the_data_directory(tmp_path: Path) -> None:
    result = cli("db", "upgrade", env={"ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ingest.db").exists()


def test_an_unsupported_url_is_a_clear_error() -> None:
    result = cli("db", "upgrade", env={"ALERTORCH_STORAGE__URL": "mysql://u:secret@db/x"})
    assert result.returncode == 2
    assert "unsupported storage URL" in result.stderr
    assert "secret" not in result.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_replicas_upgrading_together_from_separate_processes_all_succeed(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'shared.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    env = {**os.environ, "ALERTORCH_STORAGE__URL": url}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "services.cli", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(run.wait(120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    assert all("ingest: ingest at ingest_0001" in out for _, out, _ in results)
