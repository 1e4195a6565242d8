"""``config/error_patterns.json``: the pattern file's format, loading and validation.

Each pattern is compiled with RE2 (linear-time matching; no backreferences or lookarounds), so a
pattern RE2 cannot compile is a configuration error, reported with file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import re2
from pydantic import ConfigDict, Field, ValidationError

from shared.config.json_lines import LineDict, load_json
from shared.errors import ConfigError
from shared.models import FrozenModel, StrictFrozenModel

PATTERNS_FILE = "error_patterns.json"


class PatternMetadata(FrozenModel):
    model_config = ConfigDict(extra="allow")

    common_causes: list[str] = Field(default_factory=list)
    typical_duration: str | None = None
    business_impact: Literal["critical", "high", "medium", "low"] | None = None
    auto_resolvable: bool = False


class ErrorPattern(StrictFrozenModel):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1)
    pattern: str = Field(min_length=1)
    category: str = Field(min_length=1, max_length=64)
    severity: Literal["critical", "high", "medium", "low", "info"]
    confidence: float = Field(ge=0.0, le=1.0)
    resolution_strategy: str | None = None
    metadata: PatternMetadata = PatternMetadata()
    frequency: int | None = None
    last_seen: str | None = None
    similar_errors: list[str] = Field(default_factory=list)


def re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


def compile_error(pattern: str) -> str | None:
    """RE2's complaint about ``pattern``, or None when it compiles."""
    try:
        re2.compile(pattern, re2_options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return None


def load_patterns(path: Path) -> list[ErrorPattern]:
    """Load and validate the pattern file; raise :class:`ConfigError` listing every problem."""
    document = load_json(path)
    problems: list[str] = []
    if not isinstance(document, LineDict) or not isinstance(document.get("patterns"), list):
        raise ConfigError([f'{path}:1: expected an object with a "patterns" list'])
    patterns: list[ErrorPattern] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(document["patterns"]):
        if not isinstance(raw, LineDict):
            problems.append(f"{path}: patterns[{index}]: expected an object")
            continue
        label = f"pattern {raw.get('id', index)!s}"
        try:
            pattern = ErrorPattern.model_validate(dict(raw))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                field = str(err["loc"][0]) if err["loc"] else ""
                line = raw.line_of_key(field) if field else raw.line
                problems.append(f"{path}:{line}: {label}: {field}: {err['msg']}")
            continue
        error = compile_error(pattern.pattern)
        if error is not None:
            problems.append(
                f"{path}:{raw.line_of_key('pattern')}: {label}: invalid regex "
                f"{pattern.pattern!r}: {error}"
            )
        if pattern.id in seen:
            problems.append(
                f"{path}:{raw.line_of_key('id')}: {label}: duplicate id (first on line "
                f"{seen[pattern.id]})"
            )
        seen.setdefault(pattern.id, raw.line_of_key("id"))
        patterns.append(pattern)
    if problems:
        raise ConfigError(problems)
    return patterns
