"""``category_rules``, ``environment_rules``, ``business_impact_rules``, ``special_scenarios``."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from services.notifier.expr import Expression
from services.notifier.policy.base import GraceMinutes, LevelNumber
from shared.models import StrictFrozenModel

Priority = Literal["critical", "high", "medium", "low"]
ImpactWord = Literal["critical", "high", "medium", "low"]


class Speed(StrEnum):
    """How fast an alert climbs the levels; level timeouts are divided by :attr:`factor`."""

    SLOW = "slow"
    NORMAL = "normal"
    FAST = "fast"
    IMMEDIATE = "immediate"

    @property
    def factor(self) -> float:
        return {"slow": 0.75, "normal": 1.0, "fast": 1.5, "immediate": 3.0}[self.value]


class CategoryRule(StrictFrozenModel):
    condition: Expression
    immediate_level: LevelNumber
    reason: str = ""
    grace_period_minutes: GraceMinutes = None


class CategoryRules(StrictFrozenModel):
    """Rules for alerts whose category is this section's name (case-insensitive)."""

    priority: Priority = "medium"
    escalation_speed: Speed = Speed.NORMAL
    rules: list[CategoryRule] = Field(default_factory=list)


class SpecialCondition(StrictFrozenModel):
    condition: Expression
    escalation_speed: Speed


class EnvironmentRules(StrictFrozenModel):
    """For alerts from this environment. ``escalation_multiplier`` 1.5 escalates 50% faster."""

    escalation_multiplier: float = Field(default=1.0, gt=0, le=100)
    minimum_level: LevelNumber | None = None
    max_level: LevelNumber | None = None
    special_conditions: list[SpecialCondition] = Field(default_factory=list)


class BusinessImpactRule(StrictFrozenModel):
    description: str = ""
    immediate_level: LevelNumber
    revenue_impact_per_hour: float | None = Field(default=None, ge=0)
    affected_users_threshold: int | None = Field(default=None, ge=0)
    grace_period_minutes: GraceMinutes = None


class SpecialScenario(StrictFrozenModel):
    """Matches when every trigger condition holds."""

    description: str = ""
    trigger_conditions: list[Expression] = Field(min_length=1)
    escalate_to_level: LevelNumber
    actions: list[str] = Field(default_factory=list)
    grace_period_minutes: GraceMinutes = None
