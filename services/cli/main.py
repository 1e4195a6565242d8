"""``alertorch``: one command line for the broker, every service, and the operator tools."""

from __future__ import annotations

import argparse
import sys

from services.cli import broker, db, dev, dlq, publish, schemas, serve, validate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alertorch",
        description="Alert orchestration: ingest errors, classify them, fix the safe cases, "
        "tell the right people.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dev.add_parsers(sub)
    broker.add_parsers(sub)
    serve.add_parsers(sub)
    publish.add_parsers(sub)
    validate.add_parsers(sub)
    schemas.add_parsers(sub)
    db.add_parsers(sub)
    dlq.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
