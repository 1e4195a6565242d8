"""Which level an alert deserves: the highest level any matching rule asks for, clamped.

Severity triggers, category rules, business-impact rules and special scenarios each propose a
level; the highest wins, then the environment's ``minimum_level`` and ``max_level`` and
``global_settings.max_escalation_level`` clamp it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.rules import EnvironmentRules, Speed
from shared.events import ErrorSummary


@dataclass(frozen=True, slots=True)
class Match:
    level: int
    reason: str
    grace_minutes: float | None = None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    level: int
    reason: str
    max_level: int
    timing_factor: float
    grace_seconds: float
    scenario_actions: tuple[str, ...]


def environment_rules(policy: EscalationPolicy, summary: ErrorSummary) -> EnvironmentRules | None:
    wanted = (summary.environment or "").casefold()
    return next((r for k, r in policy.environment_rules.items() if k.casefold() == wanted), None)


def matches(
    policy: EscalationPolicy, summary: ErrorSummary, context: Mapping[str, Any]
) -> list[Match]:
    found: list[Match] = []
    for name, trigger in policy.triggers.error_severity.items():
        if name == summary.severity.value or any(c(context) for c in trigger.conditions):
            grace = trigger.grace_period_minutes
            found.append(Match(trigger.immediate_level, f"severity trigger {name}", grace))
    category = (summary.category or "").casefold()
    for name, section in policy.category_rules.items():
        if name.casefold() != category:
            continue
        for rule in section.rules:
            if rule.condition(context):
                reason = rule.reason or f"category rule {rule.condition}"
                found.append(Match(rule.immediate_level, reason, rule.grace_period_minutes))
    impact = context.get("business_impact")
    users = context.get("affected_users")
    for word, impact_rule in policy.business_impact_rules.items():
        threshold = impact_rule.affected_users_threshold
        by_users = (
            threshold is not None
            and isinstance(users, int | float)
            and not isinstance(users, bool)
            and users >= threshold
        )
        if word == impact or by_users:
            grace = impact_rule.grace_period_minutes
            found.append(Match(impact_rule.immediate_level, f"business impact {word}", grace))
    for name, scenario in policy.special_scenarios.items():
        if all(c(context) for c in scenario.trigger_conditions):
            reason = f"special scenario {name}"
            grace = scenario.grace_period_minutes
            found.append(Match(scenario.escalate_to_level, reason, grace, tuple(scenario.actions)))
    return found


def max_level(policy: EscalationPolicy, env: EnvironmentRules | None) -> int:
    ceiling = max(policy.levels)
    for limit in (policy.global_settings.max_escalation_level, env.max_level if env else None):
        if limit is not None:
            ceiling = min(ceiling, limit)
    return ceiling


def defined_at_or_below(policy: EscalationPolicy, level: int) -> int:
    return max((n for n in policy.levels if n <= level), default=min(policy.levels))


def timing_factor(
    policy: EscalationPolicy, summary: ErrorSummary, context: Mapping[str, Any]
) -> float:
    env = environment_rules(policy, summary)
    speeds = [Speed.NORMAL]
    category = (summary.category or "").casefold()
    speeds += [
        s.escalation_speed for k, s in policy.category_rules.items() if k.casefold() == category
    ]
    if env is not None:
        speeds += [c.escalation_speed for c in env.special_conditions if c.condition(context)]
    multiplier = env.escalation_multiplier if env is not None else 1.0
    return multiplier * max(speed.factor for speed in speeds)


def assess(
    policy: EscalationPolicy, summary: ErrorSummary, context: Mapping[str, Any]
) -> Assessment:
    """The level the alert deserves now, and how fast it should climb."""
    found = matches(policy, summary, context)
    env = environment_rules(policy, summary)
    ceiling = max_level(policy, env)
    wanted = max((m.level for m in found), default=min(policy.levels))
    reasons = [m.reason for m in found if m.level == wanted] or ["default level"]
    level = wanted
    floor = env.minimum_level if env is not None else None
    if floor is not None and level < floor:
        level = floor
        reasons = [f"minimum level {floor} for {summary.environment}"]
    if level > ceiling:
        reasons.append(f"capped at level {ceiling}")
        level = ceiling
    level = defined_at_or_below(policy, level)
    deciding = [m for m in found if m.level == level]
    graces = [m.grace_minutes or 0.0 for m in deciding]
    return Assessment(
        level=level,
        reason="; ".join(reasons),
        max_level=ceiling,
        timing_factor=timing_factor(policy, summary, context),
        grace_seconds=min(graces, default=0.0) * 60,
        scenario_actions=tuple(a for m in found for a in m.actions),
    )
