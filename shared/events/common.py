"""Values shared by several event payloads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from shared.long_text import cut_to
from shared.models import FrozenModel
from shared.stack_trace import error_text


class Severity(StrEnum):
    """How bad a problem is, from the product's point of view."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


#: Words senders use for severity or level, and the severity each means.
SEVERITY_ALIASES: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "err": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "low": Severity.LOW,
    "notice": Severity.LOW,
    "info": Severity.INFO,
    "debug": Severity.INFO,
}


def parse_severity(word: str) -> Severity:
    """Map a sender's severity or level word (case-insensitive) to a :class:`Severity`."""
    try:
        return SEVERITY_ALIASES[word.strip().lower()]
    except KeyError:
        allowed = ", ".join(sorted(SEVERITY_ALIASES))
        raise ValueError(f"unknown severity {word!r}; use one of: {allowed}") from None


Trend = Literal["new", "rising", "stable", "falling", "spike"]


class Actor(FrozenModel):
    """Who did something: a person (via Slack, the console or the API) or a service."""

    kind: Literal["user", "service"]
    id: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=256)
    via: Literal["slack", "console", "api", "cli", "system"] = "system"


#: The longest error message a summary carries (the whole message stays on ``errors.raw``).
DESCRIPTION_LIMIT = 2000
Description = Annotated[str, cut_to(DESCRIPTION_LIMIT), Field(max_length=DESCRIPTION_LIMIT)]


class IncidentRef(FrozenModel):
    """A problem's incident as people and the escalation rules see it."""

    id: str = Field(min_length=1, max_length=64)
    problems: int = Field(
        default=1, ge=1, description="Problems in the incident once this one joined it."
    )
    timespan_seconds: float = Field(
        default=0.0, ge=0.0, description="From the incident's first problem to this one."
    )


class ProblemSignals(FrozenModel):
    """What the analyzer measured of a problem, for the escalation rules' scenarios."""

    first_seen: datetime | None = Field(default=None, description="When it was first seen.")
    last_minute: int = Field(default=0, ge=0, description="Occurrences in the last minute.")
    last_day: int = Field(default=0, ge=0, description="Occurrences in the last 24 hours.")
    baseline_per_minute: float | None = Field(
        default=None, ge=0.0, description="Its usual occurrences per minute, once known."
    )
    release_first_seen: datetime | None = Field(
        default=None, description="When its release was first seen (the deployment's age)."
    )


class ErrorSummary(FrozenModel):
    """What a person needs to see about a problem, carried on resolutions and notifications."""

    title: str = Field(max_length=1000)
    severity: Severity
    category: str | None = None
    service: str | None = None
    environment: str | None = None
    impact_score: int | None = Field(default=None, ge=0, le=100)
    trend: Trend | None = None
    count: int = Field(default=1, ge=1)
    url: str | None = None
    pattern_id: str | None = Field(default=None, max_length=256, description="The analyzer's.")
    description: Description | None = Field(
        default=None, description="The error's message, cut in the middle past 2,000 characters."
    )
    incident: IncidentRef | None = Field(
        default=None, description="The incident the problem belongs to (errors.classified)."
    )
    signals: ProblemSignals | None = Field(
        default=None, description="What the analyzer measured of it (errors.classified)."
    )

    @property
    def headline(self) -> str:
        """The title as people read it where one line names the problem (a card's header, an
        issue's title, a page's summary, a mail's subject): a stack trace in it left out, the
        line that names the error first (:func:`shared.stack_trace.error_text`)."""
        return error_text(self.title)
