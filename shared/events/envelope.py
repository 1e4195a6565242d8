"""The envelope every event carries, with CloudEvents 1.0 attribute names (structured mode).

``id``, ``source``, ``type``, ``specversion``, ``time``, ``subject`` (the fingerprint),
``datacontenttype`` and the payload in ``data`` are CloudEvents' own; ``schemaversion`` and
``correlationid`` are extension attributes (lowercase letters only, as the spec requires).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.models import FrozenModel

#: Namespace for deterministic event ids: an output derived from an input gets the same id on
#: every redelivery, so consumers downstream deduplicate by id.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c7f6e-4c53-4f0c-9a3e-0d6b2f6b7a10")


def new_event_id() -> str:
    """A fresh random event id (for events that start a chain)."""
    return str(uuid.uuid4())


def derived_event_id(*parts: str) -> str:
    """A deterministic event id from the ids it derives from (same inputs, same id)."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "\x1f".join(parts)))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(FrozenModel):
    """Attributes common to every event. Subclasses fix ``type`` and ``schemaversion``."""

    #: Topic-independent event type name, e.g. ``io.alertorch.error.raw``.
    event_type: ClassVar[str]

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=new_event_id, min_length=1, max_length=128)
    source: str = Field(
        min_length=1,
        max_length=256,
        description="URI-reference of the producer, e.g. /alertorch/ingest/sentry-webhook.",
    )
    type: str
    schemaversion: int
    time: datetime = Field(default_factory=utcnow)
    subject: str = Field(min_length=1, max_length=256, description="The fingerprint.")
    correlationid: str = Field(
        min_length=1,
        max_length=128,
        description="Id of the first event of the chain, copied onto every event derived from it.",
    )
    datacontenttype: Literal["application/json"] = "application/json"
    data: Any

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")

    @classmethod
    def derive_fields(cls, parent: Envelope, *, source: str, step: str) -> dict[str, Any]:
        """Envelope fields for an event derived from ``parent`` at processing ``step``."""
        return {
            "id": derived_event_id(parent.id, cls.event_type, step),
            "source": source,
            "correlationid": parent.correlationid,
            "subject": parent.subject,
        }
