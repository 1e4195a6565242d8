"""``alertorch validate-config``: check config.yaml, error_patterns.json, escalation_rules.yaml."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from services.cli.common import add_config_dir
from services.notifier.routes_check import disabled_routes
from services.notifier.rules_file import RULES_FILE, load_rules
from services.resolver.catalog_check import check_catalog
from shared.config import config_dir_from_env, load_settings
from shared.config.inert import inert_keys
from shared.config.settings import CONFIG_FILE
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
    """Return (problems, warnings, summaries) for the config files in ``folder``."""
    problems: list[str] = []
    warnings: list[str] = []
    summaries: list[str] = []

    def check(name: str, action: Callable[[Path], str]) -> None:
        path = folder / name
        if not path.exists():
            problems.append(f"{path}: file not found")
            return
        try:
            summaries.append(f"{path}: ok ({action(path)})")
        except ConfigError as exc:
            problems.extend(exc.problems)

    check(CONFIG_FILE, lambda _: f"environment {load_settings(folder).system.environment}")
    check(PATTERNS_FILE, lambda path: f"{len(load_patterns(path))} patterns")
    check(RULES_FILE, lambda path: f"{len(load_rules(path).levels)} levels")
    if not problems:
        settings = load_settings(folder)
        named = [p.resolution_strategy or "" for p in load_patterns(folder / PATTERNS_FILE)]
        found, warned = check_catalog(
            folder / CONFIG_FILE, settings.auto_resolution.strategies, named
        )
        problems.extend(found)
        warnings.extend(warned)
        document, lines = load_yaml(folder / CONFIG_FILE)
        warnings.extend(inert_keys(document or {}, lines))
        _, rule_lines = load_yaml(folder / RULES_FILE)
        warnings.extend(disabled_routes(load_rules(folder / RULES_FILE), settings, rule_lines))
    return problems, warnings, summaries


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
