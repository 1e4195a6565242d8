"""``alertorch validate-config``: check config.yaml, error_patterns.json, escalation_rules.yaml."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from services.cli.common import add_config_dir
from services.notifier.routes_check import disabled_routes
from services.notifier.rules_file import RULES_FILE, load_rules
from services.resolver.catalog_check import check_catalog
from shared.config import config_dir_from_env, load_settings
from shared.config.inert import inert_keys
from shared.config.layers import config_file, overlays, read_config
from shared.config.sections import Environment
from shared.config.yaml_lines import load_yaml
from shared.errors import ConfigError


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "validate-config",
        help="check the three config files; print file:line for each problem, exit 1 on errors",
    )
    add_config_dir(parser)
    parser.set_defaults(run=run)


def check_config_dir(folder: Path) -> tuple[list[str], list[str], list[str]]:
    """Return (problems, warnings, summaries) for the config files in ``folder``, and for each
    environment overlay in ``folder/environments``."""
    problems: list[str] = []
    warnings: list[str] = []
    summaries: list[str] = []

    def check(path: Path, action: Callable[[Path], str]) -> None:
        if not path.exists():
            problems.append(f"{path}: file not found")
            return
        try:
            summaries.append(f"{path}: ok ({action(path)})")
        except ConfigError as exc:
            problems.extend(exc.problems)

    main = config_file(folder)
    check(main, lambda _: f"environment {load_settings(folder).system.environment}")
    for overlay in overlays(folder):
        check(overlay, lambda path: f"overlay of environment {_overlay_check(folder, path)}")
    check(folder / PATTERNS_FILE, lambda path: f"{len(load_patterns(path))} patterns")
    check(folder / RULES_FILE, lambda path: f"{len(load_rules(path).levels)} levels")
    if not problems:
        settings = load_settings(folder)
        named = [p.resolution_strategy or "" for p in load_patterns(folder / PATTERNS_FILE)]
        found, warned = check_catalog(main, settings.auto_resolution.strategies, named)
        problems.extend(found)
        warnings.extend(warned)
        for environment in [None, *(path.stem for path in overlays(folder))]:
            config = read_config(folder, environment=environment)
            warnings.extend(inert_keys(config.document, config.lines))
        _, rule_lines = load_yaml(folder / RULES_FILE)
        warnings.extend(disabled_routes(load_rules(folder / RULES_FILE), settings, rule_lines))
    return _once(problems), _once(warnings), summaries


def _once(lines: list[str]) -> list[str]:
    """Each line once, in order (a problem of the main file shows in every environment)."""
    return list(dict.fromkeys(lines))


def _overlay_check(folder: Path, overlay: Path) -> str:
    """The effective settings of ``overlay``'s environment load (or raise ConfigError)."""
    known = get_args(Environment)
    if overlay.stem not in known:
        raise ConfigError(
            [f"{overlay}: {overlay.stem!r} is not an environment (one of {', '.join(known)})"]
        )
    load_settings(folder, environment=overlay.stem)
    return overlay.stem


def run(args: argparse.Namespace) -> int:
    folder = args.config_dir or config_dir_from_env()
    problems, warnings, summaries = check_config_dir(folder)
    for line in summaries:
        print(line)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    return 0
