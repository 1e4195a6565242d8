"""``errors.classified``: an error after grouping, classification, scoring and trend."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Final, Literal

from pydantic import Field

from shared.events.common import Severity, Trend
from shared.events.envelope import Envelope
from shared.events.raw import RawErrorData
from shared.models import FrozenModel

#: The categories the default patterns and the fallback classifier cover (``category`` is free
#: text: a custom pattern may name its own).
CORE_CATEGORIES: Final[tuple[str, ...]] = (
    "database",
    "network",
    "timeout",
    "memory",
    "disk",
    "auth",
    "rate_limit",
    "configuration",
    "code",
)


class Frequency(FrozenModel):
    """Occurrences of the fingerprint in sliding windows ending at this event."""

    last_minute: int = Field(ge=0)
    last_hour: int = Field(ge=0)
    last_day: int = Field(ge=0)
    first_seen: datetime | None = Field(
        default=None,
        description="When the analyzer first saw the fingerprint (its state is kept until the "
        "fingerprint is silent for analyzer.state_ttl_hours).",
    )
    baseline_per_minute: float | None = Field(
        default=None,
        ge=0.0,
        description="The fingerprint's usual occurrences per minute before this one (its moving "
        "baseline); none until it has enough history.",
    )


class IncidentLink(FrozenModel):
    """One thing the problems of an incident share."""

    kind: Literal["service", "release", "dependency"] = Field(
        description="service: one service in one environment; release: one release; "
        "dependency: one named dependency (the ``peer.service`` tag)."
    )
    value: str = Field(min_length=1, max_length=1024)
    environment: str | None = Field(
        default=None, description="With kind service: the environment (none when not reported)."
    )


class Incident(FrozenModel):
    """Problems (fingerprints) that started within ``analyzer.incident_window_seconds`` of each
    other and share a service and environment, a release or a named dependency: one cause."""

    id: str = Field(
        min_length=1,
        max_length=64,
        description="Stable: derived from the first problem's fingerprint and start.",
    )
    started_at: datetime = Field(description="When the incident's first problem started.")
    links: list[IncidentLink] = Field(
        default_factory=list,
        description="What the incident's problems share: the links of the problem that opened "
        "it (empty: that problem named none, and the incident is its own).",
    )
    joined_by: list[IncidentLink] = Field(
        default_factory=list, description="The links this problem shares with the incident."
    )
    problems: int = Field(
        default=1,
        ge=1,
        description="Problems placed in the incident once this one joined it, this one included.",
    )
    joined_at: datetime | None = Field(
        default=None, description="When this problem started (and joined the incident)."
    )


class ClassifiedErrorData(FrozenModel):
    fingerprint: str = Field(min_length=1, max_length=256)
    error: RawErrorData
    category: str = Field(min_length=1, max_length=64)
    confidence: float = Field(ge=0.0, le=1.0)
    severity: Severity
    matched_pattern: str | None = Field(
        default=None, description="Id of the configured pattern that matched, if any."
    )
    resolution_strategy: str | None = None
    suggested_actions: list[str] = Field(default_factory=list)
    template: str | None = Field(default=None, description="Mined template, e.g. 'Timeout <*>'.")
    pattern_id: str | None = Field(
        default=None,
        description="The pattern's id: fixed for its life as its template generalises.",
    )
    impact_score: int = Field(ge=0, le=100)
    trend: Trend
    frequency: Frequency
    regression: bool = False
    incident: Incident | None = Field(
        default=None, description="The incident the error's problem belongs to, if decided."
    )
    release_first_seen: datetime | None = Field(
        default=None,
        description="When the analyzer first saw the error's release (any service): the age of "
        "the deployment. None without a release.",
    )


class ClassifiedError(Envelope):
    """Event on ``errors.classified``, keyed by fingerprint."""

    event_type: ClassVar[str] = "io.alertorch.error.classified"
    type: Literal["io.alertorch.error.classified"] = "io.alertorch.error.classified"
    schemaversion: Literal[1] = 1
    data: ClassifiedErrorData
