"""The strategy catalog: ``auto_resolution.strategies`` in config.yaml binds each intent name a
pattern uses (``restart_database_service``, ``clear_disk_space``, ...) to one executor with its
target and parameters. A name with no binding means ``no_strategy``, never a crash.

    auto_resolution:
      strategies:
        restart_database_service:
          executor: restart_service
          target: {namespace: prod, deployment: pgbouncer}
          max_per_hour: 3
        clear_disk_space:
          executor: http_action
          safety_level: safe
          target: {url: "https://runbooks.internal/disk/clean", method: POST}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError

from services.resolver.executors.url_template import url_problem
from shared.errors import AlertorchError
from shared.events import SafetyLevel
from shared.models import StrictFrozenModel

BUILT_IN_EXECUTORS: dict[str, SafetyLevel] = {
    "restart_service": "moderate",
    "scale_up": "moderate",
    "rollback_deployment": "risky",
    "http_action": "moderate",
    "create_github_issue": "safe",
    "create_jira_issue": "safe",
}

ActionKind = Literal["service_restart", "config_change", "dependency_update", "other"]
KIND_OF_EXECUTOR: dict[str, ActionKind] = {
    "restart_service": "service_restart",
    "rollback_deployment": "service_restart",
    "scale_up": "config_change",
    "http_action": "other",
    "create_github_issue": "other",
    "create_jira_issue": "other",
}


class CatalogEntry(StrictFrozenModel):
    executor: str = Field(min_length=1)
    safety_level: SafetyLevel | None = Field(
        default=None, description="Defaults to the executor's own level."
    )
    kind: ActionKind | None = Field(
        default=None, description="Counted against auto_resolution production restrictions."
    )
    target: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    max_per_hour: int = Field(default=3, ge=0, description="Per strategy and target.")
    verify_minutes: float = Field(default=5.0, gt=0)
    fallback: tuple[str, ...] = Field(
        default=(),
        description="Strategies (catalog names) to try in order when this one fails or is "
        "rolled back after a failed verification; the lists of those are not followed.",
    )

    def target_key(self) -> str:
        """A stable name for the target (rate limits and breakers are per strategy and target)."""
        if not self.target:
            return "-"
        return ",".join(f"{k}={self.target[k]}" for k in sorted(self.target))


class CatalogError(AlertorchError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_catalog(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, CatalogEntry]:
    """Validate every entry; raise :class:`CatalogError` listing each problem by name."""
    entries: dict[str, CatalogEntry] = {}
    problems: list[str] = []
    for name, body in raw.items():
        try:
            entries[name] = CatalogEntry.model_validate(body)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                field = ".".join(str(p) for p in err["loc"])
                problems.append(f"auto_resolution.strategies.{name}.{field}: {err['msg']}")
    for name, entry in entries.items():
        problems.extend(
            f"auto_resolution.strategies.{name}.{field}: {message}"
            for field, message in entry_problems(name, entry, raw)
        )
    if problems:
        raise CatalogError(problems)
    return entries


def entry_problems(
    name: str, entry: CatalogEntry, catalog: Mapping[str, object]
) -> list[tuple[str, str]]:
    """What a valid entry gets wrong beside the others: (field, message) pairs."""
    return _fallback_problems(name, entry, catalog) + _request_problems(entry)


def _fallback_problems(
    name: str, entry: CatalogEntry, catalog: Mapping[str, object]
) -> list[tuple[str, str]]:
    found = [
        ("fallback", f"{other!r} is not in the catalog")
        for other in entry.fallback
        if other not in catalog
    ]
    if name in entry.fallback:
        found.append(("fallback", f"{name!r} names itself"))
    if len(set(entry.fallback)) < len(entry.fallback):
        found.append(("fallback", "a strategy is named twice"))
    return found


def _request_problems(entry: CatalogEntry) -> list[tuple[str, str]]:
    """An ``http_action``'s URLs (the target's and its rollback's) must be fixed in scheme and
    host: error text fills the rest (see :mod:`services.resolver.executors.url_template`)."""
    if entry.executor != "http_action":
        return []
    found = []
    rollback = entry.params.get("rollback")
    for where, spec in (("target", entry.target), ("params.rollback", rollback)):
        url = spec.get("url") if isinstance(spec, Mapping) else None
        if url is not None and (problem := url_problem(str(url))):
            found.append((f"{where}.url", problem))
    return found


def safety_of(entry: CatalogEntry, custom_levels: Mapping[str, SafetyLevel]) -> SafetyLevel | None:
    """The entry's safety level, or None when its executor is unknown."""
    if entry.safety_level is not None:
        return entry.safety_level
    return BUILT_IN_EXECUTORS.get(entry.executor) or custom_levels.get(entry.executor)


def unbound_strategies(
    pattern_strategies: Mapping[str, str], catalog: Mapping[str, Any]
) -> list[str]:
    """Warnings for patterns whose ``resolution_strategy`` has no catalog entry."""
    return [
        f"pattern {pattern_id}: resolution_strategy {name!r} is not bound in "
        "auto_resolution.strategies (its errors will get no_strategy)"
        for pattern_id, name in sorted(pattern_strategies.items())
        if name and name not in catalog
    ]
