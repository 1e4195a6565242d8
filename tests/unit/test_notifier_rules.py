"""Each rule kind of the rules file decides the opening level, and triggers raise it later."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.notifier.policy import EscalationPolicy, Notify, ResolutionInput, Suppress
from services.notifier.policy.memory import MemoryDriver
from services.notifier.rules_file import load_rules
from tests.escalation import MIN, T0, four_levels, notifies
from tests.notifications import resolution_input

REPO = Path(__file__).resolve().parents[2]
SEED_POLICY = load_rules(REPO / "tests" / "fixtures" / "notifier" / "seed_escalation_rules.yaml")


def slow_policy(extra: str) -> EscalationPolicy:
    """Four levels of 10 hours each (no timer fires in a test), plus ``extra``."""
    return four_levels(600, extra)


#: A decision on a low-severity problem (``resolution_input``'s arguments change it).
resolution = partial(resolution_input, title="Something broke", severity="low")


def _signals(
    *,
    release_age: timedelta | None = None,
    last_minute: int = 1,
    baseline: float | None = None,
    first_seen_ago: timedelta = MIN,
    last_day: int = 1,
) -> dict[str, Any]:
    """What the analyzer measured of a problem, as of ``T0``."""
    return {
        "first_seen": T0 - first_seen_ago,
        "last_minute": last_minute,
        "last_day": last_day,
        "baseline_per_minute": baseline,
        "release_first_seen": None if release_age is None else T0 - release_age,
    }


def opening(policy: EscalationPolicy, event: ResolutionInput) -> Notify:
    run = MemoryDriver(policy, T0)
    [first] = notifies(run.send(event))
    return first


@pytest.mark.parametrize(
    ("event", "level", "reason"),
    [
        # severity triggers: by the trigger's name, or by any of its conditions
        (resolution(severity="critical"), 2, "severity trigger critical"),
        (resolution(details={"level": "fatal"}), 2, "severity trigger critical"),
        (resolution(severity="high"), 1, "severity trigger high"),
        (resolution(count=51), 1, "severity trigger high"),
        (resolution(count=11), 0, "severity trigger medium"),
        (resolution(), 0, "default level"),
        # category rules apply to their own category
        (
            resolution(category="database", title="Connection refused by db-1"),
            1,
            "Database connectivity issues require immediate attention",
        ),
        (
            resolution(category="performance", title="Connection refused by db-1"),
            0,
            "default level",
        ),
        (
            resolution(category="Database", environment="production", count=6),
            2,
            "Production database errors with high frequency",
        ),
        (
            resolution(category="security", title="Login failed"),
            2,
            "All security issues require immediate escalation",
        ),
        (
            resolution(category="infrastructure", title="Disk is FULL on /var"),
            2,
            "Disk space issues can cause system-wide failures",
        ),
        # business impact: from the impact score, a fact, or affected users
        (resolution(impact_score=90), 3, "business impact critical"),
        (resolution(impact_score=70), 2, "business impact high"),
        (resolution(details={"business_impact": "high"}), 2, "business impact high"),
        (resolution(details={"affected_users": 1500}), 2, "business impact high"),
        # special scenarios: every trigger condition must hold
        (
            resolution(details={"deployment_age_minutes": 10, "error_count_increase": 2.5}),
            2,
            "special scenario deployment_related",
        ),
        (
            resolution(details={"deployment_age_minutes": 10, "error_count_increase": 1.5}),
            0,
            "default level",
        ),
        (
            resolution(
                details={
                    "pattern_matches": 6,
                    "timespan_hours": 3,
                    "resolution_success_rate": 0.3,
                }
            ),
            1,
            "special scenario recurring_issue",
        ),
        # the cascade: the analyzer's incident says how many problems share the cause
        (
            resolution(incident={"id": "inc-1", "problems": 3, "timespan_seconds": 240}),
            2,
            "special scenario cascade_failure",
        ),
        (resolution(incident={"id": "inc-1", "problems": 2}), 0, "default level"),
        (
            resolution(incident={"id": "inc-1", "problems": 5, "timespan_seconds": 900}),
            0,
            "default level",
        ),
        # a deployment: its release 10 minutes old, the problem at three times its usual rate
        (
            resolution(signals=_signals(release_age=10 * MIN, last_minute=15, baseline=5.0)),
            2,
            "special scenario deployment_related",
        ),
        (
            resolution(signals=_signals(release_age=45 * MIN, last_minute=15, baseline=5.0)),
            0,
            "default level",
        ),
        (
            resolution(signals=_signals(release_age=10 * MIN, last_minute=15)),  # no usual rate
            0,
            "default level",
        ),
        # environments: minimum and maximum levels
        (resolution(environment="production"), 1, "minimum level 1 for production"),
        (resolution(environment="development", severity="critical"), 1, "capped at level 1"),
    ],
)
def test_opening_level_with_the_seed_rules(event: ResolutionInput, level: int, reason: str) -> None:
    first = opening(SEED_POLICY, event)
    assert (first.kind, first.level) == ("new_alert", level)
    assert reason in first.reason


def test_special_scenario_actions_travel_with_the_notification() -> None:
    event = resolution(details={"related_errors_count": 4, "timespan_minutes": 5})
    first = opening(SEED_POLICY, event)
    assert first.level == 2
    assert first.scenario_actions == ("create_incident", "notify_sre_team")


def test_global_max_level_caps_everything() -> None:
    policy = slow_policy(
        "global_settings: {max_escalation_level: 1}\n"
        "business_impact_rules:\n  critical: {immediate_level: 3}\n"
    )
    run = MemoryDriver(policy, T0)
    run.send(resolution(impact_score=99))
    assert run.states["fp"].level == 1
    run.advance(10_000 * MIN)
    assert run.states["fp"].level == 1


def test_levels_snap_to_defined_levels() -> None:
    policy = EscalationPolicy.model_validate(
        yaml.safe_load(
            "escalation_levels:\n  level_0: {name: a}\n  level_2: {name: c}\n"
            "business_impact_rules:\n  high: {immediate_level: 2}\n"
            "environment_rules:\n  prod: {max_level: 1}\n"
        )
    )
    run = MemoryDriver(policy, T0)
    run.send(resolution(environment="prod", details={"business_impact": "high"}))
    assert run.states["fp"].level == 0  # level 1 does not exist: the one below


def test_known_issues_and_maintenance_are_suppressed() -> None:
    run = MemoryDriver(SEED_POLICY, T0)
    for details in ({"known_issue": True}, {"maintenance_mode": True}):
        [suppressed] = run.send(resolution(details=details))
        assert isinstance(suppressed, Suppress)
    [suppressed] = run.send(resolution(status="suppressed"))
    assert isinstance(suppressed, Suppress)
    assert run.states == {}


def test_later_events_raise_the_level_when_rules_match() -> None:
    run = MemoryDriver(slow_policy(SEED_TRIGGERS), T0)
    run.send(resolution(count=1))
    assert run.states["fp"].level == 0
    decisions = run.send(resolution(count=60))
    assert [(d.kind, d.level) for d in notifies(decisions)] == [
        ("update", 0),
        ("escalation", 1),
    ]


SEED_TRIGGERS = """
triggers:
  error_severity:
    high: {immediate_level: 1, conditions: ["error.count > 50"]}
"""


def test_time_trigger_fires_when_its_conditions_hold() -> None:
    extra = """
triggers:
  time_based:
    unresolved_duration:
      15_minutes:
        escalate_to_level: 1
        conditions: ["resolution_attempts >= 2", "status == 'unresolved'"]
      1_hours:
        escalate_to_level: 2
        conditions: ["severity in ['high', 'critical']"]
"""
    policy = slow_policy(extra)
    run = MemoryDriver(policy, T0)
    run.send(resolution())
    run.send(resolution(status="executing"))
    run.send(resolution(status="executing"))
    assert [d.level for d in notifies(run.advance(15 * MIN))] == [1]
    assert notifies(run.advance(60 * MIN)) == []  # severity low
    other = MemoryDriver(policy, T0)
    other.send(resolution())  # one attempt only: 15_minutes does not hold
    assert notifies(other.advance(15 * MIN)) == []
    # conditions that become true later are checked on the next event
    other.send(resolution(severity="high"))
    assert other.states["fp"].level == 0
    other.advance(60 * MIN)
    assert other.states["fp"].level == 2


@pytest.mark.parametrize(
    ("extra", "steps"),
    [
        pytest.param(
            """
triggers:
  frequency_based:
    error_rate:
      high_frequency: {threshold: 20, escalate_to_level: 1, window_minutes: 60}
      critical_frequency: {threshold: 50, escalate_to_level: 2, window_minutes: 30}
""",
            [
                (0, {"count": 100}, 0),  # history before the alert opened does not count
                (10, {"count": 115}, 0),  # 15 in the hour
                (10, {"count": 121}, 1),  # 21 in the hour
                (10, {"count": 150}, 2),  # 50 in the last 30 minutes: 100 per hour
            ],
            id="error_rate",
        ),
        pytest.param(
            """
triggers:
  frequency_based:
    resolution_failure_rate:
      high_failure_rate: {threshold: 3, escalate_to_level: 1, window_minutes: 60}
""",
            [
                (0, {"status": "failed"}, None),
                (30, {"status": "rolled_back"}, 0),
                (40, {"status": "failed"}, 0),  # the first failure left the window
                (1, {"status": "failed"}, 1),
            ],
            id="resolution_failure_rate",
        ),
    ],
)
def test_frequency_triggers(
    extra: str, steps: list[tuple[int, dict[str, Any], int | None]]
) -> None:
    """Each step: the minutes since the previous decision, the decision's changes, and the level
    the alert is at after it (``None``: not checked)."""
    run = MemoryDriver(slow_policy(extra), T0)
    for minutes, changes, level in steps:
        if minutes:
            run.advance(minutes * MIN)
        run.send(resolution(**changes))
        if level is not None:
            assert run.states["fp"].level == level


def _raised_to_2_at(*, per_hour: int) -> EscalationPolicy:
    """An error-rate trigger over an hour that raises an alert to level 2."""
    return slow_policy(
        "triggers:\n  frequency_based:\n    error_rate:\n"
        f"      storm: {{threshold: {per_hour}, escalate_to_level: 2, window_minutes: 60}}\n"
    )


def test_the_error_rate_counts_every_occurrence_in_its_window_past_the_samples_kept() -> None:
    """A problem seen every 3 s for 50 minutes (1,000 occurrences, more than the 500 samples an
    alert keeps) against a threshold of 900 an hour: the rate is the window's whole growth. It
    was measured over the last 500 readings only (about 500 an hour here), so it never fired."""
    run = MemoryDriver(_raised_to_2_at(per_hour=900), T0)
    run.send(resolution(count=1))
    for count in range(2, 1001):
        run.advance(timedelta(seconds=3))
        run.send(resolution(count=count))
    assert run.states["fp"].level == 2
    assert len(run.states["fp"].samples) <= 500


def test_a_burst_keeps_a_few_samples_and_its_exact_growth() -> None:
    """10,000 occurrences within ten seconds: the alert keeps a few readings, not one each, and
    the rate over the window is their exact growth."""
    run = MemoryDriver(_raised_to_2_at(per_hour=10_000), T0)
    run.send(resolution(count=1))
    for count in range(2, 10_002):
        if count % 1000 == 0:
            run.advance(timedelta(seconds=1))
        run.send(resolution(count=count))
    state = run.states["fp"]
    assert len(state.samples) <= 3, [s.at for s in state.samples]
    assert state.samples[-1].count == 10_001
    assert state.level == 2  # 10,000 more within the hour


def test_a_problem_recurring_all_day_whose_fixes_keep_failing_is_raised_to_level_1() -> None:
    """recurring_issue: 6 occurrences within the 3 hours since it was first seen, and fixes that
    fail more often than not (the rate from the alert's own attempts)."""
    policy = slow_policy(
        "special_scenarios:\n  recurring_issue:\n    trigger_conditions:\n"
        "      - 'pattern_matches >= 5'\n      - 'timespan_hours <= 24'\n"
        "      - 'resolution_success_rate < 50%'\n    escalate_to_level: 1\n"
    )
    signals = _signals(first_seen_ago=180 * MIN, last_day=6)
    run = MemoryDriver(policy, T0)
    run.send(resolution(signals=signals))
    assert run.states["fp"].level == 0  # no fix tried yet: no success rate
    run.send(resolution(status="executing", signals=signals))
    assert run.states["fp"].level == 0  # a fix under way has not failed
    decisions = run.send(resolution(status="failed", signals=signals))
    assert run.states["fp"].level == 1
    [raised] = [d for d in notifies(decisions) if d.kind == "escalation"]
    assert "special scenario recurring_issue" in raised.reason
