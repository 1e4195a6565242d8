"""``alertorch broker`` (run the embedded broker) and ``alertorch topics`` (create every topic)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from services.cli.common import add_config_dir, broker_reached, settings_or_exit
from shared.errors import BrokerStartError
from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    broker = sub.add_parser("broker", help="run the embedded Kafka-protocol broker (Tansu)")
    broker.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    broker.add_argument("--port", type=int, default=9092, help="listen port (default 9092)")
    _add_topic_options(broker, per="topic")
    broker.set_defaults(run=run_broker)

    topics = sub.add_parser(
        "topics", help="create every topic and its .dlq twin on $KAFKA_BOOTSTRAP_SERVERS"
    )
    _add_topic_options(topics, per="new topic")
    topics.set_defaults(run=run_topics)


def _add_topic_options(parser: argparse.ArgumentParser, *, per: str) -> None:
    """``--partitions`` (per ``per``; by default the settings' ``kafka.topic_partitions``) and
    ``--config-dir`` (where those settings are)."""
    parser.add_argument(
        "--partitions",
        type=int,
        default=None,
        help=f"partitions per {per} (default: kafka.topic_partitions, 6)",
    )
    add_config_dir(parser)


async def wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def run_broker(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    partitions = args.partitions or settings.kafka.topic_partitions
    log_path = Path(settings.storage.data_directory) / "broker.log"

    async def main() -> int:
        broker = EmbeddedBroker(host=args.host, port=args.port, log_path=log_path)
        try:
            await broker.start()
        except BrokerStartError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        try:
            await ensure_topics(broker.bootstrap_servers, partitions=partitions)
            print(f"broker ready at {broker.bootstrap_servers} (Ctrl-C to stop)", flush=True)
            await wait_for_signal()
        finally:
            broker.stop()
        return 0

    return asyncio.run(main())


def run_topics(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    partitions = args.partitions or settings.kafka.topic_partitions
    bootstrap = settings.kafka_bootstrap_servers

    async def main() -> int:
        if not await broker_reached(bootstrap, 15.0):
            return 1
        result = await ensure_topics(
            bootstrap,
            partitions=partitions,
            replication_factor=settings.kafka.replication_factor,
        )
        for name in result.created:
            print(f"created {name} ({partitions} partitions)")
        for name in result.existing:
            print(f"exists  {name}")
        return 0

    return asyncio.run(main())
