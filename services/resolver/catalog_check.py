"""Checks of the strategy catalog for ``alertorch validate-config``: entry problems (fields,
fallback lists, templated URL hosts) with file and line (errors), unknown executors and pattern
strategies with no binding (warnings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.resolver.catalog import BUILT_IN_EXECUTORS, CatalogEntry, entry_problems
from services.resolver.registry import custom_strategies
from shared.config.yaml_lines import LineMap, load_yaml

BASE = ("auto_resolution", "strategies")


def check_catalog(
    config_path: Path, raw: Mapping[str, Mapping[str, Any]], pattern_strategies: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Return (problems, warnings)."""
    lines = load_yaml(config_path)[1] if config_path.exists() else LineMap(config_path, {})
    problems: list[str] = []
    warnings: list[str] = []
    known = set(BUILT_IN_EXECUTORS) | set(custom_strategies())
    for name, body in raw.items():
        try:
            entry = CatalogEntry.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = (*BASE, name, *err["loc"])
                dotted = ".".join(str(part) for part in loc)
                problems.append(f"{lines.where(loc)}: {dotted}: {err['msg']}")
            continue
        for field, message in entry_problems(name, entry, raw):
            loc = (*BASE, name, *field.split("."))
            problems.append(f"{lines.where(loc)}: {'.'.join(BASE)}.{name}.{field}: {message}")
        if entry.executor not in known:
            where = lines.where((*BASE, name, "executor"))
            warnings.append(
                f"{where}: strategy {name!r}: executor {entry.executor!r} is neither "
                "built in nor a registered custom strategy"
            )
    unbound = sorted({s for s in pattern_strategies if s and s not in raw})
    if unbound:
        warnings.append(
            f"{lines.where(BASE)}: {len(unbound)} strategies named by error patterns are not "
            f"bound in auto_resolution.strategies, so their errors get no_strategy: "
            + ", ".join(unbound)
        )
    return problems, warnings
