"""What the resolver's tests share: the classified error they feed it (the shipped
``errors.classified`` example), the context a strategy is given, a strategy bound to an
executor through the settings, and a custom strategy whose every run ends one way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from shared.events import ClassifiedErrorData

CLASSIFIED_EXAMPLE = (
    Path(__file__).resolve().parents[1]
    / "shared"
    / "examples"
    / "errors.classified"
    / "classified_database.json"
)
#: The strategy the tests bind: :func:`classified_data` asks for it.
STRATEGY = "increase_connection_pool"


def classified_body() -> dict[str, Any]:
    """The whole example event, a fresh copy to change."""
    body: dict[str, Any] = json.loads(CLASSIFIED_EXAMPLE.read_text())
    return body


def classified_data() -> ClassifiedErrorData:
    """The example's data, resolved by :data:`STRATEGY`."""
    body = classified_body()["data"]
    body["resolution_strategy"] = STRATEGY
    return ClassifiedErrorData.model_validate(body)


def bind_strategy(monkeypatch: pytest.MonkeyPatch, executor: str, target: dict[str, str]) -> None:
    """Settings in which :data:`STRATEGY` runs ``executor`` on ``target``."""
    strategies = {STRATEGY: {"executor": executor, "target": target}}
    monkeypatch.setenv("ALERTORCH_AUTO_RESOLUTION__STRATEGIES", json.dumps(strategies))


def error_context(**changes: Any) -> ErrorContext:
    """An out-of-memory error of ``web`` in production; ``changes`` replace fields."""
    fields: dict[str, Any] = {
        "fingerprint": "fp-42",
        "attempt_id": "att-1",
        "category": "memory",
        "title": "OutOfMemoryError: Java heap space",
        "severity": "high",
        "environment": "production",
        "service": "web",
        "confidence": 0.9,
        "dry_run": False,
    }
    fields.update(changes)
    return ErrorContext(**fields)


class FixedOutcome(ResolutionStrategy):
    """A safe custom strategy ``name`` whose every run ends as ``success`` says, with
    ``message``."""

    def __init__(self, name: str, description: str, *, success: bool, message: str) -> None:
        super().__init__(name=name, description=description, confidence=0.9, safety_level="safe")
        self.outcome = StrategyResult(success=success, message=message)

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        return self.outcome
