"""Reading endpoints (role ``viewer``): status, alerts, an alert's timeline, resolutions, the
inbox, analytics."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
from collections.abc import Callable
from typing import Annotated, Any, Final, get_args

from fastapi import APIRouter, Depends, Query

from services.api import queries, report
from services.api.analytics import Window, iso
from services.api.auth import Check
from services.api.context import Context
from services.api.errors import ApiError
from services.api.queries import AlertFilter
from services.api.tokens import Role, TokenInfo
from services.api.views import alert_view, row_view
from shared.events import ResolutionStatus, Severity

STATUSES: Final = ("open", "acknowledged", "snoozed", "resolved")
SEVERITIES: Final = tuple(s.value for s in Severity)
DAY: Final = 86400.0
MAX_BUCKETS: Final = 1000

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
Cursor = Annotated[
    str | None, Query(max_length=2048, description="`next_cursor` of the previous page.")
]
Words = Annotated[
    list[str] | None, Query(description="Repeat the parameter or separate values by commas.")
]


def _words(values: list[str] | None, name: str, allowed: tuple[str, ...] = ()) -> tuple[str, ...]:
    found = tuple(w.strip() for v in values or () for w in v.split(",") if w.strip())
    wrong = [w for w in found if allowed and w not in allowed]
    if wrong:
        raise ApiError(
            422, "invalid_request", f"{name}: {', '.join(wrong)} not one of {', '.join(allowed)}"
        )
    return found


def read_router(ctx: Context, requires: Callable[[Role], Check]) -> APIRouter:
    viewer: Check = requires("viewer")
    Viewer = Annotated[TokenInfo, Depends(viewer)]
    router = APIRouter(prefix="/api/v1")

    @router.get(
        "/status",
        summary="The console's state, every consumer group with its members and lag, the alerts "
        "by status, dead letters",
    )
    async def status(_: Viewer) -> dict[str, Any]:
        async with ctx.database.transaction() as db:
            counts = await queries.status_counts(db)
        consumers, consumers_error = await ctx.consumer_groups()
        health = ctx.health
        problems = sorted(health.halted_reasons.values())
        return {
            "service": health.service,
            "ready": health.ready,
            "problems": problems,
            "time": iso(ctx.clock.time()),
            "consumed_topics": list(ctx.topics),
            "consumers": consumers,
            "consumers_error": consumers_error,
            "alerts": counts["alerts"],
            "dead_letters": counts["dead_letters"],
            "dead_letters_total": sum(counts["dead_letters"].values()),
            "last_event_at": {t: iso(at) for t, at in counts["last_event_at"].items()},
        }

    @router.get("/alerts", summary="Alerts, filtered, sorted, a page at a time")
    async def alerts(
        _: Viewer,
        status: Words = None,
        severity: Words = None,
        service: Words = None,
        category: Words = None,
        environment: Words = None,
        sort: Annotated[
            str,
            Query(
                pattern=r"^-?(last_seen|first_seen|severity|occurrences)$",
                description="A column; a leading `-` sorts descending.",
            ),
        ] = queries.DEFAULT_ALERT_SORT,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        where = AlertFilter(
            status=_words(status, "status", STATUSES),
            severity=_words(severity, "severity", SEVERITIES),
            service=_words(service, "service"),
            category=_words(category, "category"),
            environment=_words(environment, "environment"),
        )
        async with ctx.database.transaction() as db:
            page = await queries.list_alerts(db, where, sort=sort, limit=limit, after=cursor)
        return {"items": [alert_view(a) for a in page.items], "next_cursor": page.next_cursor}

    @router.get("/alerts/{fingerprint}", summary="One alert and its timeline, oldest first")
    async def alert(
        _: Viewer,
        fingerprint: str,
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        async with ctx.database.transaction() as db:
            found = await queries.get_alert(db, fingerprint)
            if found is None:
                raise ApiError(404, "not_found", f"no alert {fingerprint!r}")
            page = await queries.alert_timeline(db, fingerprint, limit=limit, after=cursor)
        return {
            "alert": alert_view(found),
            "timeline": [row_view(item) for item in page.items],
            "next_cursor": page.next_cursor,
        }

    @router.get("/resolutions", summary="Decisions and fix outcomes, newest first")
    async def resolutions(
        _: Viewer,
        fingerprint: Annotated[str | None, Query(max_length=256)] = None,
        status: Words = None,
        strategy: Annotated[str | None, Query(max_length=256)] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        wanted = _words(status, "status", get_args(ResolutionStatus))
        async with ctx.database.transaction() as db:
            page = await queries.list_resolutions(
                db,
                fingerprint=fingerprint,
                status=wanted,
                strategy=strategy,
                limit=limit,
                after=cursor,
            )
        return {"items": [row_view(i) for i in page.items], "next_cursor": page.next_cursor}

    @router.get(
        "/inbox",
        summary="The console inbox: notifications to the console, and each alert's latest",
    )
    async def inbox(_: Viewer, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
        async with ctx.database.transaction() as db:
            page = await queries.inbox(db, limit=limit, after=cursor)
        return {"items": [row_view(i) for i in page.items], "next_cursor": page.next_cursor}

    @router.get("/analytics", summary="Rates, response times, success per strategy, top lists")
    async def analytics_report(
        _: Viewer,
        window: Annotated[
            float, Query(ge=60, le=30 * DAY, description="Seconds up to `end`.")
        ] = DAY,
        bucket: Annotated[float, Query(ge=60, le=30 * DAY, description="Seconds.")] = 3600,
        end: Annotated[
            float | None,
            Query(ge=0, le=1e11, allow_inf_nan=False, description="Epoch seconds; default now."),
        ] = None,
    ) -> dict[str, Any]:
        stop = end if end is not None else ctx.clock.time()
        span = Window(start=stop - window, end=stop, bucket=bucket)
        if span.buckets > MAX_BUCKETS:
            raise ApiError(422, "invalid_request", f"more than {MAX_BUCKETS} buckets")
        async with ctx.database.transaction() as db:
            return await report.gather(db, span)

    return router
