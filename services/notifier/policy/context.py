"""The values conditions see: the error, the alert's state, the clock and the event's facts.

Facts (a resolution event's ``details``) fill every name the policy does not compute itself;
for the *soft* names below a fact, when present, wins over the computed value. The soft names
include the incident's (``related_errors_count``: its problems once this one joined,
``timespan_minutes``: from its first problem to this one), the analyzer's measures (see
:func:`signal_names`) and ``resolution_success_rate`` (of the alert's fixes that ended, those
that succeeded).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.notifier.policy.settings import BusinessHours
from shared.events import ErrorSummary, ProblemSignals

FAILED_STATUSES = frozenset({"failed", "rolled_back"})
#: ``business_impact`` from ``impact_score`` when no fact names it: the lowest score for each.
IMPACT_SCORES = (("critical", 85), ("high", 65), ("medium", 40), ("low", 0))
IMPACT_WORDS = frozenset(word for word, _ in IMPACT_SCORES)


def impact_word(summary: ErrorSummary, facts: Mapping[str, Any]) -> str | None:
    given = facts.get("business_impact")
    if isinstance(given, str) and given.lower() in IMPACT_WORDS:
        return given.lower()
    if summary.impact_score is None:
        return None
    return next(word for word, floor in IMPACT_SCORES if summary.impact_score >= floor)


def signal_names(signals: ProblemSignals, now: datetime) -> dict[str, Any]:
    """The special scenarios' names the analyzer's measures give: ``recurring_issue``
    (``pattern_matches``: occurrences in 24 h, ``timespan_hours``: since first seen) and
    ``deployment_related`` (``deployment_age_minutes``: since its release was first seen,
    ``error_count_increase``: the last minute over the usual rate, 2.0 = +200%)."""
    names: dict[str, Any] = {"pattern_matches": signals.last_day}
    if signals.first_seen is not None:
        names["timespan_hours"] = max(0.0, (now - signals.first_seen).total_seconds() / 3600)
    if signals.release_first_seen is not None:
        age = (now - signals.release_first_seen).total_seconds() / 60
        names["deployment_age_minutes"] = max(0.0, age)
    if signals.baseline_per_minute:
        names["error_count_increase"] = signals.last_minute / signals.baseline_per_minute - 1
    return names


def in_business_hours(now: datetime, hours: BusinessHours) -> bool:
    local = now + timedelta(minutes=hours.utc_offset_minutes)
    return local.weekday() in hours.weekdays and hours.start_hour <= local.hour < hours.end_hour


def build_context(
    *,
    summary: ErrorSummary,
    facts: Mapping[str, Any],
    status: str,
    last_resolution: str | None,
    resolution_attempts: int,
    fixes_ended: tuple[int, int] = (0, 0),
    level: int | None,
    opened_at: datetime | None,
    now: datetime,
    hours: BusinessHours,
) -> dict[str, Any]:
    severity = summary.severity.value
    environment = (summary.environment or "").lower()
    business_hours = in_business_hours(now, hours)
    soft: dict[str, Any] = {
        "business_impact": impact_word(summary, facts),
        "resolution_failed": last_resolution in FAILED_STATUSES,
        "error_resolved": last_resolution in ("succeeded", "resolved_by_source"),
        "critical_error": severity == "critical",
        "production_impact": environment == "production",
        "business_hours": business_hours,
        "after_hours": not business_hours,
    }
    if summary.incident is not None:
        # special_scenarios.cascade_failure: problems of one cause starting close together
        soft["related_errors_count"] = summary.incident.problems
        soft["timespan_minutes"] = summary.incident.timespan_seconds / 60
    if summary.signals is not None:
        soft.update(signal_names(summary.signals, now))
    succeeded, failed = fixes_ended
    if succeeded + failed:
        soft["resolution_success_rate"] = succeeded / (succeeded + failed)
    error = {
        "title": summary.title,
        "message": facts.get("message") if isinstance(facts.get("message"), str) else summary.title,
        "level": facts.get("level") if isinstance(facts.get("level"), str) else severity,
        "severity": severity,
        "category": summary.category,
        "service": summary.service,
        "environment": summary.environment,
        "count": summary.count,
        "impact_score": summary.impact_score,
        "trend": summary.trend,
        "url": summary.url,
    }
    age = (now - opened_at).total_seconds() / 60 if opened_at is not None else 0.0
    computed: dict[str, Any] = {
        "error": error,
        "severity": severity,
        "status": {"grace": "unresolved", "open": "unresolved"}.get(status, status),
        "resolution_status": last_resolution,
        "resolution_attempts": resolution_attempts,
        "level": level,
        "alert_age_minutes": age,
    }
    return {**soft, **facts, **computed}
