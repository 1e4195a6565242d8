"""What the Slack integration remembers, in the storage layer: the root message of each problem
in each channel (with its count, status, who acted and the digest waiting to be shown; the
problems of one incident share one message, the incident's card), and every message we posted
(so a button press finds its problem).

The service opens a :class:`~shared.storage.Database` (SQLite or PostgreSQL) with the Slack
schema, :data:`services.notifier.slack.tables.SCHEMA`; the tables survive a restart, so a
problem's thread is reused after one. Each method is one short transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import RowMapping, delete, select, update

from services.notifier.slack.tables import messages, roots
from shared.events import ButtonAction, ErrorSummary
from shared.storage import Database, upsert

#: Columns an update of a root leaves alone: its key, and who acted (see :meth:`SlackState.save`).
_KEPT_ON_UPDATE = frozenset({"fingerprint", "channel", "acted_by"})


@dataclass(frozen=True, slots=True)
class Root:
    """A problem's root message in one channel (webhook mode: ``ts`` and ``channel_id`` empty)."""

    fingerprint: str
    channel: str
    channel_id: str
    ts: str
    count: int
    status: str
    summary: ErrorSummary
    actions: tuple[ButtonAction, ...]
    attempt_id: str | None
    level: int
    posted_at: float
    updated_at: float
    acted_by: str = ""
    latest: str = ""
    dirty: bool = False
    not_before: float = 0.0
    pending_updates: int = 0
    pending_text: str = ""
    #: The row's write count when it was read (see :meth:`SlackState.save_drawn`).
    version: int = 0
    #: The problem's incident ('' if none): roots of one incident in one channel share a card.
    incident: str = ""

    def with_(self, **changes: Any) -> Root:
        return replace(self, **changes)


def _root(row: RowMapping) -> Root:
    return Root(
        fingerprint=row["fingerprint"],
        channel=row["channel"],
        channel_id=row["channel_id"],
        ts=row["ts"],
        count=int(row["count"]),
        status=row["status"],
        summary=ErrorSummary.model_validate_json(row["summary"]),
        actions=tuple(json.loads(row["actions"])),
        attempt_id=row["attempt_id"],
        level=int(row["level"]),
        posted_at=float(row["posted_at"]),
        updated_at=float(row["updated_at"]),
        acted_by=row["acted_by"],
        latest=row["latest"],
        dirty=bool(row["dirty"]),
        not_before=float(row["not_before"]),
        pending_updates=int(row["pending_updates"]),
        pending_text=row["pending_text"],
        version=int(row["version"]),
        incident=row["incident"],
    )


def _row(root: Root) -> dict[str, Any]:
    return {
        "fingerprint": root.fingerprint,
        "channel": root.channel,
        "channel_id": root.channel_id,
        "ts": root.ts,
        "count": root.count,
        "status": root.status,
        "acted_by": root.acted_by,
        "latest": root.latest,
        "summary": root.summary.model_dump_json(),
        "actions": json.dumps(list(root.actions)),
        "attempt_id": root.attempt_id,
        "level": root.level,
        "posted_at": root.posted_at,
        "updated_at": root.updated_at,
        "dirty": int(root.dirty),
        "not_before": root.not_before,
        "pending_updates": root.pending_updates,
        "pending_text": root.pending_text,
        "version": root.version,
        "incident": root.incident,
    }


@dataclass(frozen=True, slots=True)
class PostedMessage:
    channel_id: str
    ts: str
    fingerprint: str
    channel: str
    attempt_id: str | None


class SlackState:
    """Roots and posted messages in the service's database (migrated with the Slack schema)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def root(self, fingerprint: str, channel: str) -> Root | None:
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(roots).where(
                        roots.c.fingerprint == fingerprint, roots.c.channel == channel
                    )
                )
            ).first()
        return _root(row._mapping) if row is not None else None

    async def incident_root(self, incident: str, channel: str) -> Root | None:
        """The first root of ``incident`` in ``channel``: its message is the incident's card."""
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(roots)
                    .where(roots.c.incident == incident, roots.c.channel == channel)
                    .order_by(roots.c.posted_at, roots.c.fingerprint)
                    .limit(1)
                )
            ).first()
        return _root(row._mapping) if row is not None else None

    async def card(self, root: Root) -> list[Root]:
        """The roots ``root``'s message shows: those sharing it (an incident's card), first
        posted first; just ``root`` when it has no message yet."""
        if not root.ts:
            return [root]
        async with self.database.transaction() as db:
            rows = (
                await db.execute(
                    select(roots)
                    .where(roots.c.channel == root.channel, roots.c.ts == root.ts)
                    .order_by(roots.c.posted_at, roots.c.fingerprint)
                )
            ).all()
        return [_root(r._mapping) for r in rows] or [root]

    async def move_card(self, root: Root, channel_id: str, ts: str) -> None:
        """Every root shown on ``root``'s message is shown on the message ``ts`` now (the old
        one was deleted and posted again)."""
        async with self.database.transaction() as db:
            await db.execute(
                update(roots)
                .where(roots.c.channel == root.channel, roots.c.ts == root.ts)
                .values(channel_id=channel_id, ts=ts, version=roots.c.version + 1)
            )

    async def save(self, root: Root) -> None:
        """Insert or update ``root``. ``acted_by`` is written only on insert and by
        :meth:`set_acted_by` (a button press may land while a digest is being drawn)."""
        async with self.database.transaction() as db:
            await upsert(
                db,
                roots,
                [_row(root)],
                key=["fingerprint", "channel"],
                changes=lambda new: {
                    **{
                        c.name: new[c.name]
                        for c in roots.columns
                        if c.name not in (*_KEPT_ON_UPDATE, "version")
                    },
                    "version": roots.c.version + 1,
                },
            )

    async def save_drawn(self, drawn: Root, shown: Root) -> None:
        """Save ``drawn``, the state after showing ``shown`` (the root as read before drawing).
        If the row changed meanwhile (another replica folded an occurrence in), what was shown
        is taken off the newer row instead: its updates beyond those shown, and a text other
        than the one shown, stay pending."""
        key = (roots.c.fingerprint == drawn.fingerprint, roots.c.channel == drawn.channel)
        values = {
            k: v
            for k, v in _row(drawn).items()
            if k not in (*_KEPT_ON_UPDATE, "fingerprint", "channel", "version")
        }
        async with self.database.transaction() as db:
            done = await db.execute(
                update(roots)
                .where(*key, roots.c.version == shown.version)
                .values(**values, version=roots.c.version + 1)
            )
            if done.rowcount:
                return
            row = (await db.execute(select(roots).where(*key).with_for_update())).first()
            if row is None:
                return
            current = _root(row._mapping)
            await db.execute(
                update(roots)
                .where(*key)
                .values(
                    latest=drawn.latest,
                    pending_updates=max(0, current.pending_updates - shown.pending_updates),
                    pending_text=""
                    if current.pending_text == shown.pending_text
                    else current.pending_text,
                    not_before=0.0,
                    dirty=1,
                    version=roots.c.version + 1,
                )
            )

    async def raise_count(
        self, fingerprint: str, count: int, summary: ErrorSummary, *, besides: str
    ) -> None:
        """The problem's roots in channels other than ``besides`` showing fewer than ``count``
        occurrences take ``count`` and ``summary``, to be redrawn: a root posted in one channel
        (the fix news in the resolutions channel, say) keeps up with the occurrences another
        channel is told of."""
        async with self.database.transaction() as db:
            await db.execute(
                update(roots)
                .where(
                    roots.c.fingerprint == fingerprint,
                    roots.c.channel != besides,
                    roots.c.count < count,
                )
                .values(
                    count=count,
                    summary=summary.model_dump_json(),
                    dirty=1,
                    version=roots.c.version + 1,
                )
            )

    async def hold(self, fingerprint: str, channel: str, until: float) -> None:
        """No redraw of this root before ``until`` (Slack asked us to wait)."""
        async with self.database.transaction() as db:
            await db.execute(
                update(roots)
                .where(roots.c.fingerprint == fingerprint, roots.c.channel == channel)
                .values(not_before=until)
            )

    async def channel_id(self, channel: str) -> str:
        """The Slack id of ``channel`` as a root posted there recorded it ('' if none did)."""
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(roots.c.channel_id)
                    .where(roots.c.channel == channel, roots.c.channel_id != "")
                    .limit(1)
                )
            ).first()
        return str(row[0]) if row else ""

    async def set_acted_by(self, fingerprint: str, channel: str, acted_by: str) -> Root | None:
        """Record who acted on the problem; the root is redrawn at the next tick the digest
        interval allows (a count-only wait, see ``_flushed``, is cut short)."""
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    update(roots)
                    .where(roots.c.fingerprint == fingerprint, roots.c.channel == channel)
                    .values(acted_by=acted_by, dirty=1, not_before=0.0, version=roots.c.version + 1)
                    .returning(*roots.columns)
                )
            ).first()
        return _root(row._mapping) if row is not None else None

    async def forget_root(self, fingerprint: str, channel: str) -> None:
        async with self.database.transaction() as db:
            await db.execute(
                delete(roots).where(roots.c.fingerprint == fingerprint, roots.c.channel == channel)
            )

    async def claim_due(self, now: float, interval: float, limit: int, hold: float) -> list[Root]:
        """Roots with changes to show whose last update is at least ``interval`` old, claimed
        for ``hold`` seconds: another replica's tick skips them meanwhile (rows it is claiming
        at this moment are skipped too)."""
        async with self.database.transaction() as db:
            rows = (
                await db.execute(
                    select(roots)
                    .where(
                        roots.c.dirty == 1,
                        roots.c.updated_at <= now - interval,
                        roots.c.not_before <= now,
                    )
                    .order_by(roots.c.updated_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            claimed = [_root(r._mapping) for r in rows]
            for root in claimed:
                await db.execute(
                    update(roots)
                    .where(roots.c.fingerprint == root.fingerprint, roots.c.channel == root.channel)
                    .values(not_before=now + hold)
                )
        return claimed

    async def remember_message(self, message: PostedMessage, now: float) -> None:
        async with self.database.transaction() as db:
            await upsert(
                db,
                messages,
                [
                    {
                        "channel_id": message.channel_id,
                        "ts": message.ts,
                        "fingerprint": message.fingerprint,
                        "channel": message.channel,
                        "attempt_id": message.attempt_id,
                        "posted_at": now,
                    }
                ],
                key=["channel_id", "ts"],
            )

    async def message(self, channel_id: str, ts: str) -> PostedMessage | None:
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(
                        messages.c.channel_id,
                        messages.c.ts,
                        messages.c.fingerprint,
                        messages.c.channel,
                        messages.c.attempt_id,
                    ).where(messages.c.channel_id == channel_id, messages.c.ts == ts)
                )
            ).first()
        if row is None:
            return None
        return PostedMessage(row[0], row[1], row[2], row[3], row[4])

    async def prune(self, before: float) -> int:
        """Forget roots and messages untouched since ``before``; a later alert starts afresh."""
        async with self.database.transaction() as db:
            gone = (
                await db.execute(
                    delete(roots)
                    .where(roots.c.updated_at < before, roots.c.dirty == 0)
                    .returning(roots.c.fingerprint)
                )
            ).all()
            await db.execute(delete(messages).where(messages.c.posted_at < before))
        return len(gone)
