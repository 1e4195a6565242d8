"""Sentry envelope framing (https://develop.sentry.dev/sdk/data-model/envelopes/), parsed purely.

::

    {"event_id": "...", "dsn": "..."}\\n        envelope header: one JSON object on a line
    {"type": "event", "length": 41}\\n          item header
    {"message": "hello", "level": "info"}\\n   payload: ``length`` bytes, or up to the newline
    ...

A payload with ``length`` is exactly that many bytes followed by a newline or the end; one without
runs to the next newline. Empty lines between items are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from services.ingest import json_body
from services.ingest.errors import BadRequest

MAX_ITEMS: Final = 1000


@dataclass(frozen=True)
class Item:
    type: str
    headers: dict[str, Any]
    payload: bytes


@dataclass(frozen=True)
class Envelope:
    header: dict[str, Any]
    items: list[Item]


def _malformed(field: str, error: str) -> BadRequest:
    return BadRequest("malformed envelope", details=[{"field": field, "error": error}])


def _json_line(line: bytes, field: str) -> dict[str, Any]:
    try:
        value = json_body.loads(line, field=field) if line.strip() else None
    except BadRequest as exc:
        raise _malformed(field, f"not JSON: {exc.details[0]['error']}") from None
    if not isinstance(value, dict):
        raise _malformed(field, "must be a JSON object on one line")
    return value


def _line(body: bytes, pos: int) -> tuple[bytes, int]:
    end = body.find(b"\n", pos)
    if end < 0:
        return body[pos:], len(body)
    return body[pos:end], end + 1


def parse_envelope(body: bytes) -> Envelope:
    if not body.strip():
        raise _malformed("header", "the body is empty")
    line, pos = _line(body, 0)
    header = _json_line(line, "header")
    items: list[Item] = []
    while pos < len(body):
        line, next_pos = _line(body, pos)
        if not line.strip():
            pos = next_pos
            continue
        where = f"items[{len(items)}]"
        if len(items) >= MAX_ITEMS:
            raise _malformed(where, f"more than {MAX_ITEMS} items")
        headers = _json_line(line, f"{where}.header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise _malformed(f"{where}.header.type", "must be a non-empty string")
        pos = next_pos
        length = headers.get("length")
        if length is None:
            payload, pos = _line(body, pos)
        else:
            if type(length) is not int or length < 0:
                raise _malformed(f"{where}.header.length", "must be a non-negative integer")
            if pos + length > len(body):
                raise _malformed(
                    f"{where}.header.length",
                    f"says {length} bytes, only {len(body) - pos} remain",
                )
            payload = body[pos : pos + length]
            pos += length
            if pos < len(body):
                if body[pos : pos + 1] != b"\n":
                    raise _malformed(f"{where}.payload", "not followed by a newline")
                pos += 1
        items.append(Item(type=item_type, headers=headers, payload=payload))
    return Envelope(header=header, items=items)
