"""Escalation over time with a hand-moved clock: levels, commands, tokens, snapshots, restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
import yaml

from services.notifier.policy import (
    AlertState,
    Cancel,
    Decision,
    EscalationPolicy,
    Ledger,
    Notify,
    ResolutionInput,
    Schedule,
    Suppress,
    Tick,
    decide,
)
from services.notifier.policy.memory import MemoryDriver
from tests.escalation import MIN, T0, command, notifies
from tests.notifications import resolution_input

BASE = """
global_settings:
  max_escalation_level: 3
escalation_levels:
  level_0:
    name: Bot
    timeout_minutes: 10
    actions:
      - {type: slack_notification, channels: ["#alerts"], include_actions: true}
  level_1:
    name: Team
    timeout_minutes: 15
    actions:
      - {type: slack_notification, channels: ["#team"]}
      - {type: email_notification, recipients: [team@example.com]}
  level_2:
    name: On-call
    timeout_minutes: 20
    actions:
      - {type: slack_notification, channels: ["#oncall"], mention_oncall: true}
      - {type: pagerduty_alert, service_key: oncall}
  level_3:
    name: Management
    timeout_minutes: 30
    actions:
      - {type: slack_notification, channels: ["#management"], mention_management: true}
environment_rules:
  production: {escalation_multiplier: 1.5, minimum_level: 0}
  development: {escalation_multiplier: 0.5, max_level: 1}
"""


def make_policy(extra: str = "", **replace: str) -> EscalationPolicy:
    text = BASE
    for old, new in replace.items():
        text = text.replace(old.replace("__", " "), new)
    document: dict[str, Any] = yaml.safe_load(text + extra)
    return EscalationPolicy.model_validate(document)


#: A decision on a medium-severity problem (``resolution_input``'s arguments change it).
resolution = partial(resolution_input, title="Disk full on web-1", severity="medium")


def notified(decisions: list[Decision]) -> list[tuple[str, int]]:
    return [(d.kind, d.level) for d in notifies(decisions)]


def driver(policy: EscalationPolicy | None = None) -> MemoryDriver:
    return MemoryDriver(policy or make_policy(), T0)


def test_levels_climb_one_step_per_timeout() -> None:
    run = driver()
    first = run.send(resolution())
    assert notified(first) == [("new_alert", 0)]
    assert [d.due_at for d in first if isinstance(d, Schedule)] == [T0 + 10 * MIN]
    assert run.advance(10 * MIN - timedelta(seconds=1)) == []
    assert notified(run.advance(timedelta(seconds=1))) == [("escalation", 1)]
    assert run.now == T0 + 10 * MIN
    assert notified(run.advance(15 * MIN - timedelta(seconds=1))) == []
    assert notified(run.advance(timedelta(seconds=1))) == [("escalation", 2)]
    assert notified(run.advance(20 * MIN)) == [("escalation", 3)]
    assert notified(run.advance(24 * 60 * MIN)) == []  # level 3 is the top
    assert run.states["fp"].timers == ()


def test_notifications_carry_the_level_targets_and_buttons() -> None:
    run = driver()
    [new] = notifies(run.send(resolution()))
    assert [t.channel for t in new.targets] == ["#alerts"]
    assert new.buttons == ("ack", "snooze", "silence", "escalate", "resolve")
    run.advance(25 * MIN)
    level_2 = next(d for d in notifies(run.log) if d.level == 2)
    assert [(t.type, t.channel, t.mentions) for t in level_2.targets] == [
        ("slack", "#oncall", ["oncall"]),
        ("pagerduty", "oncall", []),
    ]
    assert "not acknowledged within 15 min" in level_2.reason


@pytest.mark.parametrize(
    ("environment", "first_step"),
    [
        ("production", timedelta(minutes=10) / 1.5),  # 50% faster
        ("development", timedelta(minutes=20)),  # 50% slower
        ("staging", timedelta(minutes=10)),  # no rules: as written
    ],
)
def test_environment_multiplier_scales_timeouts(environment: str, first_step: timedelta) -> None:
    run = driver()
    run.send(resolution(environment=environment))
    [timer] = [t for t in run.states["fp"].timers if t.kind == "step"]
    assert timer.due_at == T0 + first_step


def test_escalation_speed_scales_timeouts_too() -> None:
    policy = make_policy(
        """
category_rules:
  database: {escalation_speed: fast}
environment_rules:
  production:
    escalation_multiplier: 2
    special_conditions:
      - {condition: "business_hours", escalation_speed: immediate}
"""
    )
    run = driver(policy)
    run.send(resolution(category="database"))
    assert run.states["fp"].timing_factor == 1.5
    run.send(resolution("prod", environment="production"))
    assert run.states["prod"].timing_factor == 2 * 3.0
    night = MemoryDriver(policy, T0.replace(hour=23))
    night.send(resolution("prod", environment="production"))
    assert night.states["prod"].timing_factor == 2.0


def test_development_never_climbs_past_its_max_level() -> None:
    run = driver()
    run.send(resolution(environment="development"))
    assert notified(run.advance(24 * 60 * MIN)) == [("escalation", 1)]


def test_ack_stops_escalation() -> None:
    run = driver()
    run.send(resolution())
    run.advance(10 * MIN)
    decisions = run.send(command("ack"))
    assert [type(d) for d in decisions] == [Cancel, Notify]
    [told] = notifies(decisions)
    assert told.kind == "update"
    assert told.reason == "acknowledged by ana"
    assert {t.channel for t in told.targets} == {"#alerts", "#team"}
    assert run.states["fp"].status == "acknowledged"
    assert run.states["fp"].timers == ()
    assert run.advance(7 * 24 * 60 * MIN) == []
    assert isinstance(run.send(command("ack"))[0], Suppress)


def test_ack_also_stops_time_triggers() -> None:
    extra = """
triggers:
  time_based:
    unresolved_duration:
      30_minutes: {escalate_to_level: 3, conditions: ["status == 'unresolved'"]}
"""
    run = driver(make_policy(extra))
    run.send(resolution())
    run.send(command("ack"))
    assert run.advance(60 * MIN) == []


@pytest.mark.parametrize("length", [timedelta(minutes=15), timedelta(hours=1), timedelta(days=1)])
def test_snooze_pauses_escalation_until_it_ends(length: timedelta) -> None:
    run = driver()
    run.send(resolution())
    run.advance(4 * MIN)  # 6 minutes left on level 0
    decisions = run.send(command("snooze", snooze_seconds=int(length.total_seconds())))
    assert any(isinstance(d, Cancel) for d in decisions)
    assert [d.kind for d in decisions if isinstance(d, Schedule)] == ["snooze_end"]
    assert run.states["fp"].snoozed_until == T0 + 4 * MIN + length
    assert notified(run.advance(length)) == []
    assert run.states["fp"].snoozed_until is None
    assert notified(run.advance(6 * MIN - timedelta(seconds=1))) == []
    assert notified(run.advance(timedelta(seconds=1))) == [("escalation", 1)]


def test_snooze_defaults_to_an_hour_and_can_be_extended() -> None:
    run = driver()
    run.send(resolution())
    run.send(command("snooze"))
    assert run.states["fp"].snoozed_until == T0 + 60 * MIN
    run.advance(30 * MIN)
    run.send(command("snooze", snooze_seconds=3600))
    assert run.states["fp"].snoozed_until == T0 + 90 * MIN
    assert [t.kind for t in run.states["fp"].timers] == ["snooze_end"]
    assert notified(run.advance(60 * MIN)) == []  # to T0 + 90 min: the snooze ends
    assert notified(run.advance(10 * MIN - timedelta(seconds=1))) == []  # 10 min were left
    assert notified(run.advance(timedelta(seconds=1))) == [("escalation", 1)]


def test_escalate_raises_one_level_now_and_restarts_the_clock() -> None:
    run = driver()
    run.send(resolution())
    run.advance(3 * MIN)
    decisions = run.send(command("escalate", reason="customers complain"))
    assert notified(decisions) == [("escalation", 1)]
    assert notifies(decisions)[0].reason == ("escalated by ana: customers complain")
    [step] = [t for t in run.states["fp"].timers if t.kind == "step"]
    assert (step.level, step.due_at) == (2, T0 + 3 * MIN + 15 * MIN)
    run.send(command("escalate"))
    run.send(command("escalate"))
    assert run.states["fp"].level == 3
    [held] = run.send(command("escalate"))
    assert isinstance(held, Suppress)
    assert "already at level 3" in held.reason


def test_a_redelivered_command_acts_once() -> None:
    run = driver()
    run.send(resolution())
    escalate = command("escalate")
    first = run.send(escalate)
    assert notified(first) == [("escalation", 1)]
    [again] = run.send(escalate)  # the same command event, delivered twice
    assert isinstance(again, Suppress)
    assert "handled already" in again.reason
    assert run.states["fp"].level == 1
    snooze = command("snooze")
    run.send(snooze)
    until = run.states["fp"].snoozed_until
    run.send(snooze)
    assert run.states["fp"].snoozed_until == until  # not extended twice


def test_escalate_while_snoozed_ends_the_snooze() -> None:
    run = driver()
    run.send(resolution())
    run.send(command("snooze", snooze_seconds=900))
    assert notified(run.send(command("escalate"))) == [("escalation", 1)]
    state = run.states["fp"]
    assert state.snoozed_until is None
    assert [t.kind for t in state.timers] == ["step"]


def test_escalate_after_ack_notifies_but_does_not_restart_timers() -> None:
    run = driver()
    run.send(resolution())
    run.send(command("ack"))
    assert notified(run.send(command("escalate"))) == [("escalation", 1)]
    assert run.states["fp"].timers == ()


def test_resolve_closes_the_alert() -> None:
    run = driver()
    run.send(resolution())
    run.advance(25 * MIN)
    decisions = run.send(command("resolve"))
    [done] = notifies(decisions)
    assert done.kind == "resolved"
    assert {(t.type, t.channel) for t in done.targets} == {
        ("slack", "#alerts"),
        ("slack", "#team"),
        ("slack", "#oncall"),
        ("pagerduty", "oncall"),  # PagerDuty follows our state
    }
    assert any(isinstance(d, Cancel) for d in decisions)
    assert run.states["fp"].status == "resolved"
    assert run.advance(24 * 60 * MIN) == []
    for action in ("ack", "snooze", "escalate", "resolve"):
        [refused] = run.send(command(action))
        assert isinstance(refused, Suppress)
        assert "no open alert" in refused.reason


def test_a_source_resolving_closes_the_alert_and_resolves_pagerduty() -> None:
    run = driver()
    run.send(resolution())
    run.advance(25 * MIN)
    decisions = run.send(resolution(status="resolved_by_source"))
    [done] = notifies(decisions)
    assert (done.kind, done.reason) == ("resolved", "resolved by source")
    assert ("pagerduty", "oncall") in {(t.type, t.channel) for t in done.targets}
    assert any(isinstance(d, Cancel) for d in decisions)
    assert run.states["fp"].status == "resolved"
    assert run.advance(24 * 60 * MIN) == []
    # a second "resolved" (the source repeats itself) opens nothing and tells nobody
    [again] = run.send(resolution(status="resolved_by_source"))
    assert isinstance(again, Suppress)
    assert "no open alert" in again.reason


def test_a_resolved_signal_for_an_unknown_problem_opens_no_alert() -> None:
    run = driver()
    [decision] = run.send(resolution(status="resolved_by_source"))
    assert isinstance(decision, Suppress)
    assert "fp" not in run.states


def test_a_new_event_after_resolve_opens_a_new_alert() -> None:
    run = driver()
    run.send(resolution())
    first = run.states["fp"]
    run.send(command("resolve"))
    run.advance(60 * MIN)
    decisions = run.send(resolution())
    assert notified(decisions) == [("new_alert", 0)]
    second = run.states["fp"]
    assert second.opened_at == T0 + 60 * MIN
    assert {t.token for t in second.timers}.isdisjoint({t.token for t in first.timers})


def test_resolve_may_need_an_approval_role() -> None:
    extra = """
de_escalation:
  manual_de_escalation:
    enabled: true
    requires_approval: true
    approval_roles: [oncall_engineer, team_lead]
"""
    run = driver(make_policy(extra))
    run.send(resolution())
    [refused] = run.send(command("resolve", roles=frozenset({"viewer"})))
    assert isinstance(refused, Suppress)
    assert "oncall_engineer, team_lead" in refused.reason
    assert run.states["fp"].status == "open"
    run.send(command("resolve", roles=frozenset({"team_lead"})))
    after = run.states["fp"]
    assert after.status == "resolved"


def test_automatic_de_escalation_closes_the_alert() -> None:
    extra = """
de_escalation:
  automatic_de_escalation:
    enabled: true
    conditions: ["error_resolved == true", "error_frequency_decreased >= 80%"]
"""
    run = driver(make_policy(extra))
    run.send(resolution())
    decisions = run.send(resolution(status="succeeded"))
    assert notified(decisions) == [("resolved", 0)]
    assert "error_resolved == true" in notifies(decisions)[0].reason
    run.send(resolution("other"))
    run.send(resolution("other", details={"error_frequency_decreased": 0.9}))
    assert run.states["other"].status == "resolved"
    [none] = run.send(resolution("fixed", status="succeeded"))
    assert isinstance(none, Suppress)
    assert "fixed" not in run.states


def test_resolver_progress_goes_to_those_already_told() -> None:
    run = driver()
    run.send(resolution())
    run.advance(10 * MIN)
    [started] = notifies(run.send(resolution(status="executing")))
    assert started.kind == "resolution_started"
    assert {t.channel for t in started.targets} == {"#alerts", "#team"}
    assert run.states["fp"].resolution_attempts == 1
    assert notified(run.send(resolution(status="failed"))) == [("resolution_failed", 1)]


def test_a_fallback_list_that_runs_out_escalates_one_level_now() -> None:
    run = driver()
    run.send(resolution())
    run.advance(10 * MIN)  # level 1 told
    next_one = resolution(status="failed", details={"fallback": "scale_web"})
    assert notified(run.send(next_one)) == [("resolution_failed", 1)]
    exhausted = {"fallbacks_exhausted": True, "tried": ["restart_web", "scale_web"]}
    last = resolution(status="rolled_back", details=exhausted)
    last = ResolutionInput(last.event_id, last.data.model_copy(update={"attempt_id": "att-2"}))
    decisions = run.send(last)
    assert notified(decisions) == [("rolled_back", 1), ("escalation", 2)]
    [escalation] = [d for d in notifies(decisions) if d.kind == "escalation"]
    assert "restart_web, scale_web" in escalation.reason
    assert run.states["fp"].level == 2
    # the same event delivered again raises nothing more
    assert ("escalation", 3) not in notified(run.send(last))
    assert run.states["fp"].level == 2


def test_each_step_fires_exactly_once() -> None:
    policy = make_policy()
    opened = decide(policy, None, resolution(), T0, Ledger())
    assert opened.state is not None
    at = T0 + 10 * MIN
    fired = decide(policy, opened.state, Tick(), at, opened.ledger)
    assert notified(list(fired.decisions)) == [("escalation", 1)]
    # the same tick again on the new state: the timer has left the state
    again = decide(policy, fired.state, Tick(), at, fired.ledger)
    assert again.decisions == ()
    # a redelivery on the old state (a crash before the state was stored) repeats the same
    # tokens, so the outbox downstream sends nothing twice
    replay = decide(policy, opened.state, Tick(), at, opened.ledger)
    assert replay.decisions == fired.decisions
    tokens = [d.token for d in notifies(fired.decisions)]
    assert tokens == [d.token for d in notifies(replay.decisions)]


def test_tokens_are_distinct_per_step_and_per_alert() -> None:
    run = driver()
    run.send(resolution("a"))
    run.send(resolution("b"))
    run.advance(24 * 60 * MIN)
    tokens = [d.token for d in notifies(run.log)]
    assert len(tokens) == 8
    assert len(set(tokens)) == 8


def test_a_late_tick_fires_one_step_not_a_burst() -> None:
    run = driver()
    run.send(resolution())
    run.now = T0 + 120 * MIN  # the service was down for two hours
    decisions = run.tick("fp")
    assert notified(decisions) == [("escalation", 1)]
    [step] = [t for t in run.states["fp"].timers if t.kind == "step"]
    assert step.due_at == run.now + 15 * MIN


def test_an_alert_keeps_the_policy_it_opened_with() -> None:
    old = make_policy()
    new = make_policy(**{"timeout_minutes: 10": "timeout_minutes: 1"})
    run = driver(old)
    run.send(resolution("early"))
    run.policy = new  # the rules file changed mid-incident
    run.send(resolution("late"))
    run.send(resolution("early", count=5))
    assert notified(run.advance(1 * MIN)) == [("escalation", 1)]  # only "late"
    assert run.states["late"].level == 1
    assert run.states["early"].level == 0
    assert run.states["early"].policy.digest == old.digest != new.digest
    assert notified(run.advance(9 * MIN)) == [("escalation", 1)]  # "early", on its own clock
    assert run.states["early"].level == 1


def test_state_survives_a_restart_as_json() -> None:
    run = driver()
    run.send(resolution())
    run.send(command("snooze", snooze_seconds=900))
    stored = run.states["fp"].model_dump_json()
    restored = AlertState.model_validate_json(stored)
    assert restored == run.states["fp"]
    assert restored.policy.digest == run.states["fp"].policy.digest
    later = T0 + 25 * MIN
    woke = decide(run.policy, restored, Tick(), later, run.ledger)
    assert woke.state is not None
    assert [t.due_at for t in woke.state.timers] == [T0 + 25 * MIN]
    fired = decide(run.policy, woke.state, Tick(), later, woke.ledger)
    assert notified(list(fired.decisions)) == [("escalation", 1)]


def test_escalation_disabled_sends_only_the_first_notification() -> None:
    run = driver(make_policy(**{"max_escalation_level: 3": "escalation_enabled: false"}))
    assert notified(run.send(resolution())) == [("new_alert", 0)]
    assert run.advance(24 * 60 * MIN) == []


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(make_policy(), None, Tick(), datetime(2025, 1, 1), Ledger())


def test_other_commands_are_not_the_policys_business() -> None:
    run = driver()
    run.send(resolution())
    assert run.send(command("approve")) == []
