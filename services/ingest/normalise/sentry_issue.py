"""A Sentry issue object (API list/detail, ``issue`` webhooks) as a ``RawError``.

The grouping key is the Sentry issue id: every occurrence of one issue, polled or pushed, lands on
the same key and partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from services.ingest.normalise.common import (
    mapping,
    parse_time,
    require_mapping,
    require_text,
    severity,
    text,
    to_int,
)
from shared.events import ExceptionInfo, Origin, RawError, RawErrorData, Severity
from shared.fingerprint import fingerprint

Status = Literal["firing", "resolved"]


def issue_fingerprint(issue_id: str) -> str:
    return fingerprint(kind="sentry_issue", parts=[issue_id])


def issue_status(issue: Mapping[str, Any]) -> Status:
    return "resolved" if issue.get("status") == "resolved" else "firing"


def issue_to_raw(
    issue: Any,
    *,
    origin: Origin,
    producer: str,
    event_id: str,
    field: str = "issue",
    status: Status | None = None,
) -> RawError:
    """Normalise one issue; ``field`` names it in errors (e.g. ``data.issue``)."""
    obj = require_mapping(issue, field)
    issue_id = require_text(obj, "id", field, limit=128)
    title = require_text(obj, "title", field)
    metadata = mapping(obj.get("metadata"))
    project = mapping(obj.get("project"))
    project_slug = text(project.get("slug"), 256)
    exc_type = text(metadata.get("type"), 512)
    exc_value = text(metadata.get("value"), 8192)
    tag_map = {
        key: value
        for key, value in (
            ("short_id", text(obj.get("shortId"), 256)),
            ("platform", text(obj.get("platform"), 256)),
            ("issue_type", text(obj.get("issueCategory") or obj.get("type"), 256)),
            ("priority", text(obj.get("priority"), 256)),
        )
        if value is not None
    }
    fp = issue_fingerprint(issue_id)
    data = RawErrorData(
        fingerprint=fp,
        origin=origin,
        title=title,
        message=exc_value,
        severity=severity(obj.get("level"), Severity.HIGH),
        level=text(obj.get("level"), 64),
        service=project_slug,
        project=project_slug,
        culprit=text(obj.get("culprit"), 1000),
        url=text(obj.get("permalink"), 2048),
        tags=tag_map,
        external_id=issue_id,
        exception=[ExceptionInfo(type=exc_type, value=exc_value)] if exc_type else [],
        count=max(1, to_int(obj.get("count"), 1) or 1),
        user_count=max(0, to_int(obj.get("userCount"), 0) or 0),
        first_seen=parse_time(obj.get("firstSeen")),
        last_seen=parse_time(obj.get("lastSeen")),
        status=status or issue_status(obj),
    )
    return RawError(id=event_id, correlationid=event_id, source=producer, subject=fp, data=data)
