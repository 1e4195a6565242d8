"""The whole rules file as one frozen value: the policy an alert snapshots when it opens."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import cached_property

from pydantic import Field, field_validator

from services.notifier.policy.levels import EscalationLevel
from services.notifier.policy.rules import (
    BusinessImpactRule,
    CategoryRules,
    EnvironmentRules,
    ImpactWord,
    SpecialScenario,
)
from services.notifier.policy.settings import (
    DeEscalation,
    GlobalSettings,
    NotificationTemplate,
    PreventionRules,
    Tracking,
)
from services.notifier.policy.triggers import Triggers
from shared.models import StrictFrozenModel

LEVEL_KEY = re.compile(r"^level_(\d)$")


class EscalationPolicy(StrictFrozenModel):
    version: str = "1.0.0"
    last_updated: str | datetime | None = None
    description: str = ""
    global_settings: GlobalSettings = GlobalSettings()
    escalation_levels: dict[str, EscalationLevel] = Field(min_length=1)
    triggers: Triggers = Triggers()
    category_rules: dict[str, CategoryRules] = Field(default_factory=dict)
    environment_rules: dict[str, EnvironmentRules] = Field(default_factory=dict)
    business_impact_rules: dict[ImpactWord, BusinessImpactRule] = Field(default_factory=dict)
    special_scenarios: dict[str, SpecialScenario] = Field(default_factory=dict)
    prevention_rules: PreventionRules = PreventionRules()
    tracking: Tracking = Tracking()
    notification_templates: dict[str, dict[str, NotificationTemplate]] = Field(default_factory=dict)
    de_escalation: DeEscalation = DeEscalation()

    @field_validator("escalation_levels")
    @classmethod
    def _level_names(cls, value: dict[str, EscalationLevel]) -> dict[str, EscalationLevel]:
        for key in value:
            if LEVEL_KEY.match(key) is None:
                raise ValueError(f"{key!r}: level names are level_0 ... level_9")
        return value

    @cached_property
    def levels(self) -> dict[int, EscalationLevel]:
        """Levels by number, lowest first."""
        numbered = {int(key[len("level_") :]): lvl for key, lvl in self.escalation_levels.items()}
        return dict(sorted(numbered.items()))

    @cached_property
    def digest(self) -> str:
        """A short content hash, to tell snapshots apart (and store each policy once)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def level(self, number: int) -> EscalationLevel:
        return self.levels[number]

    def next_level(self, number: int) -> int | None:
        """The next defined level above ``number``, or None at the top."""
        return next((n for n in self.levels if n > number), None)

    def timeout_seconds(self, number: int) -> float:
        minutes = self.levels[number].timeout_minutes
        if minutes is None:
            minutes = self.global_settings.auto_escalation_timeout_minutes
        return minutes * 60

    def cooldown_seconds(self) -> float:
        """Least time between two escalations of one alert."""
        cooldown = self.prevention_rules.rate_limiting.cooldown_between_escalations
        if cooldown is not None:
            return cooldown
        return self.global_settings.escalation_cooldown_minutes * 60
