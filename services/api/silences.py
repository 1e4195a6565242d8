"""Silences in the console: made and ended here (by people, through the API or the page), kept
in the read model as the ``silences`` topic tells them, and ended when their time is up.

The console publishes a silence's whole state on ``silences`` (keyed by its id); the resolver
and the notifier keep it in their own tables and hold back what it matches, recording each time
on ``audit`` (action ``silenced``). From those records the console knows when a silence was last
used. Every ``CHECK_SECONDS`` it ends the silences whose problem resolved (``until_resolved``)
and those unused for ``expire_if_unused_seconds``; a silence past its ``ends_at`` simply stops
matching.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api import queries
from services.api.tables import silence_uses, silences
from shared.events import (
    Actor,
    AuditRecord,
    Matchers,
    Silence,
    SilenceData,
    derived_event_id,
    new_event_id,
    silence_audit,
)
from shared.kafka.producer import Output
from shared.storage import greatest, upsert
from shared.storage import silences as kept
from shared.topics import AUDIT, SILENCES

SOURCE: Final = "/alertorch/api/silences"
CHECK_SECONDS: Final = 30.0
CONSOLE: Final = Actor(kind="service", id="api", via="system")


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def event(data: SilenceData, *, event_id: str | None = None, at: float | None = None) -> Silence:
    """The event that tells ``data`` (a new silence, or one ended)."""
    chosen = event_id or new_event_id()
    return Silence(
        id=chosen,
        source=SOURCE,
        subject=data.silence_id,
        correlationid=chosen,
        data=data,
        **({"time": _at(at)} if at is not None else {}),
    )


def new_silence(
    *,
    matchers: Matchers,
    reason: str,
    starts_at: float,
    ends_at: float,
    actor: Actor,
    until_resolved: bool = False,
    expire_if_unused_seconds: int | None = None,
) -> SilenceData:
    """A new active silence (raises ``ValueError`` on an incoherent one)."""
    return SilenceData(
        silence_id="sil_" + secrets.token_hex(6),
        matchers=matchers,
        reason=reason,
        starts_at=_at(starts_at),
        ends_at=_at(ends_at),
        until_resolved=until_resolved,
        expire_if_unused_seconds=expire_if_unused_seconds,
        created_by=actor,
    )


def ended(data: SilenceData, why: str, now: float) -> Silence:
    """``data`` expired now; its id derives from the silence, so replicas ending it at once
    publish one event id."""
    gone = data.model_copy(update={"state": "expired", "ended_reason": why[:1000]})
    return event(gone, event_id=derived_event_id(data.silence_id, "expired"), at=now)


def outputs(silence: Silence, action: str, actor: Actor) -> list[Output]:
    """The silence's event and the audit record of who did it."""
    record = silence_audit(silence, action, actor, SOURCE)
    return [
        Output(SILENCES, silence, silence.data.silence_id),
        Output(AUDIT, record, record.data.fingerprint),
    ]


async def fold(db: AsyncConnection, events: Sequence[Silence]) -> None:
    await kept.keep(db, silences, events)


async def record_uses(db: AsyncConnection, records: Sequence[AuditRecord]) -> None:
    """Note when each silence last held something back (``silenced`` audit records)."""
    latest: dict[str, float] = {}
    for record in records:
        silence_id = record.data.details.get("silence_id")
        if record.data.action == "silenced" and isinstance(silence_id, str):
            latest[silence_id] = max(latest.get(silence_id, 0.0), record.time.timestamp())
    rows = [{"silence_id": k, "last_used_at": v} for k, v in latest.items()]
    await upsert(
        db,
        silence_uses,
        rows,
        key=["silence_id"],
        changes=lambda new: {
            "last_used_at": greatest(silence_uses.c.last_used_at, new.last_used_at)
        },
    )


async def listing(
    db: AsyncConnection, *, state: str | None, now: float, limit: int = 500
) -> list[dict[str, Any]]:
    """Silences, the newest change first, each with when it was last used; one whose end has
    passed is shown ``expired`` (its time ran out)."""
    query = (
        select(silences.c.body, silence_uses.c.last_used_at)
        .outerjoin(silence_uses, silence_uses.c.silence_id == silences.c.silence_id)
        .order_by(silences.c.updated_at.desc())
        .limit(limit)
    )
    if state == "active":
        query = query.where(silences.c.state == "active", silences.c.ends_at > now)
    elif state == "expired":
        query = query.where(or_(silences.c.state == "expired", silences.c.ends_at <= now))
    found = []
    for body, used in await db.execute(query):
        data = SilenceData.model_validate_json(body)
        if data.state == "active" and data.ends_at.timestamp() <= now:
            data = data.model_copy(update={"state": "expired", "ended_reason": "its time ran out"})
        item = data.model_dump(mode="json")
        item["last_used_at"] = _at(used).isoformat() if used is not None else None
        found.append(item)
    return found


async def get(db: AsyncConnection, silence_id: str) -> SilenceData | None:
    row = (
        await db.execute(select(silences.c.body).where(silences.c.silence_id == silence_id))
    ).first()
    return SilenceData.model_validate_json(row[0]) if row else None


async def due_to_end(db: AsyncConnection, now: float) -> list[Silence]:
    """The active silences whose problem resolved or that went unused too long: their ends."""
    found = []
    for data in await kept.active(db, silences, now):
        why = None
        fingerprint = data.matchers.fingerprint
        if data.until_resolved and fingerprint is not None:
            alert = await queries.get_alert(db, fingerprint)
            resolved = alert.resolved_at if alert is not None else None
            if resolved is not None and resolved >= data.starts_at.timestamp():
                why = "the problem resolved"
        if why is None and data.expire_if_unused_seconds is not None:
            used = (
                await db.execute(
                    select(silence_uses.c.last_used_at).where(
                        silence_uses.c.silence_id == data.silence_id
                    )
                )
            ).scalar_one_or_none()
            since = max(data.starts_at.timestamp(), float(used or 0.0))
            if now - since >= data.expire_if_unused_seconds:
                why = f"unused for {data.expire_if_unused_seconds} s"
        if why is not None:
            found.append(ended(data, why, now))
    return found
