"""``audit``: who or what did what, when, to which target, with which outcome."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.events.common import Actor
from shared.events.envelope import Envelope
from shared.models import FrozenModel

AuditOutcome = Literal["succeeded", "failed", "refused", "dry_run"]


class AuditRecordData(FrozenModel):
    fingerprint: str = Field(min_length=1, max_length=256)
    actor: Actor
    action: str = Field(min_length=1, max_length=128)
    target: str | None = Field(default=None, max_length=512)
    outcome: AuditOutcome
    dry_run: bool = False
    details: dict[str, Any] = Field(default_factory=dict)


class AuditRecord(Envelope):
    """Event on ``audit``, keyed by fingerprint."""

    event_type: ClassVar[str] = "io.alertorch.audit"
    type: Literal["io.alertorch.audit"] = "io.alertorch.audit"
    schemaversion: Literal[1] = 1
    data: AuditRecordData
