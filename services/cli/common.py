"""Pieces every subcommand uses: config loading with readable errors, logging set-up."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shared.config import Settings, config_dir_from_env, load_settings
from shared.config.layers import CONFIG_FILE_VARIABLE
from shared.errors import BrokerUnavailable, ConfigError
from shared.kafka.admin import wait_for_broker
from shared.logging import configure_logging


class _ConfigFile(argparse.Action):
    """``--config FILE``: that file is the config.yaml (under any name), and its folder gives
    the other files. Exported for everything the process loads later and starts."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        value: object,
        option: str | None = None,
    ) -> None:
        path = Path(str(value))
        if not path.is_file():
            parser.error(f"--config {path}: no such file")
        os.environ[CONFIG_FILE_VARIABLE] = str(path.resolve())
        namespace.config_dir = path.resolve().parent


def add_config_dir(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--config",
        action=_ConfigFile,
        metavar="FILE",
        help="a config.yaml to use (under any name); error_patterns.json, escalation_rules.yaml "
        "and environments/ come from its folder",
    )
    where.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="folder with config.yaml, error_patterns.json, escalation_rules.yaml "
        "(default: $ALERTORCH_CONFIG_DIR, else ./config when it exists, else the defaults "
        "shipped with alertorch; `alertorch init` writes an editable copy)",
    )


def add_broker_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broker-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the broker (default 10)",
    )


def settings_or_exit(config_dir: Path | None) -> Settings:
    """Load settings; on a config error print each problem and exit 2.

    An explicit ``--config-dir`` is exported as ``ALERTORCH_CONFIG_DIR`` so that everything the
    process loads later (error patterns, escalation rules) and the processes it starts read the
    same folder.
    """
    if config_dir is not None:
        os.environ["ALERTORCH_CONFIG_DIR"] = str(config_dir.resolve())
    try:
        settings = load_settings(config_dir or config_dir_from_env())
    except ConfigError as exc:
        configure_logging()
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.system.log_level)
    return settings


async def broker_reached(bootstrap: str, timeout: float) -> bool:
    """Whether the broker at ``bootstrap`` answers within ``timeout`` seconds; when it does
    not, why is said on stderr (the command then exits 1)."""
    try:
        await wait_for_broker(bootstrap, timeout=timeout)
    except BrokerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True
