"""Run our CLI and services as real processes, the way users and containers run them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

#: Bytes in a mebibyte.
MIB = 1024 * 1024


def cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    input_text: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``alertorch ARGS`` (in ``cwd``, else here) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_text,
        check=False,
    )


def wait_http(url: str, *, status: int = 200, timeout: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: object = None
    # One client for every try: a new one each time (``httpx.get``) loads the TLS trust store,
    # ~70 ms of CPU, which polled ten times a second takes the CPU the process needs to start.
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                response = client.get(url)
                if response.status_code == status:
                    return response
                last = response.status_code
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s (last: {last})")


class ServiceProcess:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_bytes(self) -> int:
        """The process's peak resident memory so far (Linux ``VmHWM``)."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM in /proc status")

    @contextmanager
    def bounded_growth(self, limit: int) -> Iterator[None]:
        """The block must raise the process's peak resident memory by less than ``limit``
        bytes."""
        before = self.peak_rss_bytes()
        yield
        grown = self.peak_rss_bytes() - before
        assert grown < limit, f"the peak resident memory grew by {grown} bytes"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


@contextmanager
def reaped(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """``process`` for the block; killed at its end if the test has not stopped it, and its
    stdout pipe (if any) closed."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


@contextmanager
def running_service(
    name: str, *, bootstrap: str, env: dict[str, str] | None = None, ready: bool = True
) -> Iterator[ServiceProcess]:
    """Start ``alertorch NAME --port P`` and wait until ``/readyz`` answers 200."""
    port = free_port_block(1)
    started = subprocess.Popen(
        [sys.executable, "-m", "services.cli", name, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,
        text=True,
    )
    with reaped(started) as process:
        service = ServiceProcess(process, port)
        if ready:
            wait_http(f"{service.url}/readyz", timeout=60)
        yield service


@contextmanager
def two_replicas(name: str, *, bootstrap: str, env: dict[str, str]) -> Iterator[ServiceProcess]:
    """Two replicas of service ``name`` in one consumer group (:func:`running_service`); yields
    the first, the one a test stops."""
    with (
        running_service(name, bootstrap=bootstrap, env=env) as first,
        running_service(name, bootstrap=bootstrap, env=env),
    ):
        yield first


@contextmanager
def running_dev(
    *args: str,
    broker_port: int,
    base_port: int,
    cwd: Path | None = None,
    stdout: Any = subprocess.DEVNULL,
    stderr: Any = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """``alertorch dev`` on its own embedded broker (no KAFKA_BOOTSTRAP_SERVERS), as a user
    starts it (with ``env`` over the test's environment); killed at the end if the test has not
    stopped it."""
    env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    started = subprocess.Popen(
        [
            *(sys.executable, "-m", "services.cli", "dev"),
            *("--broker-port", str(broker_port), "--base-port", str(base_port), *args),
        ],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=stderr,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    with reaped(started) as process:
        yield process


#: Ports :func:`free_port_block` has handed out in this process, never handed out again: a test
#: may choose two blocks before either is bound.
_HANDED_OUT: set[int] = set()


def _worker_ports() -> range:
    """This test worker's share of 20000-32000: under pytest-xdist each worker draws from its
    own slice, so two tests running side by side can never choose the same port (a port chosen
    is bound later, by the process it is given to)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker) if worker.isdigit() else 0
    width = 12000 // max(workers, 1)
    return range(20000 + index * width, 20000 + (index + 1) * width)


def free_port_block(count: int) -> int:
    """First of ``count`` consecutive free ports, below Linux's ephemeral range (32768+), so
    outgoing connections made meanwhile cannot take them, from this worker's own slice
    (:func:`_worker_ports`) and never handed out before in this process."""
    import random
    import socket

    ports = _worker_ports()
    for _ in range(200):
        base = random.randrange(ports.start, ports.stop - count)
        block = range(base, base + count)
        if _HANDED_OUT.intersection(block):
            continue
        sockets = []
        try:
            for port in block:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            _HANDED_OUT.update(block)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports found")
