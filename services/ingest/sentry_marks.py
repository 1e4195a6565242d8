"""What the Sentry poller has published, kept in the ingest store so a restart (or the replica
that takes the poller over) resumes exactly.

Per project a high-water mark: the newest ``lastSeen`` published. Per issue the count last
published, kept only while the issue's ``lastSeen`` is at or after the mark (older issues are
never fetched again), so the table stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.tables import sentry_issues, sentry_marks
from shared.storage import Database, greatest, upsert


def stamp(when: datetime) -> str:
    """A UTC timestamp in one fixed format, so text order is time order."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SentryMarks:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def mark(self, project: str) -> datetime | None:
        async with self._database.transaction() as db:
            seen = await db.scalar(
                select(sentry_marks.c.last_seen).where(sentry_marks.c.project == project)
            )
        return datetime.fromisoformat(seen) if seen is not None else None

    async def published_counts(self, issue_ids: Iterable[str]) -> dict[str, int]:
        """The count last published for each of ``issue_ids`` that was published before."""
        wanted = list(issue_ids)
        if not wanted:
            return {}
        async with self._database.transaction() as db:
            rows = await db.execute(
                select(sentry_issues.c.issue_id, sentry_issues.c.count).where(
                    sentry_issues.c.issue_id.in_(wanted)
                )
            )
            return {str(issue): int(count) for issue, count in rows}

    async def record(self, project: str, issue_id: str, count: int, last_seen: datetime) -> None:
        """After the broker acknowledged an issue's event: remember it and advance the mark."""
        seen = stamp(last_seen)
        async with self._database.transaction() as db:
            await upsert(
                db,
                sentry_issues,
                [{"issue_id": issue_id, "project": project, "count": count, "last_seen": seen}],
                key=["issue_id"],
            )
            await _advance(db, project, seen)

    async def advance(self, project: str, last_seen: datetime) -> None:
        """Move the mark forward (never back) and forget issues behind it."""
        async with self._database.transaction() as db:
            await _advance(db, project, stamp(last_seen))
            mark = select(sentry_marks.c.last_seen).where(sentry_marks.c.project == project)
            await db.execute(
                delete(sentry_issues).where(
                    sentry_issues.c.project == project,
                    sentry_issues.c.last_seen < mark.scalar_subquery(),
                )
            )


async def _advance(db: AsyncConnection, project: str, seen: str) -> None:
    await upsert(
        db,
        sentry_marks,
        [{"project": project, "last_seen": seen}],
        key=["project"],
        changes=lambda new: {"last_seen": greatest(sentry_marks.c.last_seen, new.last_seen)},
    )
