"""``config/escalation_rules.yaml``: structure checks and escalation-level references.

Every level a rule names (``immediate_level``, ``escalate_to_level``, ``minimum_level``,
``max_level``, ``max_escalation_level``) must be one of the ``escalation_levels`` defined
(``level_0`` ... ``level_N``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
ActionType = Literal[
    "auto_resolve",
    "slack_notification",
    "email_notification",
    "pagerduty_alert",
    "phone_call",
    "incident_creation",
    "github_issue",
]


class LevelAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    type: ActionType


class EscalationLevel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    timeout_minutes: int = Field(ge=1)
    actions: list[LevelAction] = Field(default_factory=list)


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


def _levels(document: dict[str, Any], lines: LineMap, problems: list[str]) -> set[int]:
    raw_levels = document.get("escalation_levels")
    if not isinstance(raw_levels, dict) or not raw_levels:
        problems.append(
            f"{lines.where(('escalation_levels',))}: escalation_levels: must define "
            "at least one level (level_0, level_1, ...)"
        )
        return set()
    numbers: set[int] = set()
    for key, body in raw_levels.items():
        loc: Loc = ("escalation_levels", key)
        match = LEVEL_KEY.match(str(key))
        if match is None:
            problems.append(
                f"{lines.where(loc)}: escalation_levels.{key}: level names are "
                "level_0, level_1, ..."
            )
            continue
        numbers.add(int(match.group(1)))
        try:
            EscalationLevel.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                sub = (*loc, *err["loc"])
                dotted = ".".join(str(p) for p in sub)
                problems.append(f"{lines.where(sub)}: {dotted}: {err['msg']}")
    return numbers


def load_rules(path: Path) -> dict[str, Any]:
    """Load and check the rules file; raise :class:`ConfigError` listing every problem."""
    document, lines = load_yaml(path)
    if not isinstance(document, dict):
        raise ConfigError([f"{path}:1: expected a mapping at the top level"])
    problems: list[str] = []
    levels = _levels(document, lines, problems)
    if levels:
        defined = ", ".join(str(n) for n in sorted(levels))
        for loc, value in _walk(document, ()):
            dotted = ".".join(str(p) for p in loc)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(
                    f"{lines.where(loc)}: {dotted}: expected a level number, got {value!r}"
                )
            elif value not in levels:
                problems.append(
                    f"{lines.where(loc)}: {dotted}: unknown escalation level "
                    f"{value} (defined: {defined})"
                )
    if problems:
        raise ConfigError(problems)
    return document
