"""``alertorch publish``, ``topics`` and ``broker``, run as users run them."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config.settings import PACKAGED_CONFIG_DIR
from shared.events import RawError
from shared.kafka.embedded import free_port
from shared.topics import ERRORS_RAW, all_topic_names, topic
from tests.kafka_helpers import read_all, read_until
from tests.procs import cli, reaped

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.broker


async def test_publish_from_flags(kafka_bootstrap: str) -> None:
    result = cli(
        "publish",
        "--title",
        "Backup of orders-db failed",
        "--severity",
        "critical",
        "--source",
        "backup-cron",
        "--environment",
        "production",
        "--tag",
        "team=dba",
        "--dedup-key",
        "orders-backup",
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    records = await read_until(
        kafka_bootstrap,
        ERRORS_RAW,
        lambda r: len(r) >= 1,
        match=lambda r: r.key == printed["fingerprint"].encode(),
    )
    event = topic(ERRORS_RAW).decode(records[0].value, coordinates="t", producer="/t")
    assert isinstance(event, RawError)
    assert event.id == printed["id"]
    assert event.data.origin == "custom"
    assert event.data.severity == "critical"
    assert event.data.tags == {"team": "dba"}
    assert event.data.dedup_key == "orders-backup"


async def test_publish_from_file_is_all_or_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    path.write_text(
        json.dumps(
            [
                {"title": "good one zz-all-or-nothing", "severity": "low", "source": "a"},
                {"title": "bad one", "severity": "extreme", "source": "a"},
            ]
        )
    )
    result = cli("publish", "--file", str(path), env={"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap})
    assert result.returncode != 0
    assert "alert 1: invalid custom alert: severity" in result.stderr
    records = await read_all(
        kafka_bootstrap, ERRORS_RAW, match=lambda r: b"zz-all-or-nothing" in (r.value or b"")
    )
    assert records == []


async def test_publish_from_stdin(kafka_bootstrap: str) -> None:
    result = cli(
        "publish",
        "--file",
        "-",
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
        input_text='{"title": "from stdin", "severity": "info", "source": "sh"}',
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topic"] == ERRORS_RAW


def test_publish_without_a_broker_fails_clearly() -> None:
    result = cli(
        "publish",
        "--title",
        "t",
        "--severity",
        "low",
        "--source",
        "s",
        "--broker-timeout",
        "1",
        env={"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"},
        timeout=60,
    )
    assert result.returncode == 1
    assert "no Kafka broker answered" in result.stderr


def test_publish_rejects_missing_fields() -> None:
    result = cli("publish", "--title", "t")
    assert result.returncode != 0
    assert "severity: Field required" in result.stderr
    assert "source: Field required" in result.stderr


async def test_topics_command_is_idempotent(kafka_bootstrap: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    first = cli("topics", env=env)
    second = cli("topics", env=env)
    assert first.returncode == second.returncode == 0, first.stderr
    assert all(f"exists  {name}" in second.stdout for name in all_topic_names())


def test_broker_command_serves_and_stops(tmp_path: Path) -> None:
    port = free_port()
    started = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "broker", "--port", str(port), "--partitions", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    with reaped(started) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"broker ready at 127.0.0.1:{port}" in line
        listed = cli("topics", env={"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
        assert "exists  errors.raw.dlq" in listed.stdout
        assert asyncio.run(_partitions(f"127.0.0.1:{port}", "errors.raw")) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


async def _partitions(bootstrap: str, name: str) -> int:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        return len(consumer.partitions_for_topic(name) or ())
    finally:
        await consumer.stop()


CONFIG_FILES = ("config.yaml", "error_patterns.json", "escalation_rules.yaml")


def test_without_a_config_folder_the_packaged_defaults_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALERTORCH_CONFIG_DIR")
    assert not (tmp_path / "config").exists()
    result = cli("validate-config")
    assert result.returncode == 0, result.stderr
    for name in CONFIG_FILES:
        assert f"{PACKAGED_CONFIG_DIR / name}: ok" in result.stdout
        # one copy: the packaged defaults are the checkout's config/
        assert (PACKAGED_CONFIG_DIR / name).read_bytes() == (REPO / "config" / name).read_bytes()


def test_init_writes_an_editable_copy_that_commands_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALERTORCH_CONFIG_DIR")
    result = cli("init")
    assert result.returncode == 0, result.stderr
    for name in CONFIG_FILES:
        assert f"wrote config/{name}" in result.stdout
        assert (tmp_path / "config" / name).read_bytes() == (REPO / "config" / name).read_bytes()
    # ./config, once there, is what every command reads
    (tmp_path / "config" / "config.yaml").write_text("system:\n  environment: staging\n")
    checked = cli("validate-config")
    assert "config/config.yaml: ok (environment staging)" in checked.stdout, checked.stderr
    # ... unless ALERTORCH_CONFIG_DIR (or --config-dir) names another folder
    other = cli("validate-config", env={"ALERTORCH_CONFIG_DIR": str(REPO / "config")})
    assert f"{REPO / 'config' / 'config.yaml'}: ok (environment production)" in other.stdout


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "cfg"
    assert cli("init", str(target)).returncode == 0
    (target / "error_patterns.json").write_text("{}")
    again = cli("init", str(target))
    assert again.returncode == 1
    assert "already there" in again.stderr
    assert "--force" in again.stderr
    assert (target / "error_patterns.json").read_text() == "{}"
    assert (target / "config.yaml").read_bytes() == (REPO / "config" / "config.yaml").read_bytes()
    forced = cli("init", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (target / "error_patterns.json").read_bytes() == (
        REPO / "config" / "error_patterns.json"
    ).read_bytes()
    assert f"--config-dir {target}" in forced.stdout


def test_healthcheck_reads_the_service_and_port_from_a_command_line() -> None:
    from services.cli.healthcheck import Target, running_targets, service_target

    assert service_target(["/usr/local/bin/alertorch", "analyzer", "--port", "9102"]) == Target(
        "analyzer", "127.0.0.1", 9102
    )
    assert service_target(["python", "-m", "services.cli", "notifier"]) == Target(
        "notifier", "127.0.0.1", 8004
    )
    assert service_target(
        ["/sbin/docker-init", "--", "alertorch", "ingest", "--host", "10.0.0.5", "--port=81"]
    ) == Target("ingest", "10.0.0.5", 81)
    assert service_target(["alertorch", "topics"]) is None
    assert service_target(["python", "analyzer.py"]) is None
    assert running_targets([["alertorch", "topics"], ["bash"]]) == []


def test_healthcheck_fails_when_nothing_answers() -> None:
    result = cli("healthcheck", "--port", str(free_port()), "--timeout", "1")
    assert result.returncode == 1
    assert "unreachable" in result.stdout
