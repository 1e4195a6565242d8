"""Which polled Sentry issues are new occurrences: pure decisions, no I/O.

Issues arrive newest ``lastSeen`` first. Those seen before ``since`` (the project's mark, or the
lookback on a first run) end the scan. An issue is published when it was never published or its
count grew; issues below the minimum level are skipped. What is published goes oldest first, so
the mark only ever moves forward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from services.ingest.normalise.common import parse_time, text, to_int

LEVELS: Final = ("debug", "info", "warning", "error", "fatal")


@dataclass(frozen=True)
class Seen:
    issue: Mapping[str, Any]
    issue_id: str
    count: int
    last_seen: datetime


def seen_since(page: Sequence[Mapping[str, Any]], since: datetime) -> tuple[list[Seen], bool]:
    """The issues of one page at or after ``since``, and whether the scan may stop here."""
    out: list[Seen] = []
    for issue in page:
        last_seen = parse_time(issue.get("lastSeen"))
        issue_id = text(issue.get("id"), 128)
        if last_seen is None or issue_id is None:
            continue
        if last_seen < since:
            return out, True
        out.append(Seen(issue, issue_id, max(1, to_int(issue.get("count"), 1) or 1), last_seen))
    return out, False


def level_ok(issue: Mapping[str, Any], min_level: str) -> bool:
    level = issue.get("level")
    if not isinstance(level, str) or level.lower() not in LEVELS:
        return True
    return LEVELS.index(level.lower()) >= LEVELS.index(min_level)


def to_publish(
    seen: Sequence[Seen], *, min_level: str, published: Callable[[str], int | None]
) -> list[Seen]:
    """New issues and issues whose count grew, oldest ``lastSeen`` first, one per issue."""
    latest: dict[str, Seen] = {}
    for item in seen:
        if item.issue_id not in latest or item.last_seen > latest[item.issue_id].last_seen:
            latest[item.issue_id] = item
    out = []
    for item in latest.values():
        if not level_ok(item.issue, min_level):
            continue
        before = published(item.issue_id)
        if before is None or item.count > before:
            out.append(item)
    return sorted(out, key=lambda s: (s.last_seen, s.issue_id))
