"""An answer as JSON, the same for ``alertorch oncall --json`` and ``GET /api/v1/oncall``.
The address of a feed is never shown (it often holds a secret); only its state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.oncall.directory import Answer


def _utc(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def answer_view(answer: Answer) -> dict[str, Any]:
    on_call = answer.on_call
    schedule = on_call.schedule
    until = on_call.until
    local = until.astimezone(ZoneInfo(schedule.time_zone)) if until else None
    feed = answer.feed
    return {
        "schedule": schedule.name,
        "time_zone": schedule.time_zone,
        "services": list(schedule.services),
        "default": not schedule.services,
        "mention": schedule.mention,
        "people": [{"slack_user": p.slack_user, "name": p.name} for p in on_call.people],
        "source": on_call.source or None,
        "until": until.isoformat() if until else None,
        "until_local": local.isoformat() if local else None,
        "notes": list(on_call.notes),
        "calendar": None
        if feed is None
        else {"fetched_at": _utc(feed.fetched_at), "error": feed.error},
    }
