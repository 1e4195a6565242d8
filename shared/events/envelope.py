"""The envelope every event carries, with CloudEvents 1.0 attribute names (structured mode).

``id``, ``source``, ``type``, ``specversion``, ``time``, ``subject`` (the fingerprint),
``datacontenttype`` and the payload in ``data`` are CloudEvents' own; ``schemaversion`` and
``correlationid`` are extension attributes (lowercase letters only, as the spec requires).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypedDict

from pydantic import Field

from shared.models import FrozenModel

#: Namespace for deterministic event ids: an output derived from an input gets the same id on
#: every redelivery, so consumers downstream deduplicate by id.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c7f6e-4c53-4f0c-9a3e-0d6b2f6b7a10")
_NAMESPACE = EVENT_ID_NAMESPACE.bytes


def new_event_id() -> str:
    """A fresh random event id (for events that start a chain)."""
    return str(uuid.uuid4())


def derived_event_id(*parts: str) -> str:
    """A deterministic event id from the ids it derives from (same inputs, same id): the
    name-based (version 5) UUID of the parts in :data:`EVENT_ID_NAMESPACE`, as ``uuid.uuid5``
    makes it, built without its ``UUID`` object (every output of every service gets one)."""
    digest = bytearray(
        hashlib.sha1(  # noqa: S324 - RFC 9562 version 5 is SHA-1 by definition; no secret
            _NAMESPACE + "\x1f".join(parts).encode("utf-8")
        ).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class EnvelopeFields(TypedDict):
    """The envelope fields an event takes from what made it (``Model(**fields, data=...)``)."""

    id: str
    source: str
    subject: str
    correlationid: str


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
    def derive_fields(cls, parent: Envelope, *, source: str, step: str) -> EnvelopeFields:
        """Envelope fields for an event derived from ``parent`` at processing ``step``."""
        return {
            "id": derived_event_id(parent.id, cls.event_type, step),
            "source": source,
            "correlationid": parent.correlationid,
            "subject": parent.subject,
        }
