"""``alertorch <service>``: run one service with its HTTP surface on ``--port``."""

from __future__ import annotations

import argparse
import sys

from services.cli.common import add_config_dir, settings_or_exit
from services.cli.registry import SERVICES
from shared.errors import ConfigError
from shared.runner.loop import run as run_loop


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for entry in SERVICES.values():
        parser = sub.add_parser(entry.name, help=f"run the {entry.name} service: {entry.summary}")
        parser.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")  # noqa: S104
        parser.add_argument(
            "--port",
            type=int,
            default=entry.default_port,
            help=f"HTTP port for health, metrics, webhooks (default {entry.default_port})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="decide and record everything, change nothing"
        )
        add_config_dir(parser)
        parser.set_defaults(run=run, service=entry.name)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    if args.dry_run:
        settings = settings.with_dry_run()

    async def main() -> int:
        try:
            service = SERVICES[args.service].create(settings)
            return await service.serve(host=args.host, port=args.port)
        except ConfigError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            return 2

    return run_loop(main())
