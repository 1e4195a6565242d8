"""The ``error_analysis:``, ``business_impact:`` and ``analyzer:`` sections of ``config.yaml``: the
analyzer service (see docs/analyzer.md)."""

from __future__ import annotations

from pydantic import Field

from shared.config.knobs import StateTtlHours
from shared.config.sections import Criticality
from shared.models import StrictFrozenModel


class PatternMatching(StrictFrozenModel):
    enable_regex: bool = True
    enable_ml_classification: bool = False


class Categorization(StrictFrozenModel):
    message_weight: float = Field(default=0.4, ge=0, le=1)
    context_weight: float = Field(default=0.3, ge=0, le=1)
    pattern_weight: float = Field(default=0.3, ge=0, le=1)


class ErrorAnalysisSection(StrictFrozenModel):
    confidence_threshold: float = Field(default=0.6, ge=0, le=1)
    learning_enabled: bool = True
    pattern_matching: PatternMatching = PatternMatching()
    categorization: Categorization = Categorization()


class ImpactThresholds(StrictFrozenModel):
    low: int = 0
    medium: int = 0
    high: int = 0
    critical: int = 0


class BusinessImpactSection(StrictFrozenModel):
    revenue_thresholds: ImpactThresholds = ImpactThresholds(
        low=100, medium=1000, high=10000, critical=50000
    )
    user_impact_thresholds: ImpactThresholds = ImpactThresholds(
        low=10, medium=100, high=1000, critical=10000
    )
    service_criticality: dict[str, Criticality] = Field(default_factory=dict)
    critical_tags: dict[str, str] = Field(default_factory=dict)


class ImpactWeights(StrictFrozenModel):
    """Relative weights of the business impact score's factors (normalised to 100)."""

    environment: float = Field(default=0.2, ge=0)
    severity: float = Field(default=0.3, ge=0)
    users: float = Field(default=0.2, ge=0)
    frequency: float = Field(default=0.2, ge=0)
    criticality: float = Field(default=0.1, ge=0)


class AnalyzerSection(StrictFrozenModel):
    """The analyzer service: template mining, per-fingerprint state and its own store."""

    store_url: str = Field(
        default="", description="Store URL; empty means sqlite in storage.data_directory."
    )
    drain_similarity: float = Field(default=0.6, gt=0, le=1)
    drain_depth: int = Field(default=4, ge=3)
    drain_max_clusters: int = Field(default=10_000, ge=10)
    template_snapshot_seconds: float = Field(default=30.0, gt=0)
    max_fingerprints: int = Field(
        default=100_000, ge=10, description="Per-fingerprint states kept in memory (LRU)."
    )
    state_ttl_hours: StateTtlHours = Field(
        default=48.0, description="State of a fingerprint silent this long is dropped."
    )
    duplicate_window_seconds: float = Field(
        default=900.0,
        gt=0,
        description="An event id counted this recently is a duplicate (a producer's resend, a "
        "replayed envelope) and is not counted again; ids are kept this long.",
    )
    incident_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A new problem joins an open incident it shares a service and environment, "
        "a release or a named dependency with when it starts within this many seconds of the "
        "incident's latest problem; otherwise it opens its own.",
    )
    baseline_alpha: float = Field(default=0.05, gt=0, lt=1)
    spike_z_threshold: float = Field(default=3.0, gt=0)
    spike_min_count: int = Field(default=5, ge=1)
    patterns_reload_seconds: float = Field(
        default=5.0, gt=0, description="How often error_patterns.json is checked for changes."
    )
    environment_weights: dict[str, float] = Field(
        default_factory=lambda: {"production": 1.0, "staging": 0.4, "development": 0.1}
    )
    impact_weights: ImpactWeights = ImpactWeights()
