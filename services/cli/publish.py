"""``alertorch publish``: publish a custom alert to ``errors.raw`` from flags or a JSON file."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from services.cli.common import add_broker_timeout, add_config_dir, broker_reached, settings_or_exit
from shared.errors import InvalidMessage
from shared.events import RawError, lift_custom_alert
from shared.kafka.producer import EventProducer
from shared.topics import ERRORS_RAW

PRODUCER = "/alertorch/cli"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "publish",
        help="publish a custom alert to errors.raw",
        description="Publish a custom alert from flags, or from --file (one JSON object or a "
        "list of them; '-' reads standard input). Prints one JSON line per published event.",
    )
    parser.add_argument("--file", help="JSON file with the alert(s); '-' for standard input")
    parser.add_argument("--title", help="what happened (required without --file)")
    parser.add_argument("--severity", help="critical, high, medium, low, info (or a Sentry level)")
    parser.add_argument("--source", help="the system raising the alert")
    parser.add_argument("--message", help="details")
    parser.add_argument("--environment", help="production, staging, ...")
    parser.add_argument(
        "--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag; repeat for more"
    )
    parser.add_argument("--dedup-key", help="groups alerts that share it into one problem")
    parser.add_argument("--url", help="a link back to the source")
    add_broker_timeout(parser)
    add_config_dir(parser)
    parser.set_defaults(run=run)


def _from_flags(args: argparse.Namespace) -> dict[str, Any]:
    tags = {}
    for item in args.tag:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --tag {item!r}: expected KEY=VALUE")
        tags[key] = value
    fields = {
        "title": args.title,
        "severity": args.severity,
        "source": args.source,
        "message": args.message,
        "environment": args.environment,
        "dedup_key": args.dedup_key,
        "url": args.url,
        "tags": tags or None,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _from_file(name: str) -> list[Any]:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as exc:
        raise SystemExit(f"error: {name}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: {name}:{exc.lineno}:{exc.colno}: {exc.msg}") from None
    return document if isinstance(document, list) else [document]


def build_events(args: argparse.Namespace) -> list[RawError]:
    """Validate every alert before anything is published (all or nothing)."""
    items = _from_file(args.file) if args.file else [_from_flags(args)]
    events, problems = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"alert {index}: expected a JSON object")
            continue
        try:
            events.append(lift_custom_alert(item, origin="custom", producer=PRODUCER))
        except InvalidMessage as exc:
            problems.append(f"alert {index}: {exc.reason}" if len(items) > 1 else exc.reason)
    if problems:
        raise SystemExit("\n".join(f"error: {p}" for p in problems))
    return events


def run(args: argparse.Namespace) -> int:
    events = build_events(args)
    settings = settings_or_exit(args.config_dir)

    async def main() -> int:
        bootstrap = settings.kafka_bootstrap_servers
        if not await broker_reached(bootstrap, args.broker_timeout):
            return 1
        producer = EventProducer(
            bootstrap_servers=bootstrap,
            service="cli",
            enable_idempotence=settings.kafka.enable_idempotence,
        )
        await producer.start()
        try:
            for event in events:
                await producer.publish(ERRORS_RAW, event, key=event.data.fingerprint)
                print(
                    json.dumps(
                        {"topic": ERRORS_RAW, "id": event.id, "fingerprint": event.data.fingerprint}
                    ),
                    flush=True,
                )
        finally:
            await producer.stop()
        return 0

    return asyncio.run(main())
