"""``errors.raw``: one error occurrence as a source reported it, normalised."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator

from shared.events.common import Severity, parse_severity
from shared.events.envelope import Envelope, new_event_id
from shared.fingerprint import fingerprint
from shared.long_text import cut_to
from shared.models import FrozenModel, StrictFrozenModel

Origin = Literal[
    "sentry_api", "sentry_webhook", "sentry_sdk", "alertmanager", "datadog", "custom", "kafka"
]


def _severity(value: Any) -> Any:
    return parse_severity(value) if isinstance(value, str) else value


def _tags(value: Any) -> Any:
    """Tags as a string map; scalar values are turned into strings."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, bool):
                out[str(key)] = "true" if item else "false"
            elif isinstance(item, int | float | str):
                out[str(key)] = str(item)
            else:
                raise ValueError(f"tag {key!r} must be a string, number or boolean")
        return out
    return value


SeverityField = Annotated[Severity, BeforeValidator(_severity)]
Title = Annotated[str, cut_to(1000), Field(min_length=1, max_length=1000)]
Message = Annotated[str, cut_to(32768), Field(max_length=32768)]
Value = Annotated[str, cut_to(8192), Field(max_length=8192)]
Tags = Annotated[dict[str, Annotated[str, Field(max_length=1024)]], BeforeValidator(_tags)]


class StackFrame(FrozenModel):
    filename: str | None = None
    function: str | None = None
    module: str | None = None
    lineno: int | None = None
    in_app: bool | None = None


class ExceptionInfo(FrozenModel):
    type: str | None = Field(default=None, max_length=512)
    value: Value | None = None
    module: str | None = None
    frames: list[StackFrame] = Field(default_factory=list, max_length=250)


class RawErrorData(FrozenModel):
    """The normalised error occurrence."""

    fingerprint: str = Field(min_length=1, max_length=256)
    origin: Origin
    title: Title
    message: Message | None = None
    severity: SeverityField
    level: str | None = Field(default=None, description="The source's own level word.")
    service: str | None = Field(default=None, description="The system that raised the error.")
    environment: str | None = None
    release: str | None = None
    project: str | None = None
    culprit: str | None = None
    url: str | None = None
    tags: Tags = Field(default_factory=dict)
    dedup_key: str | None = Field(default=None, max_length=256)
    external_id: str | None = Field(
        default=None, description="The source's id: Sentry issue id, Alertmanager fingerprint."
    )
    exception: list[ExceptionInfo] = Field(default_factory=list, max_length=20)
    count: int = Field(default=1, ge=1, description="Occurrences this event stands for.")
    user_count: int | None = Field(default=None, ge=0)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    status: Literal["firing", "resolved"] = "firing"
    rekeyed: bool = Field(
        default=False,
        description="True when the analyzer re-published this event under its fingerprint key.",
    )


class RawError(Envelope):
    """Event on ``errors.raw``, keyed by ``data.fingerprint``."""

    event_type: ClassVar[str] = "io.alertorch.error.raw"
    type: Literal["io.alertorch.error.raw"] = "io.alertorch.error.raw"
    schemaversion: Literal[1] = 1
    data: RawErrorData


class CustomAlert(StrictFrozenModel):
    """The bare custom alert any system may post or publish to ``errors.raw``.

    ``{"title": "...", "severity": "high", "source": "billing"}`` plus optional fields.
    Unknown fields are refused so that a typo is reported, not silently dropped.
    """

    title: Title
    severity: SeverityField
    source: str = Field(min_length=1, max_length=256, description="The system raising the alert.")
    message: Message | None = None
    environment: str | None = Field(default=None, max_length=256)
    tags: Tags = Field(default_factory=dict)
    dedup_key: str | None = Field(default=None, min_length=1, max_length=256)
    url: str | None = Field(default=None, max_length=2048)

    @field_validator("title", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def fingerprint(self) -> str:
        if self.dedup_key:
            return fingerprint(kind="dedup_key", parts=[self.source, self.dedup_key])
        return fingerprint(kind="message", parts=[self.source, self.title])

    def lift(self, *, origin: Origin, producer: str, event_id: str | None = None) -> RawError:
        """The :class:`RawError` this alert stands for, keyed by its fingerprint."""
        fp = self.fingerprint()
        data = RawErrorData(
            fingerprint=fp,
            origin=origin,
            title=self.title,
            message=self.message,
            severity=self.severity,
            level=self.severity.value,
            service=self.source,
            environment=self.environment,
            url=self.url,
            tags=self.tags,
            dedup_key=self.dedup_key,
        )
        event_id = event_id or new_event_id()
        return RawError(id=event_id, correlationid=event_id, source=producer, subject=fp, data=data)
