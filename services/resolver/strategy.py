"""The strategy API: what an automated fix is, as users write one.

    class CustomDatabaseStrategy(ResolutionStrategy):
        def __init__(self) -> None:
            super().__init__(name="custom_db_fix", description="...", confidence=0.8,
                             safety_level="safe")

        async def validate(self, error_context: ErrorContext) -> bool: ...
        async def execute(self, error_context: ErrorContext) -> StrategyResult: ...

    register_custom_strategy(CustomDatabaseStrategy())

``verify`` (did the fix work?) and ``rollback`` (undo it) have safe defaults: verification is
left to the resolver's watch of the fingerprint, and a strategy without a rollback says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.events import SAFETY_ORDER, SafetyLevel


@dataclass(frozen=True)
class ErrorContext:
    """What a strategy knows about the problem it is asked to fix."""

    fingerprint: str
    attempt_id: str
    category: str
    title: str
    severity: str
    environment: str | None
    service: str | None
    confidence: float
    dry_run: bool
    target: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style access for strategies written against the seed's ``error_context`` dict."""
        return getattr(self, key, self.details.get(key, default))


@dataclass(frozen=True)
class StrategyResult:
    success: bool
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    rollback_data: Mapping[str, Any] = field(default_factory=dict)


class ResolutionStrategy:
    """Base class of every strategy, built-in or custom.

    ``once_per_problem``: a strategy whose effect lasts (an issue, a ticket) runs at most once
    per fingerprint; later errors of the same problem are suppressed while its attempt stands.
    """

    once_per_problem = False

    def __init__(
        self, name: str, description: str, confidence: float, safety_level: SafetyLevel
    ) -> None:
        if safety_level not in SAFETY_ORDER:
            raise ValueError(f"safety_level must be one of {', '.join(SAFETY_ORDER)}")
        if not 0.0 <= confidence <= 1.0:
            raise ValueError("confidence must be between 0 and 1")
        self.name = name
        self.description = description
        self.confidence = confidence
        self.safety_level: SafetyLevel = safety_level

    async def validate(self, error_context: ErrorContext) -> bool:
        """Whether this strategy applies to the problem (checked before anything runs)."""
        return True

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        raise NotImplementedError(f"strategy {self.name} does not implement execute()")

    async def verify(self, error_context: ErrorContext, result: StrategyResult) -> bool | None:
        """Strategy-specific check after execution; None leaves it to the error-rate watch."""
        return None

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        return StrategyResult(success=False, message=f"strategy {self.name} has no rollback")

    @property
    def can_roll_back(self) -> bool:
        return type(self).rollback is not ResolutionStrategy.rollback
