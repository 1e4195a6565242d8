"""The resolver's safety gates as pure logic: every gate, in order, with a controllable clock."""

from __future__ import annotations

import pytest

from services.resolver.catalog import (
    CatalogEntry,
    CatalogError,
    load_catalog,
    safety_of,
    unbound_strategies,
)
from services.resolver.gates import (
    Candidate,
    Decision,
    GateState,
    Policy,
    decide,
    limit_key,
    record_start,
)
from services.resolver.limits import CircuitBreaker
from shared.config.resolver import AutoResolutionSection
from shared.ratelimit import SlidingWindow

NOW = 1_800_000_000.0
RESTART = CatalogEntry(
    executor="restart_service", target={"namespace": "prod", "deployment": "web"}
)
ISSUE = CatalogEntry(executor="create_github_issue", target={"repository": "acme/web"})


def _policy(**changes: object) -> Policy:
    fields: dict[str, object] = {
        "auto_resolution": AutoResolutionSection(),
        "auto_approve_up_to": "moderate",
        "max_concurrent": 3,
        "dry_run": False,
    }
    fields.update(changes)
    return Policy(**fields)  # type: ignore[arg-type]


def _candidate(**changes: object) -> Candidate:
    fields: dict[str, object] = {
        "fingerprint": "fp1",
        "strategy": "restart_web",
        "confidence": 0.95,
        "environment": "staging",
    }
    fields.update(changes)
    return Candidate(**fields)  # type: ignore[arg-type]


def _decide(
    candidate: Candidate | None = None,
    entry: CatalogEntry | None = RESTART,
    policy: Policy | None = None,
    state: GateState | None = None,
    now: float = NOW,
) -> Decision:
    entry_level = safety_of(entry, {}) if entry else None
    return decide(
        candidate or _candidate(),
        entry=entry,
        safety_level=entry_level,
        policy=policy or _policy(),
        state=state or GateState(),
        now=now,
    )


def test_a_safe_enough_strategy_runs() -> None:
    decision = _decide()
    assert decision.status == "auto_resolving"
    assert decision.safety_level == "moderate"
    assert decision.gate is None


def test_no_strategy_named_or_bound() -> None:
    assert _decide(_candidate(strategy=None)).status == "no_strategy"
    unbound = _decide(entry=None)
    assert unbound.status == "no_strategy"
    assert "not bound" in unbound.reason
    unknown = _decide(entry=CatalogEntry(executor="teleport"))
    assert unknown.status == "no_strategy"
    assert "unknown" in unknown.reason


def test_snoozed_running_and_low_confidence_are_suppressed() -> None:
    state = GateState(snoozed_until={"fp1": NOW + 60})
    assert _decide(state=state).status == "suppressed"
    assert _decide(state=state, now=NOW + 61).status == "auto_resolving"
    running = _decide(state=GateState(running={"fp1"}))
    assert running.status == "suppressed"
    assert "already running" in running.reason
    low = _decide(_candidate(confidence=0.5))
    assert low.status == "suppressed"
    assert "below 0.80 for moderate" in low.reason


def test_forbidden_actions_are_skipped() -> None:
    section = AutoResolutionSection.model_validate(
        {"safety_settings": {"forbidden_actions": ["restart_web"]}}
    )
    decision = _decide(policy=_policy(auto_resolution=section))
    assert (decision.status, decision.gate) == ("skipped", "forbidden")


def test_rate_limit_per_strategy_and_target() -> None:
    state, policy = GateState(), _policy()
    for i in range(3):
        assert _decide(state=state, now=NOW + i).status == "auto_resolving"
        record_start("restart_web", RESTART, _candidate(), policy, state, NOW + i)
        state.running.clear()
    limited = _decide(state=state, now=NOW + 10)
    assert (limited.status, limited.gate) == ("skipped", "rate_limit")
    assert "3 per hour" in limited.reason
    # Another target of the same strategy has its own budget; an hour later the budget is back.
    other = CatalogEntry(executor="restart_service", target={"deployment": "api"})
    assert _decide(entry=other, state=state, now=NOW + 10).status == "auto_resolving"
    assert _decide(state=state, now=NOW + 3601).status == "auto_resolving"


def test_production_restrictions_and_global_cap() -> None:
    state, policy = GateState(), _policy()
    prod = _candidate(environment="production")
    for deployment in ("a", "b", "c"):
        entry = CatalogEntry(executor="restart_service", target={"deployment": deployment})
        record_start("restart_web", entry, prod, policy, state, NOW)
    state.running.clear()
    fresh = CatalogEntry(executor="restart_service", target={"deployment": "d"})
    decision = _decide(prod, entry=fresh, state=state, now=NOW + 60)
    assert (decision.status, decision.gate) == ("skipped", "rate_limit")
    assert "production limit: 3 service restarts per 30 minutes" in decision.reason
    assert _decide(prod, entry=fresh, state=state, now=NOW + 1801).status == "auto_resolving"
    for i in range(10):
        state.window("global").add(NOW + i)
    capped = _decide(entry=ISSUE, state=state, now=NOW + 20)
    assert "10 automated actions per hour" in capped.reason


def test_circuit_breaker_opens_then_half_opens() -> None:
    state = GateState()
    breaker = state.breaker(limit_key("restart_web", RESTART))
    for _ in range(3):
        breaker.record(success=False, now=NOW)
    assert _decide(state=state, now=NOW + 1).gate == "circuit_open"
    half_open = NOW + breaker.cooldown_seconds
    assert _decide(state=state, now=half_open).status == "auto_resolving"
    breaker.started(half_open)
    assert _decide(state=state, now=half_open + 1).gate == "circuit_open"  # one trial at a time
    breaker.record(success=True, now=half_open + 2)
    assert breaker.state(half_open + 3) == "closed"


def test_breaker_trial_failure_reopens() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown_seconds=60)
    breaker.record(success=False, now=NOW)
    assert breaker.state(NOW) == "closed"
    breaker.record(success=False, now=NOW)
    assert breaker.state(NOW + 59) == "open"
    breaker.started(NOW + 60)
    breaker.record(success=False, now=NOW + 61)
    assert breaker.state(NOW + 62) == "open"


def test_concurrency_cap() -> None:
    state = GateState(running={"a", "b", "c"})
    decision = _decide(state=state)
    assert (decision.status, decision.gate) == ("skipped", "concurrency_cap")


def test_approval_above_auto_approve_level_or_on_the_list() -> None:
    rollback = CatalogEntry(executor="rollback_deployment", target={"deployment": "web"})
    assert _decide(entry=rollback).status == "awaiting_approval"
    assert _decide(policy=_policy(auto_approve_up_to="safe")).status == "awaiting_approval"
    section = AutoResolutionSection.model_validate(
        {"safety_settings": {"approval_required": ["restart_service"]}}
    )
    assert _decide(policy=_policy(auto_resolution=section)).status == "awaiting_approval"
    assert _decide(entry=ISSUE, policy=_policy(auto_approve_up_to="safe")).status == (
        "auto_resolving"
    )


def test_dry_run_decides_everything_and_skips() -> None:
    decision = _decide(policy=_policy(dry_run=True))
    assert (decision.status, decision.gate) == ("skipped", "dry_run")
    assert decision.details == {"would": "auto_resolving"}
    rollback = CatalogEntry(executor="rollback_deployment")
    assert _decide(entry=rollback, policy=_policy(dry_run=True)).details == {
        "would": "awaiting_approval"
    }


def test_rate_window_forgets_old_actions() -> None:
    window = SlidingWindow()
    for i in range(5):
        window.add(NOW + i)
    assert window.count(NOW + 10, 3600) == 5
    assert window.count(NOW + 3605, 3600) == 0
    assert window.count(NOW + 90_000, 3600) == 0
    assert window.times == []


def test_catalog_validation_and_unbound_warnings() -> None:
    catalog = load_catalog(
        {"restart_web": {"executor": "restart_service", "target": {"deployment": "web"}}}
    )
    assert catalog["restart_web"].target_key() == "deployment=web"
    with pytest.raises(CatalogError) as info:
        load_catalog({"bad": {"executor": "restart_service", "max_per_hour": -1, "typo": 1}})
    assert any("bad.max_per_hour" in p for p in info.value.problems)
    assert any("bad.typo" in p for p in info.value.problems)
    warnings = unbound_strategies(
        {"db_refused": "restart_database_service", "web": "restart_web"}, catalog
    )
    assert warnings == [
        "pattern db_refused: resolution_strategy 'restart_database_service' is "
        "not bound in auto_resolution.strategies (its errors will get no_strategy)"
    ]


def test_a_fallback_list_names_other_bound_strategies_once() -> None:
    restart = {"executor": "restart_service", "target": {"deployment": "web"}}
    catalog = load_catalog(
        {
            "restart_web": {**restart, "fallback": ["scale_web"]},
            "scale_web": {"executor": "scale_up"},
        }
    )
    assert catalog["restart_web"].fallback == ("scale_web",)
    with pytest.raises(CatalogError) as info:
        load_catalog({"restart_web": {**restart, "fallback": ["nope", "restart_web", "nope"]}})
    assert info.value.problems == [
        "auto_resolution.strategies.restart_web.fallback: 'nope' is not in the catalog",
        "auto_resolution.strategies.restart_web.fallback: 'nope' is not in the catalog",
        "auto_resolution.strategies.restart_web.fallback: 'restart_web' names itself",
        "auto_resolution.strategies.restart_web.fallback: a strategy is named twice",
    ]
