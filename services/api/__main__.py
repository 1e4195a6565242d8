"""``python -m services.api serve|tokens``: the console until the ``alertorch`` CLI registers
it (``alertorch api``, ``alertorch tokens``); the same code, run the same way."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.api import app, cli
from services.cli.common import add_config_dir, settings_or_exit
from shared.errors import ConfigError

DEFAULT_PORT = 8005


def _serve(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)

    async def main() -> int:
        try:
            return await app.create(settings).serve(host=args.host, port=args.port)
        except ConfigError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            return 2

    return asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.api")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the console: read model, REST API")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address")  # noqa: S104
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    add_config_dir(serve)
    serve.set_defaults(run=_serve)
    cli.add_parsers(sub)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
