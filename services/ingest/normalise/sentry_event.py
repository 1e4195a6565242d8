"""A Sentry event (from an SDK, or inside an ``error`` / ``event_alert`` webhook) as a ``RawError``.

Grouping, in order: the Sentry issue id when the event already belongs to one (webhooks); the
event's own ``fingerprint`` array (``{{ default }}`` entries stand for the default grouping); the
exception types plus in-app stack frames (all frames when none is marked in-app); the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from services.ingest.normalise.common import mapping, parse_time, severity, tags, text
from services.ingest.normalise.logentry import format_logentry
from services.ingest.normalise.sentry_issue import issue_fingerprint
from shared.events import ExceptionInfo, Origin, RawError, RawErrorData, Severity, StackFrame
from shared.fingerprint import fingerprint

DEFAULT_MARK: Final = "{{ default }}"
MAX_EXCEPTIONS: Final = 20
MAX_FRAMES: Final = 250
UNLABELED: Final = "<unlabeled event>"


def exceptions(event: Mapping[str, Any]) -> list[ExceptionInfo]:
    """The exception chain, oldest cause first (Sentry's order), bounded."""
    raw = event.get("exception")
    values = raw.get("values") if isinstance(raw, Mapping) else raw
    if not isinstance(values, list):
        return []
    out = []
    for item in values[-MAX_EXCEPTIONS:]:
        if not isinstance(item, Mapping):
            continue
        frames_raw = mapping(item.get("stacktrace")).get("frames")
        frames = [
            StackFrame(
                filename=text(frame.get("filename") or frame.get("abs_path"), 1024),
                function=text(frame.get("function"), 512),
                module=text(frame.get("module"), 512),
                lineno=frame.get("lineno") if type(frame.get("lineno")) is int else None,
                in_app=frame.get("in_app") if isinstance(frame.get("in_app"), bool) else None,
            )
            for frame in (frames_raw if isinstance(frames_raw, list) else [])[-MAX_FRAMES:]
            if isinstance(frame, Mapping)
        ]
        out.append(
            ExceptionInfo(
                type=text(item.get("type"), 512),
                value=text(item.get("value"), 8192),
                module=text(item.get("module"), 512),
                frames=frames,
            )
        )
    return out


def message_text(event: Mapping[str, Any]) -> str | None:
    """``logentry`` (formatted, or message with its params) or ``message``."""
    for key in ("logentry", "message"):
        value = event.get(key)
        if isinstance(value, str) and value.strip():
            return value[:32768]
        entry = mapping(value)
        if formatted := text(entry.get("formatted"), 32768):
            return formatted
        template = text(entry.get("message"), 32768)
        if template is None:
            continue
        params = entry.get("params")
        if isinstance(params, list | Mapping) and params:
            return format_logentry(template, params, 32768)
        return template
    return None


def title_of(event: Mapping[str, Any], chain: Sequence[ExceptionInfo]) -> str:
    """Sentry's own ``title`` when the event has one; else "Type: value"; else the message."""
    given = text(event.get("title"), 1000)
    if given:
        return given
    if chain:
        last = chain[-1]
        first_line = (last.value or "").splitlines()[0] if last.value else ""
        if last.type and first_line:
            return f"{last.type}: {first_line}"[:1000]
        if last.type or first_line:
            return (last.type or first_line)[:1000]
    message = message_text(event)
    if message:
        return message.splitlines()[0][:1000] or UNLABELED
    return UNLABELED


def _frame_key(frame: StackFrame) -> str:
    return f"{frame.module or frame.filename or '?'}:{frame.function or '?'}"


def default_grouping(chain: Sequence[ExceptionInfo], title: str, project: str) -> str:
    """Exception types and in-app frames; without frames, the title as a message hash."""
    parts: list[str] = []
    for exc in chain:
        in_app = [f for f in exc.frames if f.in_app]
        frames = in_app or list(exc.frames)
        if frames:
            parts.append(exc.type or "?")
            parts.extend(_frame_key(f) for f in frames)
    if parts:
        return fingerprint(kind="sdk", parts=[project, "exception", *parts])
    return fingerprint(kind="message", parts=[project, title])


def event_fingerprint(
    event: Mapping[str, Any], chain: Sequence[ExceptionInfo], title: str, project: str
) -> str:
    given = event.get("fingerprint")
    default = default_grouping(chain, title, project)
    if isinstance(given, list) and given and all(isinstance(v, str | int) for v in given):
        values = [str(v) for v in given]
        if any(v != DEFAULT_MARK for v in values):
            resolved = [default if v == DEFAULT_MARK else v for v in values]
            return fingerprint(kind="sdk", parts=[project, "fingerprint", *resolved])
    return default


def event_to_raw(
    event: Mapping[str, Any],
    *,
    origin: Origin,
    producer: str,
    event_id: str,
    project: str,
    issue_id: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> RawError:
    """Normalise one event. ``project`` scopes the grouping (the DSN project id or slug)."""
    chain = exceptions(event)
    title = title_of(event, chain)
    fp = (
        issue_fingerprint(issue_id) if issue_id else event_fingerprint(event, chain, title, project)
    )
    tag_map = tags(event.get("tags"))
    for key in ("logger", "platform"):
        if key not in tag_map and (value := text(event.get(key), 256)):
            tag_map[key] = value
    tag_map.update(extra_tags or {})
    when = parse_time(event.get("timestamp")) or parse_time(event.get("datetime"))
    message = message_text(event) or (chain[-1].value if chain else None)
    data = RawErrorData(
        fingerprint=fp,
        origin=origin,
        title=title,
        message=message,
        severity=severity(event.get("level"), Severity.HIGH),
        level=text(event.get("level"), 64) or "error",
        service=tag_map.get("service"),
        environment=text(event.get("environment"), 256),
        release=text(event.get("release"), 256),
        project=project,
        culprit=text(event.get("culprit") or event.get("transaction"), 1000),
        url=text(event.get("web_url"), 2048),
        tags=tag_map,
        external_id=issue_id or text(event.get("event_id"), 128),
        exception=chain,
        first_seen=when,
        last_seen=when,
    )
    return RawError(id=event_id, correlationid=event_id, source=producer, subject=fp, data=data)
