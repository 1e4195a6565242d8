"""``alertorch dev`` as a user runs it: everything starts, answers, and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.cli.registry import SERVICES
from shared.kafka.embedded import free_port
from tests.procs import free_port_block, wait_http

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
    log = (tmp_path / "dev.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "dev",
            "--broker-port",
            str(broker_port),
            "--base-port",
            str(base_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        for port in ports:
            assert (
                wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60).json()["status"] == "ok"
            )
            wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        assert _tansu_on(broker_port), "the embedded broker is not running"
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
        stdout = process.stdout.read() if process.stdout else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        log.close()
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
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                "dev",
                "--broker-port",
                str(broker_port),
                "--base-port",
                str(base_port),
                "--services",
                "ingest",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        try:
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
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "service process died; restarting" in log_path.read_text()


def _started_pids(path: Path) -> list[int]:
    return [
        json.loads(line)["pid"]
        for line in path.read_text().splitlines()
        if line.startswith("{") and '"service process started"' in line
    ]
