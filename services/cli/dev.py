"""``alertorch dev``: the broker (unless one is configured) and every service, supervised.

Each service runs as its own process, as in production. A service that crashes is restarted with
a growing delay; one that exits 2 (a configuration error, or a store written by a newer build) would
only fail again, so everything stops and ``dev`` exits 2, the service's message above. Ctrl-C (or
SIGTERM) stops the services first (so they finish and commit), then the broker, and exits 0.

Every child reads the configuration folder ``dev`` resolved (``--config-dir``, else
``$ALERTORCH_CONFIG_DIR``, else ``./config`` when it exists, else the packaged defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import structlog

from services.api.app import stores as console_stores
from services.api.tokens import create_token
from services.cli.broker import wait_for_signal
from services.cli.common import add_config_dir, settings_or_exit
from services.cli.demo import Demo, DemoTarget, demo_environment
from services.cli.registry import SERVICES
from shared.config import Settings, config_dir_from_env
from shared.errors import BrokerStartError, BrokerUnavailable
from shared.kafka.admin import ensure_topics, wait_for_broker
from shared.kafka.embedded import EmbeddedBroker, die_with_parent
from shared.storage import open_database

log = structlog.get_logger("alertorch.dev")

STOP_TIMEOUT = 30.0
MAX_RESTART_DELAY = 30.0
#: The supervisor's log event for a service process that died and is restarted.
DIED = "service process died; restarting"
#: A service's exit code for an error a restart cannot fix (configuration, a newer store).
CONFIG_ERROR_EXIT = 2


def restarts(path: Path) -> dict[str, int]:
    """How often the supervisor restarted each service, read back from its log (JSON lines;
    a child's own non-JSON output between them is skipped)."""
    died: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("event") == DIED:
                service = str(record.get("service"))
                died[service] = died.get(service, 0) + 1
    return died


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dev", help="run the broker (unless KAFKA_BOOTSTRAP_SERVERS is set) and every service"
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address of the services")
    parser.add_argument(
        "--broker-port", type=int, default=9092, help="port of the embedded broker (default 9092)"
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="first HTTP port; services take consecutive ports "
        "(default: each service's own, 8001-8004)",
    )
    parser.add_argument(
        "--services",
        default=",".join(SERVICES),
        help=f"comma-separated services to run (default: {','.join(SERVICES)})",
    )
    parser.add_argument("--dry-run", action="store_true", help="run every service in dry-run")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="once the services are up, send a minute of realistic alerts through ingest "
        "(Sentry webhooks, custom alerts, a storm, a regression, a fix awaiting approval) "
        "and print a console token to look at them with",
    )
    add_config_dir(parser)
    parser.set_defaults(run=run)


@dataclass
class Child:
    name: str
    port: int
    argv: list[str]
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    pids: list[int] = field(default_factory=list)
    #: Set when the service exited with :data:`CONFIG_ERROR_EXIT`: it is not restarted.
    fatal_exit: int | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.pids.append(self.process.pid)
        log.info("service process started", service=self.name, pid=self.process.pid, port=self.port)

    async def supervise(self, stopping: asyncio.Event, fatal: asyncio.Event) -> None:
        delay = 1.0
        while not stopping.is_set():
            await self.start()
            assert self.process is not None
            code = await self.process.wait()
            if stopping.is_set():
                return
            if code == CONFIG_ERROR_EXIT:
                self.fatal_exit = code
                log.error(
                    "service exited on a configuration error; not restarting it",
                    service=self.name,
                    exit_code=code,
                )
                fatal.set()
                return
            self.restarts += 1
            log.error(
                DIED,
                service=self.name,
                exit_code=code,
                restart_in_s=delay,
                restarts=self.restarts,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
            delay = min(delay * 2, MAX_RESTART_DELAY)

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            log.error("service did not stop in time; killing", service=self.name)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        log.info("service process stopped", service=self.name, exit_code=process.returncode)


def _children(args: argparse.Namespace, bootstrap: str) -> list[Child]:
    names = [name.strip() for name in args.services.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise SystemExit(f"error: unknown service(s): {', '.join(unknown)}")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    if args.demo:  # secrets for ingest's webhooks and the demo's fix, unless already set
        for variable, value in demo_environment().items():
            env.setdefault(variable, value)
    children = []
    for index, name in enumerate(names):
        port = args.base_port + index if args.base_port else SERVICES[name].default_port
        argv = [
            sys.executable,
            "-m",
            "services.cli",
            name,
            "--host",
            args.host,
            "--port",
            str(port),
        ]
        if args.dry_run:
            argv.append("--dry-run")
        children.append(Child(name=name, port=port, argv=argv, env=env))
    return children


async def _supervise(args: argparse.Namespace, settings: Settings) -> int:
    broker: EmbeddedBroker | None = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    try:
        if bootstrap:
            await wait_for_broker(bootstrap, timeout=30.0)
        else:
            log_path = Path(settings.storage.data_directory) / "broker.log"
            broker = EmbeddedBroker(port=args.broker_port, log_path=log_path)
            await broker.start()
            bootstrap = broker.bootstrap_servers
            log.info("embedded broker running", bootstrap_servers=bootstrap, pid=broker.pid)
        await ensure_topics(
            bootstrap,
            partitions=settings.kafka.topic_partitions,
            replication_factor=settings.kafka.replication_factor,
        )
    except (BrokerStartError, BrokerUnavailable) as exc:
        if broker is not None:
            broker.stop()
        print(f"error: {exc}", file=sys.stderr)
        return 1

    children = _children(args, bootstrap)
    stopping, fatal = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(child.supervise(stopping, fatal)) for child in children]
    for child in children:
        print(f"{child.name:<9} http://{args.host}:{child.port}/healthz", flush=True)
    print(f"broker    {bootstrap}", flush=True)
    print(f"config    {os.environ['ALERTORCH_CONFIG_DIR']}\nCtrl-C stops everything.", flush=True)
    waits = [asyncio.create_task(wait_for_signal()), asyncio.create_task(fatal.wait())]
    demo = asyncio.create_task(_run_demo(args, settings, children)) if args.demo else None
    if demo is not None:
        demo.add_done_callback(_report_demo)
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in [*waits, *([demo] if demo else [])]:
            wait.cancel()
        log.info("stopping services")
        stopping.set()
        await asyncio.gather(*(child.stop() for child in children))
        await asyncio.gather(*tasks, return_exceptions=True)
        if broker is not None:
            broker.stop()
        log.info("all stopped")
    failed = [child for child in children if child.fatal_exit is not None]
    if failed:
        names = ", ".join(child.name for child in failed)
        print(
            f"error: {names} exited {CONFIG_ERROR_EXIT} on an error a restart cannot fix "
            "(its message is above); stopped everything. Fix it, then run `alertorch "
            "validate-config`.",
            file=sys.stderr,
        )
        return CONFIG_ERROR_EXIT
    return 0


async def _ready(client: httpx.AsyncClient, url: str, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(f"{url}/readyz")).status_code == 200:
                return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{url} was not ready within {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def _run_demo(args: argparse.Namespace, settings: Settings, children: list[Child]) -> None:
    by_name = {child.name: child for child in children}
    if "ingest" not in by_name:
        raise RuntimeError("--demo sends through ingest: run it (--services)")
    ingest = f"http://{args.host}:{by_name['ingest'].port}"
    env = by_name["ingest"].env
    target = DemoTarget(ingest, env["ALERT_WEBHOOK_TOKEN"], env["SENTRY_CLIENT_SECRET"])
    async with httpx.AsyncClient(timeout=10.0) as client:
        await _ready(client, ingest)
        console = by_name.get("api")
        if console is not None:
            url = f"http://{args.host}:{console.port}"
            await _ready(client, url)
            [(store, schemas)] = console_stores(settings).items()
            database = await open_database(store, schemas=schemas)
            try:
                made = await create_token(database, role="operator", name="demo")
            finally:
                await database.close()
            print(
                f"demo: console {url}/ui — token {made.token}\n"
                f"      (log in with the token; the API: {url}/docs)\n"
                f"      curl -H 'Authorization: Bearer {made.token}' {url}/api/v1/alerts",
                flush=True,
            )
        sent = await Demo(target, client, say=lambda line: print(line, flush=True)).play()
    print(f"demo: done, {sent} requests accepted by ingest; the services keep running", flush=True)


def _report_demo(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        print(f"demo: stopped: {task.exception()}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    # The children read the folder resolved here, wherever and however they start.
    os.environ["ALERTORCH_CONFIG_DIR"] = str(config_dir_from_env().resolve())
    return asyncio.run(_supervise(args, settings))
