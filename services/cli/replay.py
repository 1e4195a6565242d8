"""``alertorch replay``: what a change of patterns, rules or settings would have done, before
it ships. See docs/replay.md.

Reads the window's history off the broker (no consumer group; see
:mod:`services.cli.replay_read`), replays it twice offline, once with the running configuration
and once with the candidate (:mod:`services.cli.replay_simulate`), and prints the difference
beside what really happened (:mod:`services.cli.replay_diff`). Nothing is published. Exit 0;
1 when a stated budget is exceeded; 2 on bad input (options, config files, the broker).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.cli.common import add_broker_timeout
from services.cli.dlq import DlqError
from services.cli.replay_diff import compare
from services.cli.replay_history import build_history
from services.cli.replay_read import EVERY_PARTITION, ReplayError, Window, read_window
from services.cli.replay_render import render
from services.cli.replay_setup import load_setup
from services.cli.replay_simulate import Setup, simulate
from services.resolver.app import build_strategies
from shared.config import Settings, config_dir_from_env, load_settings
from shared.durations import parse_duration
from shared.errors import BrokerUnavailable, ConfigError
from shared.kafka.admin import wait_for_broker
from shared.logging import configure_logging

DEFAULT_SINCE = "24h"
#: The broker answers a fetch at once with what it has: a replay reads history, never waits.
FETCH_WAIT_MS = 50


def _when(text: str) -> float | datetime:
    """A duration back from now (``24h``, ``7d``) or an ISO 8601 time with its zone."""
    try:
        return parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a duration (90m, 24h, 7d) or an ISO 8601 time "
            "(2026-03-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give the time zone (Z or +02:00)")
    return moment


def _offset(text: str) -> tuple[int, int]:
    """``N`` (every partition) or ``PARTITION:N``."""
    partition, sep, offset = text.strip().rpartition(":")
    if offset.isdigit() and (not sep or partition.isdigit()):
        return (int(partition) if sep else EVERY_PARTITION), int(offset)
    raise argparse.ArgumentTypeError(f"{text!r}: expected OFFSET or PARTITION:OFFSET, e.g. 0:1200")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, 0 or more")
    return int(text)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "replay errors.raw with candidate patterns, rules or settings and show what changes"
    parser = sub.add_parser("replay", help=text, description=text)
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--since",
        type=_when,
        default=None,
        metavar="WHEN",
        help=f"start of the window: a duration back from now (24h, 7d) or an ISO 8601 time "
        f"with its zone (default {DEFAULT_SINCE})",
    )
    start.add_argument(
        "--from-offset",
        type=_offset,
        action="append",
        metavar="OFFSET",
        help="start errors.raw at an offset instead: N (every partition) or PARTITION:N "
        "(repeat for more partitions; the others are not read)",
    )
    parser.add_argument(
        "--until",
        type=_when,
        default=None,
        metavar="WHEN",
        help="end of the window, as --since (default: now)",
    )
    parser.add_argument("--patterns", type=Path, help="candidate error_patterns.json")
    parser.add_argument("--rules", type=Path, help="candidate escalation_rules.yaml")
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="candidate config folder (config.yaml and, unless --patterns/--rules name others, "
        "its error_patterns.json and escalation_rules.yaml); default: the running one",
    )
    parser.add_argument(
        "--baseline-dir",
        type=Path,
        default=None,
        help="the running config folder to compare with (default: $ALERTORCH_CONFIG_DIR, "
        "else ./config when it exists, else the packaged defaults); it names the broker too",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument(
        "--max-new-pages",
        type=_count,
        metavar="N",
        help="exit 1 when the candidate sends more than N pages the baseline does not "
        "(a page: a new alert or escalation to PagerDuty or to Slack mentioning on-call)",
    )
    parser.add_argument(
        "--max-dropped",
        type=_count,
        metavar="N",
        help="exit 1 when the candidate no longer sends more than N notifications "
        "(any kind, counted per target)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr (default: when stderr is a terminal)",
    )
    add_broker_timeout(parser)
    parser.set_defaults(run=run)


def _moment(when: float | datetime, now: float) -> float:
    return now - when if isinstance(when, float) else when.timestamp()


def _window(args: argparse.Namespace, now: float) -> Window:
    until = _moment(args.until, now) if args.until is not None else now
    if args.from_offset:
        return Window(until=until, offsets=dict(args.from_offset))
    since = _moment(args.since or parse_duration(DEFAULT_SINCE), now)
    if since >= until:
        raise ReplayError("the window is empty: --since must be before --until")
    return Window(until=until, since=since)


def _bar(show: bool | None) -> Progress:
    console = Console(stderr=True, force_terminal=True if show else None)
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (show if show is not None else sys.stderr.isatty()),
    )


async def _setups(
    args: argparse.Namespace, baseline_dir: Path, settings: Settings
) -> tuple[Setup, Setup]:
    """Both configurations; raises :class:`ConfigError`. The resolver's executors are only
    looked at (their safety levels): their clients never connect."""
    async with httpx.AsyncClient() as http, httpx.AsyncClient() as github:
        strategies = build_strategies(settings, http, github)
    baseline = load_setup(baseline_dir, strategies, settings=settings)
    candidate = load_setup(
        args.config_dir or baseline_dir,
        strategies,
        patterns=args.patterns,
        rules=args.rules,
        settings=None if args.config_dir else settings,
    )
    return baseline, candidate


async def _replay(args: argparse.Namespace, settings: Settings, baseline_dir: Path) -> int:
    setups = await _setups(args, baseline_dir, settings)
    bootstrap = settings.kafka_bootstrap_servers
    window = _window(args, time.time())
    await wait_for_broker(bootstrap, timeout=args.broker_timeout)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        client_id="alertorch-replay",
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )
    with _bar(args.progress) as bar:
        reading = bar.add_task("reading", total=0)

        def more(count: int) -> None:
            bar.update(reading, total=(bar.tasks[reading].total or 0) + count)

        await consumer.start()
        try:
            by_topic, start = await read_window(
                consumer, window, (more, lambda n: bar.advance(reading, n))
            )
        finally:
            await consumer.stop()
        history = build_history(by_topic, start=start, end=window.until)
        replaying = bar.add_task("replaying", total=2 * len(history.raw))
        baseline, candidate = (
            simulate(history, setup, lambda n: bar.advance(replaying, n)) for setup in setups
        )
    report = compare(
        history,
        baseline,
        candidate,
        max_new_pages=args.max_new_pages,
        max_dropped=args.max_dropped,
    )
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print("\n".join(render(report)))
    return 1 if report.exceeded else 0


def _problems(problems: Sequence[str]) -> int:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    baseline_dir = args.baseline_dir or config_dir_from_env()
    try:
        settings = load_settings(baseline_dir)
    except ConfigError as exc:
        configure_logging()
        return _problems(exc.problems)
    configure_logging(settings.system.log_level)
    # Every failure is reported once, in one line: not aiokafka's log of each refused connection.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(_replay(args, settings, baseline_dir))
    except ConfigError as exc:
        return _problems(exc.problems)
    except (ReplayError, BrokerUnavailable, DlqError) as exc:
        return _problems([str(exc)])
    except KafkaError as exc:
        return _problems([f"{exc} (broker {settings.kafka_bootstrap_servers})"])
