"""A Datadog monitor notification (the Webhooks integration) as one ``RawError`` event.

Datadog posts whatever JSON the webhook's payload template renders. We read the keys of the
template in docs/ingest.md: Datadog's default payload (``id``, ``title``, ``body``, ``date``,
``last_updated``, ``event_type``, ``org``) plus the monitor's variables (``alert_id``,
``alert_transition``, ``alert_scope``, ...). A webhook left on the default payload works too,
through the fallbacks below. A value still reading ``$VARIABLE`` (one Datadog left unfilled)
counts as absent; unknown keys are ignored.

Rules, in order:

- Title: ``title`` ($EVENT_TITLE), else ``alert_title`` ($ALERT_TITLE), without the status prefix
  Datadog puts in front (``[P1] [Triggered on {host:web-1}] ``); neither: 422.
- Transition: ``alert_transition``, else the title's prefix. ``Recovered`` resolves; every other
  transition (Triggered, Re-Triggered, Warn, No Data, Renotify, ...) fires.
- Grouping key, the same for a monitor group's Triggered and its Recovered and across cycles (like
  an Alertmanager fingerprint): ``alert_id`` with the scope (``alert_scope``, else the title's
  ``on {...}``); else ``aggreg_key``; else the title with its scope. ``$ALERT_CYCLE_KEY`` is not
  part of it: it changes on every trigger, and a re-trigger after a recovery is the same problem
  coming back (a regression). The org id, when sent, scopes each key.
- Severity: ``alert_priority`` P1-P5 (critical, high, medium, low, info); else ``alert_type``
  error, warning or info (high, medium, info); else medium for a Warn or No Data transition;
  else high.
- Event id: derived from Datadog's event id (``id``), else from the whole body, so a retried
  delivery is the same event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from services.ingest.errors import InvalidPayload
from services.ingest.normalise.common import mapping, parse_time, severity, tags, text, to_int
from shared.events import RawError, RawErrorData, Severity, derived_event_id
from shared.fingerprint import fingerprint

RESOLVING: Final = frozenset({"recovered"})
WARNING: Final = frozenset({"warn", "re-warn", "no data", "re-no data"})
TRANSITIONS: Final = RESOLVING | WARNING | {"triggered", "re-triggered", "renotify"}
PRIORITY: Final = {
    "p1": Severity.CRITICAL,
    "p2": Severity.HIGH,
    "p3": Severity.MEDIUM,
    "p4": Severity.LOW,
    "p5": Severity.INFO,
}
LEVEL_TYPES: Final = frozenset({"error", "warning", "info"})
#: Tags this source adds from the payload's own fields (they win over same-named Datadog tags).
CONTEXT_TAGS: Final = {
    "alert_id": "monitor_id",
    "alert_transition": "transition",
    "alert_priority": "priority",
    "alert_metric": "metric",
    "alert_query": "query",
    "event_type": "event_type",
}
_UNFILLED: Final = re.compile(r"\$[A-Z][A-Z0-9_]*(?:\[[^\]]{0,200}\])?")
#: One leading ``[...]`` of a title: a priority or a transition, with an optional ``on {scope}``.
_PREFIX: Final = re.compile(r"\s*\[([^\[\]{}]{1,40}?)(?: on \{([^{}]{0,2000})\})?\]\s*")
_EPOCH_MS: Final = 10**11  # larger epoch numbers are milliseconds ($DATE is)


@dataclass(frozen=True)
class Title:
    """A title split into what Datadog put in front and the monitor's own name."""

    name: str
    transition: str | None
    scope: str


def value(body: Mapping[str, Any], key: str, limit: int) -> str | None:
    """``body[key]`` as text; ``None`` when absent, empty or an unfilled ``$VARIABLE``."""
    found = text(body.get(key), limit)
    if found is None or _UNFILLED.fullmatch(found.strip()):
        return None
    return found.strip()


def split_title(title: str) -> Title:
    """``[P1] [Triggered on {host:web-1}] Disk full`` → ``Disk full``, triggered, host:web-1."""
    transition: str | None = None
    scope = ""
    rest = title
    for _ in range(3):
        found = _PREFIX.match(rest)
        if found is None:
            break
        word = found.group(1).strip().lower()
        if word in TRANSITIONS and transition is None:
            transition, scope = word, found.group(2) or ""
        elif word not in PRIORITY:
            break
        rest = rest[found.end() :]
    return Title(name=rest.strip() or title.strip(), transition=transition, scope=scope)


def tag_pairs(*lists: str | None) -> list[tuple[str, str]]:
    """Datadog tag lists (``env:prod, team:web, monitor``) as pairs; a bare tag reads "true" and
    the ``*`` of an ungrouped scope is no tag."""
    pairs = []
    for listed in lists:
        for item in (listed or "").split(","):
            key, sep, word = item.strip().partition(":")
            if key.strip() and key.strip() != "*":
                pairs.append((key.strip(), word.strip() if sep else "true"))
    return pairs


def normal_scope(scope: str) -> str:
    """A scope's tags sorted, so the same group always gives the same key."""
    return ",".join(sorted({f"{k}:{v}" for k, v in tag_pairs(scope)}))


def epoch(raw: str | None) -> datetime | None:
    """Datadog's epoch milliseconds (or seconds, or ISO 8601) as a UTC datetime."""
    number = to_int(raw)
    if number is None:
        return parse_time(raw)
    return parse_time(number / 1000 if number >= _EPOCH_MS else number)


def _severity(priority: str | None, alert_type: str | None, transition: str | None) -> Severity:
    if priority and priority.lower() in PRIORITY:
        return PRIORITY[priority.lower()]
    if alert_type and alert_type.lower() in LEVEL_TYPES:
        return severity(alert_type, Severity.HIGH)
    return Severity.MEDIUM if transition in WARNING else Severity.HIGH


def _message(body: Mapping[str, Any]) -> str | None:
    message = value(body, "body", 32768)
    if message and message.startswith("%%%") and message.endswith("%%%") and len(message) > 6:
        message = message[3:-3].strip() or None  # Datadog's markdown markers
    return message or value(body, "alert_status", 32768)


def _tags(pairs: list[tuple[str, str]], context: dict[str, str]) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for key, word in pairs:
        if word not in merged.setdefault(key, []):
            merged[key].append(word)
    return tags({**{k: ",".join(v) for k, v in merged.items()}, **context})


def _first(pairs: list[tuple[str, str]], *keys: str) -> str | None:
    return next((text(word, 256) for key, word in pairs if key in keys and word), None)


def datadog_to_event(body: Mapping[str, Any], *, producer: str) -> RawError:
    full_title = value(body, "title", 1000) or value(body, "alert_title", 1000)
    if full_title is None:
        raise InvalidPayload(
            "not a Datadog webhook payload: it has no title",
            details=[
                {
                    "field": "title",
                    "error": 'required: add "title": "$EVENT_TITLE" to the webhook\'s payload',
                }
            ],
        )
    title = split_title(full_title)
    transition = (value(body, "alert_transition", 64) or "").lower() or title.transition
    status: Literal["firing", "resolved"] = "resolved" if transition in RESOLVING else "firing"
    org = mapping(body.get("org"))
    org_id = value(org, "id", 128) or ""
    alert_id = value(body, "alert_id", 128)
    aggregate = value(body, "aggreg_key", 128)
    scope = normal_scope(value(body, "alert_scope", 4096) or title.scope)
    if alert_id:
        key = f"monitor:{org_id}:{alert_id}:{scope}"
    elif aggregate:
        key = f"aggregate:{org_id}:{aggregate}"
    else:
        key = f"title:{org_id}:{title.name}:{scope}"
    fp = fingerprint(kind="dedup_key", parts=["datadog", key])
    event_key = value(body, "id", 128) or json.dumps(body, sort_keys=True, default=str)
    event_id = derived_event_id("datadog", key, status, event_key)
    pairs = tag_pairs(scope, value(body, "tags", 16384))
    context = {tag: v for k, tag in CONTEXT_TAGS.items() if (v := value(body, k, 1024))}
    if (host := value(body, "hostname", 256)) and not _first(pairs, "host"):
        context["host"] = host
    if org_name := value(org, "name", 256):
        context["org"] = org_name
    alert_type = value(body, "alert_type", 64)
    when = epoch(value(body, "date", 64) or value(body, "last_updated", 64))
    data = RawErrorData(
        fingerprint=fp,
        origin="datadog",
        title=title.name,
        message=_message(body),
        severity=_severity(value(body, "alert_priority", 16), alert_type, transition),
        level=alert_type or value(body, "alert_transition", 64) or title.transition,
        service=_first(pairs, "service"),
        environment=_first(pairs, "env", "environment"),
        url=value(body, "link", 2048),
        tags=_tags(pairs, context),
        external_id=alert_id or aggregate,
        first_seen=when if status == "firing" else None,
        last_seen=when if status == "resolved" else None,
        status=status,
    )
    return RawError(id=event_id, correlationid=event_id, source=producer, subject=fp, data=data)
