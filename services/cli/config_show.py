"""``alertorch config show``: the effective configuration, as every service would load it (the
folder's config.yaml, its environment's overlay, the environment variables), secrets masked.
No broker is needed."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import yaml

from services.cli.common import add_config_dir, settings_or_exit
from shared.config import config_dir_from_env
from shared.config.layers import ENVIRONMENT_VARIABLE, read_config
from shared.logging import MASK, secret_key


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="the effective configuration")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    show = verbs.add_parser(
        "show",
        help="print the effective configuration (files, overlay, environment), secrets masked",
    )
    show.add_argument(
        "--environment",
        default=None,
        help=f"the environment whose overlay applies (default: ${ENVIRONMENT_VARIABLE}, else "
        "system.environment)",
    )
    show.add_argument("--json", action="store_true", help="JSON instead of YAML")
    add_config_dir(show)
    show.set_defaults(run=run_show)


def masked(value: Any, key: str = "") -> Any:
    """``value`` with every secret-looking entry masked (non-empty ones only)."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item, key) for item in value]
    if value and key and secret_key(key):
        return MASK
    return value


def run_show(args: argparse.Namespace) -> int:
    if args.environment:
        os.environ[ENVIRONMENT_VARIABLE] = args.environment
    settings = settings_or_exit(args.config_dir)
    folder = args.config_dir or config_dir_from_env()
    sources = read_config(folder).sources
    effective = masked(settings.model_dump(mode="json"))
    if args.json:
        print(json.dumps({"sources": [str(s) for s in sources], "settings": effective}, indent=2))
        return 0
    print("# effective configuration of alertorch, secrets masked")
    for source in sources or ["(no file: defaults and environment variables only)"]:
        print(f"# from {source}")
    print(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True), end="")
    return 0
