"""Business impact score (0-100) and the final severity, from configurable weights."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shared.config.analyzer import AnalyzerSection, BusinessImpactSection
from shared.events import RawErrorData, Severity, Trend

SEVERITY_FACTOR = {
    Severity.CRITICAL: 1.0,
    Severity.HIGH: 0.75,
    Severity.MEDIUM: 0.5,
    Severity.LOW: 0.25,
    Severity.INFO: 0.05,
}
CRITICALITY_FACTOR = {"critical": 1.0, "high": 0.7, "medium": 0.4, "low": 0.1}
ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


@dataclass(frozen=True)
class ImpactModel:
    analyzer: AnalyzerSection
    business: BusinessImpactSection

    def score(self, error: RawErrorData, severity: Severity, last_hour: int) -> int:
        weights = self.analyzer.impact_weights
        env = self.analyzer.environment_weights.get((error.environment or "").lower(), 0.3)
        users_critical = max(self.business.user_impact_thresholds.critical, 1)
        users = _log_share(error.user_count or 0, users_critical)
        frequency = _log_share(last_hour, 1000)
        criticality = self._criticality(error)
        parts = [
            (weights.environment, env),
            (weights.severity, SEVERITY_FACTOR[severity]),
            (weights.users, users),
            (weights.frequency, frequency),
            (weights.criticality, criticality),
        ]
        total = sum(w for w, _ in parts)
        if total <= 0:
            return 0
        return max(0, min(100, round(100 * sum(w * f for w, f in parts) / total)))

    def _criticality(self, error: RawErrorData) -> float:
        names = {error.service, error.project} - {None}
        levels = [
            self.business.service_criticality[n]
            for n in names
            if n in self.business.service_criticality
        ]
        factor = max((CRITICALITY_FACTOR[level] for level in levels), default=0.0)
        for key, value in self.business.critical_tags.items():
            if error.tags.get(key) == value:
                factor = 1.0
        return factor


def _log_share(value: int, at_full: int) -> float:
    """0 for 0, 1 at ``at_full`` or more, logarithmic in between."""
    if value <= 0:
        return 0.0
    return min(1.0, math.log1p(value) / math.log1p(at_full))


def final_severity(base: Severity, *, impact: int, trend: Trend, regression: bool) -> Severity:
    """The pattern's severity, raised by high impact, a spike or a regression (never lowered)."""
    level = ORDER.index(base)
    if trend == "spike" or regression:
        level += 1
    if impact >= 85:
        level = max(level, ORDER.index(Severity.CRITICAL))
    elif impact >= 65:
        level = max(level, ORDER.index(Severity.HIGH))
    return ORDER[min(level, len(ORDER) - 1)]
