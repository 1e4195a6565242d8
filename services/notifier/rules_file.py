"""``config/escalation_rules.yaml``: loading, level references, typed model, compiled conditions.

Every level a rule names (``immediate_level``, ``escalate_to_level``, ``minimum_level``,
``max_level``, ``max_escalation_level``) must be one of the ``escalation_levels`` defined
(``level_0`` ... ``level_N``). Every condition is compiled here, at load time, so a bad
expression is a :class:`ConfigError` naming the file, the line and the column in the expression.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from services.notifier.expr import ExpressionError
from services.notifier.policy.model import EscalationPolicy
from shared.config.yaml_lines import LineMap, Loc, load_yaml
from shared.errors import ConfigError

RULES_FILE = "escalation_rules.yaml"
LEVEL_KEY = re.compile(r"^level_(\d+)$")
LEVEL_REFERENCES = (
    "immediate_level",
    "escalate_to_level",
    "minimum_level",
    "max_level",
    "max_escalation_level",
)


def _walk(value: Any, loc: Loc) -> list[tuple[Loc, Any]]:
    found: list[tuple[Loc, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in LEVEL_REFERENCES:
                found.append(((*loc, key), item))
            found.extend(_walk(item, (*loc, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_walk(item, (*loc, index)))
    return found


def _defined_levels(document: dict[str, Any]) -> set[int]:
    raw_levels = document.get("escalation_levels")
    if not isinstance(raw_levels, dict):
        return set()
    return {int(m.group(1)) for key in raw_levels if (m := LEVEL_KEY.match(str(key)))}


def _reference_problems(document: dict[str, Any], lines: LineMap) -> list[str]:
    levels = _defined_levels(document)
    if not levels:
        return []
    problems: list[str] = []
    defined = ", ".join(str(n) for n in sorted(levels))
    for loc, value in _walk(document, ()):
        dotted = ".".join(str(p) for p in loc)
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{lines.where(loc)}: {dotted}: expected a level number, got {value!r}")
        elif value not in levels:
            problems.append(
                f"{lines.where(loc)}: {dotted}: unknown escalation level "
                f"{value} (defined: {defined})"
            )
    return problems


def _message(err: ErrorDetails) -> str:
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, ExpressionError):
        source = err.get("input")
        return f"invalid condition {source!r}: {cause}"
    return str(err["msg"]).removeprefix("Value error, ")


ACTION_TAGS = frozenset(
    {
        "auto_resolve",
        "slack_notification",
        "email_notification",
        "pagerduty_alert",
        "phone_call",
        "incident_creation",
        "github_issue",
        "jira_issue",
    }
)


def _without_union_tags(loc: tuple[str | int, ...]) -> Loc:
    """Discriminated unions put the tag (``slack_notification``) after the list index."""
    return tuple(
        part
        for index, part in enumerate(loc)
        if not (part in ACTION_TAGS and index > 0 and isinstance(loc[index - 1], int))
    )


def _validate(
    document: dict[str, Any], lines: LineMap, skip: set[Loc]
) -> tuple[EscalationPolicy | None, list[str]]:
    try:
        return EscalationPolicy.model_validate(document), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = _without_union_tags(err["loc"])
            if any(loc[: len(s)] == s for s in skip):
                continue  # already reported as a level reference problem
            dotted = ".".join(str(p) for p in loc)
            problems.append(f"{lines.where(loc)}: {dotted}: {_message(err)}")
        return None, problems


def load_rules(path: Path) -> EscalationPolicy:
    """Load and check the rules file; raise :class:`ConfigError` listing every problem."""
    document, lines = load_yaml(path)
    if not isinstance(document, dict):
        raise ConfigError([f"{path}:1: expected a mapping at the top level"])
    problems = _reference_problems(document, lines)
    skip = {loc for loc, _ in _walk(document, ())} if problems else set()
    policy, model_problems = _validate(document, lines, skip)
    problems += model_problems
    if problems or policy is None:
        raise ConfigError(problems or [f"{path}: invalid rules file"])
    return policy
