"""A real PostgreSQL for tests: ``ALERTORCH_TEST_POSTGRES_URL`` when given, else a throwaway
cluster from the machine's PostgreSQL binaries (Debian's ``postgresql`` package) in a temporary
directory on a free port. ``initdb`` refuses to run as root, so as root it runs as ``postgres``."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from shared.kafka.embedded import free_port


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(
            "PostgreSQL is not installed: apt-get install postgresql, or set "
            "ALERTORCH_TEST_POSTGRES_URL to a server the tests may create databases on"
        )
    return Path(initdb).resolve().parent


class LocalPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="alertorch-pg-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        bindir, data = _bindir(), self.directory / "data"
        self._run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        self._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.directory / "server.log"),
            "start",
        )

    def stop(self) -> None:
        subprocess.run(
            [
                *self._as,
                str(_bindir() / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
