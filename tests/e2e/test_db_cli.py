"""``alertorch db upgrade``, run as an operator runs it before a deploy."""

from __future__ import annotations

from pathlib import Path

import psycopg

from shared.kafka.embedded import free_port
from tests.procs import cli


def test_upgrade_on_postgresql_is_idempotent_and_refuses_a_newer_schema(postgres_url: str) -> None:
    env = {"ALERTORCH_STORAGE__URL": postgres_url}
    first = cli("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert "ingest: ingest at ingest_0001 (postgresql+psycopg://postgres@" in first.stdout
    assert "analyzer: analyzer at analyzer_0001 (postgresql+psycopg://postgres@" in first.stdout
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


def test_upgrade_on_sqlite_files_in_the_data_directory(tmp_path: Path) -> None:
    result = cli("db", "upgrade", env={"ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ingest.db").exists()


def test_an_unsupported_url_is_a_clear_error() -> None:
    result = cli("db", "upgrade", env={"ALERTORCH_STORAGE__URL": "mysql://u:secret@db/x"})
    assert result.returncode == 2
    assert "unsupported storage URL" in result.stderr
    assert "secret" not in result.stderr
