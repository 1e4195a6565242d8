"""``errors.classified``: an error after grouping, classification, scoring and trend."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shared.events.common import Severity, Trend
from shared.events.envelope import Envelope
from shared.events.raw import RawErrorData
from shared.models import FrozenModel


class Frequency(FrozenModel):
    """Occurrences of the fingerprint in sliding windows ending at this event."""

    last_minute: int = Field(ge=0)
    last_hour: int = Field(ge=0)
    last_day: int = Field(ge=0)


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


class ClassifiedError(Envelope):
    """Event on ``errors.classified``, keyed by fingerprint."""

    event_type: ClassVar[str] = "io.alertorch.error.classified"
    type: Literal["io.alertorch.error.classified"] = "io.alertorch.error.classified"
    schemaversion: Literal[1] = 1
    data: ClassifiedErrorData
