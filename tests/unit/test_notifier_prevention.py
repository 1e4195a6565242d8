"""Prevention rules, grace periods and the periodic auditor."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from services.notifier.policy import (
    Decision,
    EscalationPolicy,
    Ledger,
    Notify,
    Schedule,
    Suppress,
    catch_up,
    find_overdue,
)
from services.notifier.policy.memory import MemoryDriver
from services.notifier.policy.prevention import (
    MAX_OPENINGS,
    Opening,
    record_opening,
    similarity,
    title_words,
)
from tests.escalation import MIN, T0, command, four_levels
from tests.notifications import resolution_input


def policy(extra: str = "") -> EscalationPolicy:
    """Four levels of 10 minutes each, plus ``extra``."""
    return four_levels(10, extra)


#: A decision on a low-severity problem (``resolution_input``'s arguments change it).
resolution = partial(resolution_input, title="Disk full on web-1", severity="low")


def sent(decisions: list[Decision]) -> list[tuple[str, str, int]]:
    return [(d.fingerprint, d.kind, d.level) for d in decisions if isinstance(d, Notify)]


def suppressed(decisions: list[Decision]) -> list[str]:
    return [d.reason for d in decisions if isinstance(d, Suppress)]


DUPLICATES = """
prevention_rules:
  noise_reduction:
    duplicate_suppression: {enabled: true, time_window_minutes: 10, similarity_threshold: 0.8}
"""


def test_the_same_problem_reopening_within_the_window_is_not_announced_again() -> None:
    run = MemoryDriver(policy(DUPLICATES), T0)
    run.send(resolution())
    run.send(command("resolve"))
    run.advance(5 * MIN)
    decisions = run.send(resolution())
    # no new announcement: its card (told before) hears it is back, and follows its counts
    assert sent(decisions) == [("fp", "update", 0)]
    [back] = [d for d in decisions if isinstance(d, Notify)]
    assert [t.channel for t in back.targets] == ["#a"]
    assert back.reason.startswith("back after it was resolved (duplicate: the same problem")
    assert "duplicate" in suppressed(decisions)[0]
    assert sent(run.send(resolution())) == [("fp", "update", 0)]
    # it still escalates if nobody acts
    assert sent(run.advance(10 * MIN)) == [("fp", "escalation", 1)]
    run.send(command("resolve"))
    run.advance(11 * MIN)
    assert sent(run.send(resolution())) == [("fp", "new_alert", 0)]


def test_a_problem_back_after_its_grace_period_tells_its_old_card_when_the_grace_ends() -> None:
    run = MemoryDriver(policy(DUPLICATES + GRACE), T0)
    run.send(resolution(category="flaky"))
    assert sent(run.advance(5 * MIN)) == [("fp", "new_alert", 1)]  # when its grace ended
    run.send(command("resolve"))
    back = run.send(resolution(category="flaky"))
    assert sent(back) == []  # in its grace period again: no one is told yet
    decisions = run.advance(5 * MIN)
    assert sent(decisions) == [("fp", "update", 1)]
    assert "duplicate" in suppressed(decisions)[0]


def test_a_problem_back_and_resolved_within_its_grace_period_tells_no_one() -> None:
    run = MemoryDriver(policy(DUPLICATES + GRACE), T0)
    run.send(resolution(category="flaky"))
    run.advance(5 * MIN)
    run.send(command("resolve"))
    run.send(resolution(category="flaky"))  # back, in its grace period
    assert sent(run.send(command("resolve"))) == []
    assert run.states["fp"].status == "resolved"


def test_another_problem_duplicating_a_title_tells_no_one() -> None:
    run = MemoryDriver(policy(DUPLICATES), T0)
    run.send(resolution("a", title="Disk full on web-1"))
    run.send(command("resolve", "a"))
    decisions = run.send(resolution("b", title="Disk full on web-2"))
    assert sent(decisions) == []
    assert suppressed(decisions) == ["duplicate of a (similarity 1.00)"]


def test_similar_titles_count_as_duplicates() -> None:
    assert similarity(title_words("Disk full on web-1"), title_words("Disk full on web-22")) == 1.0
    run = MemoryDriver(policy(DUPLICATES), T0)
    run.send(resolution("a", title="Disk full on web-1"))
    decisions = run.send(resolution("b", title="Disk full on web-2"))
    assert suppressed(decisions) == ["duplicate of a (similarity 1.00)"]
    other = resolution("c", title="Payment declined by gateway")
    assert sent(run.send(other)) == [("c", "new_alert", 0)]


def test_duplicate_suppression_off_by_default() -> None:
    run = MemoryDriver(policy(), T0)
    run.send(resolution("a"))
    assert sent(run.send(resolution("b"))) == [("b", "new_alert", 0)]


CAPS = """
prevention_rules:
  rate_limiting: {max_escalations_per_hour: 2, max_escalations_per_day: 3}
"""


def test_hourly_cap_holds_escalations_until_the_hour_frees() -> None:
    run = MemoryDriver(policy(CAPS), T0)
    for fingerprint in ("a", "b", "c"):
        run.send(resolution(fingerprint, title=fingerprint))
    decisions = run.advance(10 * MIN)
    assert sent(decisions) == [("a", "escalation", 1), ("b", "escalation", 1)]
    [held] = suppressed(decisions)
    assert "at most 2 escalations per hour" in held
    [deferred] = [t for t in run.states["c"].timers if t.kind == "step"]
    assert deferred.due_at == T0 + 70 * MIN  # when the first escalation leaves the hour
    # a person's escalate is never held back, and counts
    assert sent(run.send(command("escalate", "c"))) == [("c", "escalation", 1)]
    assert [t.level for t in run.states["c"].timers if t.kind == "step"] == [2]


def test_daily_cap() -> None:
    run = MemoryDriver(policy(CAPS), T0)
    run.send(resolution("a"))
    run.advance(10 * MIN)  # 1
    run.advance(60 * MIN)  # 2: level 2 at 20 min
    run.advance(60 * MIN)  # 3: level 3 at 70 min (the hourly cap held it until then)
    run.send(command("resolve", "a"))
    run.send(resolution("b", title="other"))
    decisions = run.advance(10 * MIN)
    assert sent(decisions) == []
    assert "at most 3 escalations per day" in suppressed(decisions)[0]
    [deferred] = [t for t in run.states["b"].timers if t.kind == "step"]
    assert deferred.due_at == T0 + 10 * MIN + timedelta(days=1)


def test_ledger_stays_bounded() -> None:
    run = MemoryDriver(policy(DUPLICATES), T0)
    for day in range(3):
        run.now = T0 + timedelta(days=day)
        run.send(resolution(f"fp{day}", title=f"problem {day}"))
        run.send(command("escalate", f"fp{day}"))
    assert len(run.ledger.escalations) == 1
    assert len(run.ledger.openings) == 1


def test_openings_stay_in_time_order_and_keep_the_newest() -> None:
    # An opening from a replica whose clock is behind still lands in time order; an opening a
    # day old goes; past the cap, the oldest go first.
    old = Opening(fingerprint="old", words=(), at=T0 - timedelta(days=1))
    ledger = Ledger(openings=(old,))
    for i in range(MAX_OPENINGS + 5):
        ledger = record_opening(ledger, f"fp{i}", "t", T0 + timedelta(seconds=i))
    ledger = record_opening(ledger, "late", "t", T0 + timedelta(seconds=MAX_OPENINGS))
    times = [o.at for o in ledger.openings]
    assert times == sorted(times)
    assert len(ledger.openings) == MAX_OPENINGS
    kept = {o.fingerprint for o in ledger.openings}
    assert {"late", f"fp{MAX_OPENINGS + 4}"} <= kept
    assert not {"old", "fp0", "fp5"} & kept


COOLDOWN = """
prevention_rules:
  rate_limiting: {cooldown_between_escalations: 900}
"""


def test_cooldown_between_escalations_of_one_alert() -> None:
    run = MemoryDriver(policy(COOLDOWN), T0)
    run.send(resolution())
    assert sent(run.advance(10 * MIN)) == [("fp", "escalation", 1)]
    decisions = run.advance(10 * MIN)  # level 1's timeout: but only 10 of 15 minutes passed
    assert sent(decisions) == []
    assert "cooldown of 900 s" in suppressed(decisions)[0]
    assert sent(run.advance(5 * MIN)) == [("fp", "escalation", 2)]
    # a person may always escalate
    assert sent(run.send(command("escalate"))) == [("fp", "escalation", 3)]


def test_cooldown_falls_back_to_the_global_setting() -> None:
    assert policy("global_settings: {escalation_cooldown_minutes: 15}").cooldown_seconds() == 900
    assert policy().cooldown_seconds() == 0


def test_cooldown_is_per_alert() -> None:
    run = MemoryDriver(policy(COOLDOWN), T0)
    run.send(resolution("a"))
    run.advance(5 * MIN)
    run.send(resolution("b", title="other"))
    assert sent(run.advance(10 * MIN)) == [("a", "escalation", 1), ("b", "escalation", 1)]


GRACE = """
category_rules:
  flaky:
    rules:
      - {condition: "true", immediate_level: 1, reason: flaky check, grace_period_minutes: 5}
"""


def test_grace_period_delays_the_first_notification() -> None:
    run = MemoryDriver(policy(GRACE), T0)
    decisions = run.send(resolution(category="flaky"))
    assert sent(decisions) == []
    assert [d.kind for d in decisions if isinstance(d, Schedule)] == ["grace"]
    assert run.states["fp"].status == "grace"
    assert sent(run.advance(5 * MIN)) == [("fp", "new_alert", 1)]
    # the escalation clock starts when people were told
    assert sent(run.advance(10 * MIN)) == [("fp", "escalation", 2)]


def test_an_alert_that_resolves_during_its_grace_period_is_never_notified() -> None:
    run = MemoryDriver(policy(GRACE), T0)
    run.send(resolution(category="flaky"))
    run.advance(2 * MIN)
    decisions = run.send(command("resolve"))
    assert sent(decisions) == []
    assert "resolved before anyone was notified" in suppressed(decisions)[0]
    assert run.advance(60 * MIN) == []


def test_an_alert_that_stops_during_its_grace_period_is_never_notified() -> None:
    extra = GRACE + (
        "de_escalation:\n  automatic_de_escalation:\n"
        "    enabled: true\n    conditions: ['error_resolved == true']\n"
    )
    run = MemoryDriver(policy(extra), T0)
    run.send(resolution(category="flaky"))
    run.send(resolution(category="flaky", status="succeeded"))
    assert run.states["fp"].status == "resolved"
    assert sent(run.advance(60 * MIN)) == []


def test_a_source_resolving_during_the_grace_period_means_nobody_is_told() -> None:
    run = MemoryDriver(policy(GRACE), T0)
    run.send(resolution(category="flaky"))
    run.advance(2 * MIN)
    decisions = run.send(resolution(category="flaky", status="resolved_by_source"))
    assert sent(decisions) == []
    assert "resolved before anyone was notified: resolved by source" in suppressed(decisions)[0]
    assert run.states["fp"].status == "resolved"
    assert sent(run.advance(60 * MIN)) == []


def test_grace_applies_only_when_the_deciding_rule_has_one() -> None:
    extra = GRACE + "business_impact_rules:\n  critical: {immediate_level: 3}\n"
    run = MemoryDriver(policy(extra), T0)
    assert sent(run.send(resolution(category="flaky", impact_score=95))) == [("fp", "new_alert", 3)]


def test_rules_matched_during_grace_raise_the_pending_level() -> None:
    extra = GRACE + "business_impact_rules:\n  high: {immediate_level: 2}\n"
    run = MemoryDriver(policy(extra), T0)
    run.send(resolution(category="flaky"))
    run.send(resolution(category="flaky", details={"business_impact": "high"}))
    assert sent(run.advance(5 * MIN)) == [("fp", "new_alert", 2)]


def test_ack_during_grace_stops_everything() -> None:
    run = MemoryDriver(policy(GRACE), T0)
    run.send(resolution(category="flaky"))
    assert run.send(command("ack")) != []
    assert run.advance(60 * MIN) == []


def test_auditor_finds_missed_escalations_and_fixes_them_once() -> None:
    run = MemoryDriver(policy(), T0)
    run.send(resolution("a"))
    run.send(resolution("b", title="other"))
    run.send(command("ack", "b"))
    run.send(resolution("c", title="third"))
    run.send(command("resolve", "c"))
    # nobody ticked for half an hour (the process was down)
    now = T0 + 30 * MIN
    overdue = find_overdue(run.states.values(), now)
    assert [(o.fingerprint, o.kind, o.late_by) for o in overdue] == [("a", "step", 20 * MIN)]
    assert find_overdue(run.states.values(), T0 + 10 * MIN + 30 * timedelta(seconds=1)) == []
    outcomes, ledger = catch_up(run.policy, run.states.values(), now, run.ledger)
    [outcome] = outcomes
    assert sent(list(outcome.decisions)) == [("a", "escalation", 1)]
    assert len(ledger.escalations) == 1
    assert outcome.state is not None
    assert find_overdue([outcome.state], now) == []
    again, _ = catch_up(run.policy, [outcome.state], now, ledger)
    assert again == []


def test_auditor_ignores_snoozed_timers() -> None:
    run = MemoryDriver(policy(), T0)
    run.send(resolution())
    run.send(command("snooze"))
    later = T0 + 30 * MIN
    assert find_overdue(run.states.values(), later) == []
    assert [o.kind for o in find_overdue(run.states.values(), T0 + 2 * 60 * MIN)] == ["snooze_end"]


def test_empty_ledger_is_the_starting_point() -> None:
    assert Ledger() == Ledger(escalations=(), openings=())
