"""Bytes on a topic to typed events and back. Every failure is an :class:`InvalidMessage`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from shared.errors import InvalidMessage
from shared.events.envelope import Envelope, derived_event_id
from shared.events.raw import CustomAlert, Origin, RawError


def describe_validation_error(exc: ValidationError) -> list[dict[str, str]]:
    """One ``{"field": ..., "error": ...}`` entry per problem, with dotted field paths."""
    out = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or "(body)"
        out.append({"field": field, "error": err["msg"]})
    return out


def _summary(exc: ValidationError) -> str:
    return "; ".join(f"{p['field']}: {p['error']}" for p in describe_validation_error(exc))


def load_json_object(value: bytes | None) -> dict[str, Any]:
    """Parse a message value that must be one JSON object."""
    if value is None:
        raise InvalidMessage("empty message value (tombstone)")
    try:
        obj = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise InvalidMessage(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def decode_event(obj: dict[str, Any], versions: dict[int, type[Envelope]]) -> Envelope:
    """Validate an envelope against the model registered for its ``schemaversion``."""
    version = obj.get("schemaversion")
    if not isinstance(version, int) or version not in versions:
        known = ", ".join(str(v) for v in sorted(versions))
        raise InvalidMessage(f"unsupported schemaversion {version!r} (this build reads {known})")
    model = versions[version]
    if obj.get("type") != model.event_type:
        raise InvalidMessage(f"unexpected event type {obj.get('type')!r}, want {model.event_type}")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise InvalidMessage(f"invalid {model.__name__}: {_summary(exc)}") from None


def decode_raw_error(value: bytes | None, *, coordinates: str, producer: str) -> RawError:
    """Read an ``errors.raw`` value: a ``RawError``, or a bare custom alert lifted into one.

    ``coordinates`` (``topic/partition/offset``) makes the id of a lifted alert deterministic, so
    a redelivered bare alert becomes the same event again.
    """
    obj = load_json_object(value)
    if "specversion" in obj:
        event = decode_event(obj, {1: RawError})
        assert isinstance(event, RawError)
        return event
    return lift_custom_alert(
        obj, origin="kafka", producer=producer, event_id=derived_event_id("bare", coordinates)
    )


def lift_custom_alert(
    obj: dict[str, Any], *, origin: Origin, producer: str, event_id: str | None = None
) -> RawError:
    try:
        alert = CustomAlert.model_validate(obj)
    except ValidationError as exc:
        raise InvalidMessage(f"invalid custom alert: {_summary(exc)}") from None
    return alert.lift(origin=origin, producer=producer, event_id=event_id)
