"""The resolver's library surface: AutoResolver.resolve_error(), rollback_resolution(),
get_resolution_history(), with a custom strategy registered the way users register one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from services.resolver import (
    AutoResolver,
    ErrorContext,
    ResolutionStrategy,
    StrategyResult,
    register_custom_strategy,
)
from services.resolver.registry import unregister_custom_strategy
from shared.clock import ManualClock
from shared.config import load_settings
from tests.fakes.github import FakeGitHub
from tests.fakes.server import serving
from tests.resolver_helpers import FixedOutcome, bind_strategy, classified_data


class PoolResize(ResolutionStrategy):
    def __init__(self) -> None:
        super().__init__(
            name="pool_resize",
            description="Grow the connection pool",
            confidence=0.9,
            safety_level="safe",
        )
        self.size = 10
        self.executed = 0

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        self.executed += 1
        before, self.size = self.size, self.size * 2
        return StrategyResult(
            success=True, message=f"pool {before} -> {self.size}", rollback_data={"size": before}
        )

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        self.size = int(result.rollback_data["size"])
        return StrategyResult(success=True, message=f"pool back to {self.size}")


@pytest.fixture
def pool() -> Iterator[PoolResize]:
    strategy = PoolResize()
    register_custom_strategy(strategy)
    yield strategy
    unregister_custom_strategy(strategy.name)


async def test_resolve_verify_and_roll_back(
    pool: PoolResize, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES",
        json.dumps({"increase_connection_pool": {"executor": "pool_resize", "verify_minutes": 1}}),
    )
    clock = ManualClock()
    resolver = AutoResolver(load_settings(), clock=clock)
    try:
        statuses = await resolver.resolve_error(classified_data())
        assert statuses == ["auto_resolving", "executing", "verifying"]
        assert pool.size == 20
        clock.advance(61)
        await resolver.check_timers()
        history = resolver.get_resolution_history(classified_data().fingerprint)
        assert history[0].status == "succeeded"
        assert await resolver.rollback_resolution(history[0].attempt_id, actor="U-alice")
        assert pool.size == 10
        assert resolver.get_resolution_history()[0].status == "rolled_back"
        assert pool.executed == 1
        assert not await resolver.rollback_resolution("att_unknown")
    finally:
        await resolver.close()


async def test_unbound_strategy_is_no_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTORCH_AUTO_RESOLUTION__STRATEGIES", "{}")
    resolver = AutoResolver(load_settings())
    try:
        assert await resolver.resolve_error(classified_data()) == ["no_strategy"]
    finally:
        await resolver.close()


async def test_github_issue_opens_once_per_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGitHub()
    with serving(fake.app()) as url:
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("ALERTORCH_INTEGRATIONS__GITHUB__API_URL", url)
        bind_strategy(monkeypatch, "create_github_issue", {"repository": "acme/web"})
        clock = ManualClock()
        resolver = AutoResolver(load_settings(), clock=clock)
        try:
            first = await resolver.resolve_error(classified_data())
            again = await resolver.resolve_error(classified_data())
            clock.advance(301)
            await resolver.check_timers()
            later = await resolver.resolve_error(classified_data())
            history = resolver.get_resolution_history()
        finally:
            await resolver.close()
    assert first == ["auto_resolving", "executing", "verifying"]
    assert again == ["suppressed"]
    assert later == ["suppressed"]
    assert history[0].status == "succeeded"
    assert len(fake.issues) == 1


async def test_a_fallback_nobody_approves_in_time_lets_the_next_one_run(
    pool: PoolResize, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = FixedOutcome("broken", "Always fails", success=False, message="no luck")
    register_custom_strategy(broken)
    monkeypatch.setenv(
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES",
        json.dumps(
            {
                "increase_connection_pool": {
                    "executor": "broken",
                    "fallback": ["risky_pool", "safe_pool"],
                },
                "risky_pool": {"executor": "pool_resize", "safety_level": "risky"},
                "safe_pool": {"executor": "pool_resize", "verify_minutes": 1},
            }
        ),
    )
    clock = ManualClock()
    resolver = AutoResolver(load_settings(), clock=clock)
    try:
        statuses = await resolver.resolve_error(classified_data())
        assert statuses == ["auto_resolving", "executing", "failed", "awaiting_approval"]
        assert pool.executed == 0
        clock.advance(61 * 60)  # past operation.approval_timeout_minutes (60)
        await resolver.check_timers()
        history = resolver.get_resolution_history(classified_data().fingerprint)
        assert {(a.strategy, a.status) for a in history} == {
            ("safe_pool", "verifying"),
            ("risky_pool", "expired"),
            ("increase_connection_pool", "failed"),
        }
        assert pool.executed == 1
    finally:
        await resolver.close()
        unregister_custom_strategy(broken.name)
