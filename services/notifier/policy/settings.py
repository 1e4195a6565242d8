"""``global_settings``, ``prevention_rules``, ``de_escalation``, ``tracking``, templates."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from services.notifier.expr import Expression
from services.notifier.policy.base import LevelNumber
from shared.models import FrozenModel, StrictFrozenModel


class BusinessHours(StrictFrozenModel):
    """When the ``business_hours`` flag is true (``after_hours`` is its opposite)."""

    start_hour: int = Field(default=9, ge=0, le=23)
    end_hour: int = Field(default=17, ge=1, le=24)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="0 is Monday"
    )
    utc_offset_minutes: int = Field(default=0, ge=-14 * 60, le=14 * 60)


class GlobalSettings(StrictFrozenModel):
    escalation_enabled: bool = True
    max_escalation_level: LevelNumber | None = None
    escalation_cooldown_minutes: float = Field(default=0, ge=0)
    auto_escalation_timeout_minutes: float = Field(default=30, gt=0)
    business_hours: BusinessHours = BusinessHours()


class DuplicateSuppression(StrictFrozenModel):
    enabled: bool = False
    time_window_minutes: float = Field(default=10, gt=0, le=24 * 60)
    similarity_threshold: float = Field(default=1.0, gt=0, le=1)


class KnownIssues(StrictFrozenModel):
    enabled: bool = False
    suppress_known_patterns: bool = False
    maintenance_mode_suppression: bool = False


class NoiseReduction(StrictFrozenModel):
    duplicate_suppression: DuplicateSuppression = DuplicateSuppression()
    known_issues: KnownIssues = KnownIssues()


class RateLimiting(StrictFrozenModel):
    max_escalations_per_hour: int | None = Field(default=None, ge=1)
    max_escalations_per_day: int | None = Field(default=None, ge=1)
    cooldown_between_escalations: float | None = Field(default=None, ge=0, description="s")


class PreventionRules(StrictFrozenModel):
    noise_reduction: NoiseReduction = NoiseReduction()
    rate_limiting: RateLimiting = RateLimiting()


class AutomaticDeEscalation(StrictFrozenModel):
    enabled: bool = False
    conditions: list[Expression] = Field(default_factory=list)


class ManualDeEscalation(StrictFrozenModel):
    enabled: bool = True
    requires_approval: bool = False
    approval_roles: list[str] = Field(default_factory=list)


class DeEscalation(StrictFrozenModel):
    automatic_de_escalation: AutomaticDeEscalation = AutomaticDeEscalation()
    manual_de_escalation: ManualDeEscalation = ManualDeEscalation()


class FeedbackLoop(StrictFrozenModel):
    enabled: bool = False
    adjust_thresholds_based_on_outcomes: bool = False
    learning_period_days: int = Field(default=30, ge=1)


class Tracking(StrictFrozenModel):
    """Recorded for the console's reports; the policy does not act on it."""

    metrics: list[str] = Field(default_factory=list)
    feedback_loop: FeedbackLoop = FeedbackLoop()


class NotificationTemplate(FrozenModel):
    """A message template per channel (``slack``, ...); delivery fills the placeholders."""

    model_config = ConfigDict(extra="allow")

    title: str = ""
    format: str = ""
