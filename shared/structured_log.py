"""The text of a structured log line: what a JSON logger (zap, pino, bunyan, logrus, structlog,
Serilog, ECS, Cloud Logging) wrote as the message and the error, instead of the whole document.

A line that is one JSON object is read for its message (``msg``, ``message``, ``@message``,
``log``, ``textPayload``, or ``message`` inside ``jsonPayload``) and its error (``error``,
``err``, ``exception``, ``error.message``; of a nested error, its ``message`` or ``msg``, after
its ``type`` or ``kind`` when it has one), joined by `` | ``. Every other field (times, levels,
callers, hosts, ids) is left out: it is not what the problem is. A line that is no JSON object,
or an object with neither, is answered unchanged.
"""

from __future__ import annotations

import json
from typing import Any, Final

#: Longer lines are not parsed (what is read of them is cut anyway).
MAX_PARSED: Final = 65_536
_MESSAGE_KEYS: Final = ("msg", "message", "@message", "log", "textPayload")
_ERROR_KEYS: Final = ("error", "err", "exception", "error.message")
_NESTED_TEXT: Final = ("message", "msg")
_NESTED_KIND: Final = ("type", "kind", "name")


def _text(value: Any) -> str:
    """A field's text: a string as it is; of an object (a nested error), its kind and message."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        text = next((_text(value[k]) for k in _NESTED_TEXT if isinstance(value.get(k), str)), "")
        kind = next((value[k] for k in _NESTED_KIND if isinstance(value.get(k), str)), "")
        return f"{kind}: {text}" if kind and text else text or kind
    return ""


def _first(document: dict[str, Any], keys: tuple[str, ...]) -> str:
    return next((text for key in keys if key in document and (text := _text(document[key]))), "")


def message_of(line: str) -> str:
    """The message and the error of ``line`` when it is a JSON object holding either; else
    ``line`` itself."""
    if len(line) > MAX_PARSED:  # before any copy of a line too long to parse
        return line
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return line
    try:
        document = json.loads(stripped)
    except ValueError:
        return line
    if not isinstance(document, dict):
        return line
    payload = document.get("jsonPayload")
    message = _first(document, _MESSAGE_KEYS) or (
        _first(payload, _MESSAGE_KEYS) if isinstance(payload, dict) else ""
    )
    error = _first(document, _ERROR_KEYS)
    parts = [part for part in (message, error) if part]
    return " | ".join(parts) if parts else line
