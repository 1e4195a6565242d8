"""The ``auto_resolution:`` section of ``config.yaml``: the resolver service's gates (see
docs/resolver.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.models import StrictFrozenModel


class ProductionRestrictions(StrictFrozenModel):
    max_service_restarts: int = Field(default=3, ge=0)
    max_config_changes: int = Field(default=2, ge=0)
    max_dependency_updates: int = Field(default=1, ge=0)
    cooldown_period_minutes: int = Field(default=30, ge=0)


class SafetySettings(StrictFrozenModel):
    max_actions_per_hour: int = Field(default=10, ge=0)
    production_restrictions: ProductionRestrictions = ProductionRestrictions()
    forbidden_actions: list[str] = Field(
        default_factory=lambda: [
            "delete_database",
            "drop_table",
            "remove_user_data",
            "modify_security_config",
        ]
    )
    approval_required: list[str] = Field(
        default_factory=lambda: [
            "infrastructure_changes",
            "network_modifications",
            "security_updates",
        ]
    )


class ConfidenceThresholds(StrictFrozenModel):
    safe_actions: float = Field(default=0.7, ge=0, le=1)
    medium_risk_actions: float = Field(default=0.8, ge=0, le=1)
    high_risk_actions: float = Field(default=0.9, ge=0, le=1)


class RollbackSettings(StrictFrozenModel):
    enable_automatic_rollback: bool = True
    rollback_timeout: int = Field(default=300, ge=1)
    keep_rollback_data_days: int = Field(default=7, ge=0)


class AutoResolutionSection(StrictFrozenModel):
    safety_settings: SafetySettings = SafetySettings()
    confidence_thresholds: ConfidenceThresholds = ConfidenceThresholds()
    rollback_settings: RollbackSettings = RollbackSettings()
    strategies: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Strategy catalog: intent name to executor, target and parameters.",
    )
    operators: list[str] = Field(
        default_factory=list,
        description="Actor ids (Slack user ids, console users) allowed to approve, reject, roll "
        "back, retry and snooze; '*' allows every authenticated actor.",
    )
    verify_drop_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="After a fix the error rate must fall below this share of its rate before.",
    )
    circuit_failures: int = Field(default=3, ge=1, description="Failures that open a breaker.")
    circuit_cooldown_minutes: float = Field(default=15.0, gt=0)
    kubeconfig: str | None = Field(
        default=None,
        description="Kubeconfig path; default in-cluster, then $KUBECONFIG, then ~/.kube/config.",
    )
    store_url: str = Field(
        default="",
        description="The resolver's database URL; empty means storage.url (by default SQLite "
        "in storage.data_directory).",
    )
    tick_seconds: float = Field(
        default=1.0, gt=0, description="How often approval expiries and verifications are checked."
    )
    execution_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a replica's claim on a running fix holds without renewal (renewed "
        "every tick_seconds); a fix whose replica died is marked failed after it, never re-run.",
    )
