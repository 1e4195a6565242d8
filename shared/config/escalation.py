"""The ``escalation:`` section of ``config.yaml``: roles and level summaries the notifier's
escalation rules use (see docs/escalation.md)."""

from __future__ import annotations

from pydantic import Field

from shared.models import StrictFrozenModel


class EscalationThresholds(StrictFrozenModel):
    critical_errors_per_hour: int = 10
    failed_resolutions_per_hour: int = 5
    error_rate_increase_percent: int = 50
    unresolved_critical_age_minutes: int = 30


class EscalationLevelSummary(StrictFrozenModel):
    name: str
    channels: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)


class EscalationSection(StrictFrozenModel):
    thresholds: EscalationThresholds = EscalationThresholds()
    escalation_levels: dict[str, EscalationLevelSummary] = Field(default_factory=dict)
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Actor id (Slack user id, console user) to roles, e.g. oncall_engineer, "
        "team_lead: checked by de_escalation.manual_de_escalation.approval_roles.",
    )
