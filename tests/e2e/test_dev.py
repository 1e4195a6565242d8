"""``alertorch dev`` as a user runs it: everything starts, answers, and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli.dev import restarts
from services.cli.registry import SERVICES
from shared.config.settings import PACKAGED_CONFIG_DIR
from shared.kafka.embedded import free_port
from tests.procs import cli, free_port_block, running_dev, wait_http

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _tansu_on(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"tansu" in cmdline and f":{port}".encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def test_dev_starts_everything_and_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    broker_port, base_port = free_port(), free_port_block(len(SERVICES))
    ports = list(range(base_port, base_port + len(SERVICES)))
    with (
        (tmp_path / "dev.log").open("w") as log,
        running_dev(
            broker_port=broker_port, base_port=base_port, stdout=subprocess.PIPE, stderr=log
        ) as process,
    ):
        for port in ports:
            assert (
                wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60).json()["status"] == "ok"
            )
            wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        assert _tansu_on(broker_port), "the embedded broker is not running"
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
        stdout = process.stdout.read() if process.stdout else ""
    lines = [
        json.loads(line)
        for line in (tmp_path / "dev.log").read_text().splitlines()
        if line.startswith("{")
    ]
    service_pids = [line["pid"] for line in lines if line.get("event") == "service process started"]
    broker_pids = [line["pid"] for line in lines if line.get("event") == "embedded broker running"]
    assert len(service_pids) == len(SERVICES)
    assert len(broker_pids) == 1
    stopped = [line for line in lines if line.get("event") == "service process stopped"]
    assert sorted(line["exit_code"] for line in stopped) == [0] * len(SERVICES)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in service_pids + broker_pids):
        time.sleep(0.1)
    assert not [p for p in service_pids + broker_pids if _alive(p)], "orphaned processes"
    assert not _tansu_on(broker_port)
    assert f"http://127.0.0.1:{ports[0]}/healthz" in stdout


def test_dev_restarts_a_service_that_dies(tmp_path: Path) -> None:
    broker_port, base_port = free_port(), free_port_block(len(SERVICES))
    log_path = tmp_path / "dev.log"
    with (
        log_path.open("w") as log,
        running_dev(
            "--services", "ingest", broker_port=broker_port, base_port=base_port, stderr=log
        ) as process,
    ):
        wait_http(f"http://127.0.0.1:{base_port}/readyz", timeout=60)
        first = _started_pids(log_path)
        assert len(first) == 1
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_started_pids(log_path)) < 2:
            time.sleep(0.1)
        assert len(_started_pids(log_path)) == 2
        wait_http(f"http://127.0.0.1:{base_port}/readyz", timeout=60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    assert restarts(log_path) == {"ingest": 1}  # as the benchmarks read it


def _started_pids(path: Path) -> list[int]:
    return [
        json.loads(line)["pid"]
        for line in path.read_text().splitlines()
        if line.startswith("{") and '"service process started"' in line
    ]


def test_dev_from_an_empty_folder_runs_on_the_packaged_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ./config and no ALERTORCH_CONFIG_DIR: an installed CLI run anywhere still starts."""
    monkeypatch.delenv("ALERTORCH_CONFIG_DIR")
    workdir = tmp_path / "anywhere"
    workdir.mkdir()
    broker_port, base_port = free_port(), free_port_block(2)
    with running_dev(
        *("--services", "analyzer,notifier"),
        broker_port=broker_port,
        base_port=base_port,
        cwd=workdir,
        stdout=subprocess.PIPE,
    ) as process:
        for port in (base_port, base_port + 1):
            wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        probe = cli("healthcheck", "--port", str(base_port))
        assert probe.returncode == 0, probe.stdout
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        stdout = process.stdout.read() if process.stdout else ""
    assert f"config    {PACKAGED_CONFIG_DIR.resolve()}" in stdout
    assert not (workdir / "config").exists()


def test_dev_stops_with_the_message_on_a_configuration_error(tmp_path: Path) -> None:
    """A service exiting 2 would fail the same way again: dev stops instead of restarting it."""
    config = tmp_path / "broken"
    shutil.copytree(REPO / "config", config)
    patterns = config / "error_patterns.json"
    document = json.loads(patterns.read_text())
    document["patterns"][0]["pattern"] = "(unclosed"
    patterns.write_text(json.dumps(document, indent=2))
    log_path = tmp_path / "dev.log"
    with (
        log_path.open("w") as log,
        running_dev(
            *("--services", "ingest,analyzer", "--config-dir", str(config)),
            broker_port=free_port(),
            base_port=free_port_block(2),
            stderr=log,
        ) as process,
    ):
        assert process.wait(60) == 2
    text = log_path.read_text()
    assert f"error: {patterns}:" in text  # the analyzer's own message, file and line
    assert "invalid regex" in text
    assert "analyzer exited 2" in text
    assert restarts(log_path) == {}
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    started = [line["service"] for line in lines if line.get("event") == "service process started"]
    assert sorted(started) == ["analyzer", "ingest"]  # started once each, never again
    # the other service is stopped too (its exit code depends on how far its start had got)
    stopped = [line["service"] for line in lines if line.get("event") == "service process stopped"]
    assert stopped == ["ingest"]


def test_dev_demo_fills_the_console_within_a_minute(tmp_path: Path) -> None:
    """``alertorch dev --demo`` as a newcomer runs it: the token it prints opens the console,
    which within a minute shows the demo's problems, one fix awaiting approval, a storm folded
    into one problem, a problem resolved by its source, and notifications in the inbox."""
    broker_port, base_port = free_port(), free_port_block(len(SERVICES))
    console = f"http://127.0.0.1:{base_port + list(SERVICES).index('api')}"
    out = tmp_path / "out.log"
    with (
        out.open("w") as stdout,
        (tmp_path / "err.log").open("w") as stderr,
        running_dev(
            "--demo",
            broker_port=broker_port,
            base_port=base_port,
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        ) as process,
    ):
        deadline = time.monotonic() + 120  # the services start (slower on a busy machine)
        while "demo: console" not in out.read_text():
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.5)
        [token] = re.findall(r"token (ao_\S+)", out.read_text())
        headers = {"Authorization": f"Bearer {token}"}
        alerts: dict[str, Any] = {}
        deadline = time.monotonic() + 90  # the demo plays for about 40 s
        while time.monotonic() < deadline:
            answer = httpx.get(f"{console}/api/v1/alerts", headers=headers, timeout=5).json()
            alerts = {item["title"]: item for item in answer["items"]}
            statuses = {(item.get("resolution") or {}).get("status") for item in alerts.values()}
            if len(alerts) >= 6 and {"awaiting_approval", "resolved_by_source"} <= statuses:
                break
            time.sleep(1)
        assert "demo: done, 211 requests accepted by ingest" in out.read_text()
        assert len(alerts) == 6, sorted(alerts)
        storm = alerts["Redis timeout on cache-01 after 2000 ms"]
        assert storm["occurrences"] == 200
        database = next(a for t, a in alerts.items() if t.startswith("OperationalError"))
        assert database["resolution"]["status"] == "awaiting_approval"
        disk = alerts["Disk usage above 90% on db-2"]
        assert disk["status"] == "resolved"
        inbox = httpx.get(f"{console}/api/v1/inbox", headers=headers, timeout=5).json()["items"]
        assert len(inbox) >= 5
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
