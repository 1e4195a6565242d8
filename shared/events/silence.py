"""``silences``: silences and maintenance windows, each event the whole latest state of one.

A silence matches an error by any of service, environment, category, fingerprint and pattern
(every matcher it sets must equal the error's value; environment case-insensitively) from its
``starts_at`` to its ``ends_at``, while ``state`` is ``active``. The resolver runs no fix and the
notifier sends no notification for what it matches; each records that on ``audit``. The console
ends a silence early (``state: expired``): by hand, when the problem it is tied to resolves
(``until_resolved``), or when nothing matched it for ``expire_if_unused_seconds``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, model_validator

from shared.events.audit import AuditRecord, AuditRecordData
from shared.events.common import Actor
from shared.events.envelope import Envelope, derived_event_id
from shared.models import FrozenModel

SilenceState = Literal["active", "expired"]
SILENCE_MATCHERS = ("service", "environment", "category", "fingerprint", "pattern_id")


class Matchers(FrozenModel):
    service: str | None = Field(default=None, min_length=1, max_length=256)
    environment: str | None = Field(default=None, min_length=1, max_length=256)
    category: str | None = Field(default=None, min_length=1, max_length=64)
    fingerprint: str | None = Field(default=None, min_length=1, max_length=256)
    pattern_id: str | None = Field(default=None, min_length=1, max_length=256)

    @model_validator(mode="after")
    def _one_at_least(self) -> Matchers:
        if all(getattr(self, name) is None for name in SILENCE_MATCHERS):
            raise ValueError(f"a silence needs at least one matcher: {', '.join(SILENCE_MATCHERS)}")
        return self


class Facts(FrozenModel):
    """What a silence is matched against: one error's values."""

    fingerprint: str
    service: str | None = None
    environment: str | None = None
    category: str | None = None
    pattern_id: str | None = None


class SilenceData(FrozenModel):
    silence_id: str = Field(min_length=1, max_length=128)
    matchers: Matchers
    reason: str = Field(min_length=1, max_length=1000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    state: SilenceState = "active"
    until_resolved: bool = Field(
        default=False, description="Ends when the problem it names (its fingerprint) resolves."
    )
    expire_if_unused_seconds: int | None = Field(default=None, gt=0, le=365 * 86400)
    created_by: Actor
    ended_reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _coherent(self) -> SilenceData:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.until_resolved and self.matchers.fingerprint is None:
            raise ValueError(
                "until_resolved needs a fingerprint matcher (the problem it ends with)"
            )
        return self

    def matches(self, facts: Facts, now: datetime) -> bool:
        """Whether this silence holds ``facts`` at ``now``."""
        if self.state != "active" or not self.starts_at <= now < self.ends_at:
            return False
        m = self.matchers
        return (
            m.fingerprint in (None, facts.fingerprint)
            and m.service in (None, facts.service)
            and m.category in (None, facts.category)
            and m.pattern_id in (None, facts.pattern_id)
            and (
                m.environment is None or m.environment.lower() == (facts.environment or "").lower()
            )
        )

    def describe(self) -> str:
        """One line: the matchers, the reason and the end."""
        matched = ", ".join(
            f"{name}={getattr(self.matchers, name)}"
            for name in SILENCE_MATCHERS
            if getattr(self.matchers, name) is not None
        )
        return f"silenced ({matched}) until {self.ends_at.isoformat()}: {self.reason}"


def silencing(silences: list[SilenceData], facts: Facts, now: datetime) -> SilenceData | None:
    """The first of ``silences`` that holds ``facts`` at ``now``, if any."""
    return next((s for s in silences if s.matches(facts, now)), None)


class Silence(Envelope):
    """Event on ``silences``, keyed by silence id: the silence's whole state as of ``time``."""

    event_type: ClassVar[str] = "io.alertorch.silence"
    type: Literal["io.alertorch.silence"] = "io.alertorch.silence"
    schemaversion: Literal[1] = 1
    data: SilenceData


def silence_audit(silence: Silence, action: str, actor: Actor, source: str) -> AuditRecord:
    """The ``audit`` record of someone making or ending ``silence`` (keyed by its fingerprint
    matcher, else its id)."""
    data = silence.data
    key = data.matchers.fingerprint or data.silence_id
    return AuditRecord(
        id=derived_event_id(silence.id, "audit"),
        source=source,
        subject=key,
        correlationid=silence.correlationid,
        data=AuditRecordData(
            fingerprint=key,
            actor=actor,
            action=action,
            target=data.silence_id,
            outcome="succeeded",
            details={"silence": data.model_dump(mode="json")},
        ),
    )
