"""The strategy API as users write strategies: the seed's example, registration, entry points."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.resolver.registry import (
    StrategyError,
    custom_strategies,
    register_custom_strategy,
    unregister_custom_strategy,
)
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from tests.plugins import install_package
from tests.resolver_helpers import error_context


class CustomDatabaseStrategy(ResolutionStrategy):
    def __init__(self) -> None:
        super().__init__(
            name="custom_database_fix",
            description="Custom strategy for database issues",
            confidence=0.8,
            safety_level="safe",
        )

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        return StrategyResult(success=True, message="Fixed!")

    async def validate(self, error_context: ErrorContext) -> bool:
        return "database" in error_context.get("title", "").lower()


def _context(title: str) -> ErrorContext:
    return error_context(category="database", title=title)


async def test_the_seed_example_registers_and_runs() -> None:
    strategy = CustomDatabaseStrategy()
    register_custom_strategy(strategy)
    try:
        assert custom_strategies()["custom_database_fix"] is strategy
        assert await strategy.validate(_context("Database connection lost"))
        assert not await strategy.validate(_context("Disk full"))
        result = await strategy.execute(_context("Database connection lost"))
        assert result.success
        assert result.message == "Fixed!"
        assert await strategy.verify(_context("x"), result) is None
        assert not strategy.can_roll_back
        assert not (await strategy.rollback(_context("x"), result)).success
    finally:
        unregister_custom_strategy("custom_database_fix")
    assert "custom_database_fix" not in custom_strategies()


def test_bad_strategies_are_refused() -> None:
    with pytest.raises(ValueError, match="safety_level"):
        ResolutionStrategy("x", "", 0.5, "yolo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        ResolutionStrategy("x", "", 1.5, "safe")
    with pytest.raises(StrategyError):
        register_custom_strategy(object())  # type: ignore[arg-type]


async def test_base_execute_must_be_implemented() -> None:
    with pytest.raises(NotImplementedError):
        await ResolutionStrategy("bare", "", 0.5, "safe").execute(_context("x"))


def test_installed_packages_add_strategies_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "from services.resolver.strategy import ResolutionStrategy, StrategyResult\n"
        "class FlushCdn(ResolutionStrategy):\n"
        "    def __init__(self):\n"
        "        super().__init__('flush_cdn', 'Purge the CDN', 0.9, 'safe')\n"
        "    async def execute(self, error_context):\n"
        "        return StrategyResult(success=True)\n"
        "def broken():\n"
        "    raise RuntimeError('plugin bug')\n"
    )
    entry_points = {"flush_cdn": "FlushCdn", "broken": "broken", "missing": "nope"}
    install_package(
        monkeypatch, tmp_path, "acme_fixes", source, "alertorch.strategies", entry_points
    )
    found = custom_strategies()
    assert found["flush_cdn"].safety_level == "safe"
    assert "broken" not in found
