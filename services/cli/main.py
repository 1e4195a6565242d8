"""``alertorch``: one command line for the broker, every service, and the operator tools."""

from __future__ import annotations

import argparse
import sys

from services.cli import healthcheck
from services.cli.registry import SERVICES


def build_parser() -> argparse.ArgumentParser:
    # Imported here: ``alertorch healthcheck`` runs every few seconds and needs none of them.
    from services.api import cli as api_cli
    from services.cli import (
        broker,
        config_show,
        db,
        dev,
        dlq,
        health,
        init,
        oncall,
        publish,
        replay,
        schemas,
        serve,
        validate,
    )

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
    config_show.add_parsers(sub)
    schemas.add_parsers(sub)
    db.add_parsers(sub)
    dlq.add_parsers(sub)
    replay.add_parsers(sub)
    init.add_parsers(sub)
    healthcheck.add_parsers(sub)
    health.add_parsers(sub)
    oncall.add_parsers(sub)
    api_cli.add_parsers(sub)
    return parser


def _service_parser() -> argparse.ArgumentParser:
    """``alertorch <service>`` alone: a service's process loads its own code only (every other
    command's modules are left unimported, so it starts sooner)."""
    from services.cli import serve

    parser = argparse.ArgumentParser(prog="alertorch")
    serve.add_parsers(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["healthcheck"]:
        probe = argparse.ArgumentParser(prog="alertorch healthcheck", description=healthcheck.HELP)
        healthcheck.add_arguments(probe)
        return healthcheck.run(probe.parse_args(words[1:]))
    args = (_service_parser() if words[:1] and words[0] in SERVICES else build_parser()).parse_args(
        words
    )
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
