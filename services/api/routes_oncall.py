"""Who is on call (role ``viewer``): each on-call schedule's answer now or at a time, the same
as ``alertorch oncall --json``. See docs/oncall.md."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from services.api.auth import Check
from services.api.context import Context
from services.api.errors import ApiError
from services.api.tokens import Role, TokenInfo
from shared.oncall import answer_view, instant


def oncall_router(ctx: Context, requires: Callable[[Role], Check]) -> APIRouter:
    Viewer = Annotated[TokenInfo, Depends(requires("viewer"))]
    router = APIRouter(prefix="/api/v1")

    @router.get(
        "/oncall",
        summary="Who is on call per schedule, and until when (now or at a time); with a "
        "service, the schedules its @oncall goes to",
    )
    async def oncall(
        _: Viewer,
        at: Annotated[
            AwareDatetime | None,
            Query(description="An instant with its UTC offset (ISO 8601); default now."),
        ] = None,
        service: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    ) -> dict[str, Any]:
        try:
            when = instant(at or datetime.fromtimestamp(ctx.clock.time(), UTC))
        except ValueError as exc:
            raise ApiError(422, "invalid_request", f"at: {exc}") from None
        answers = await ctx.oncall.answers(when, service)
        return {
            "at": when.isoformat(),
            "service": service,
            "items": [answer_view(answer) for answer in answers],
        }

    return router
