"""``resolutions``: every decision and state change of the resolver."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.events.common import Actor, ErrorSummary
from shared.events.envelope import Envelope
from shared.models import FrozenModel

ResolutionStatus = Literal[
    # decisions
    "auto_resolving",
    "awaiting_approval",
    "no_strategy",
    "suppressed",
    "skipped",
    # the source (Alertmanager, Sentry) says the problem is over: nothing is run
    "resolved_by_source",
    # state changes of an attempt
    "approved",
    "rejected",
    "expired",
    "executing",
    "verifying",
    "succeeded",
    "failed",
    "rolled_back",
]

SafetyLevel = Literal["safe", "moderate", "risky", "dangerous"]
#: The safety levels from the least to the most dangerous.
SAFETY_ORDER: tuple[SafetyLevel, ...] = ("safe", "moderate", "risky", "dangerous")

Gate = Literal[
    "dry_run", "rate_limit", "circuit_open", "concurrency_cap", "forbidden", "confidence"
]


class ResolutionData(FrozenModel):
    fingerprint: str = Field(min_length=1, max_length=256)
    status: ResolutionStatus
    attempt_id: str | None = None
    strategy: str | None = None
    safety_level: SafetyLevel | None = None
    gate: Gate | None = Field(default=None, description="The gate that stopped a skipped attempt.")
    reason: str = Field(default="", max_length=4096)
    dry_run: bool = False
    actor: Actor | None = None
    summary: ErrorSummary
    details: dict[str, Any] = Field(default_factory=dict)
    duration_seconds: float | None = Field(
        default=None,
        ge=0,
        description="How long the fix took, from the start of its execution to this outcome "
        "(on succeeded, failed and rolled_back after an execution).",
    )


class Resolution(Envelope):
    """Event on ``resolutions``, keyed by fingerprint."""

    event_type: ClassVar[str] = "io.alertorch.resolution"
    type: Literal["io.alertorch.resolution"] = "io.alertorch.resolution"
    schemaversion: Literal[1] = 1
    data: ResolutionData
