"""Silences and maintenance windows: list them (viewer), make one and end one (operator). Each
change is a ``Silence`` event on ``silences`` with its ``AuditRecord``; the resolver and the
notifier honour it (see :mod:`services.api.silences`)."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.api import silences
from services.api.auth import Check
from services.api.context import Context
from services.api.errors import ApiError
from services.api.tokens import Role, TokenInfo
from shared.events import Matchers, Silence, describe_validation_error

MAX_SECONDS = 90 * 86400


class SilenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: Matchers = Field(
        description="Any of service, environment, category, fingerprint, pattern_id; every one "
        "given must match."
    )
    reason: str = Field(min_length=1, max_length=1000)
    duration_seconds: int | None = Field(
        default=None, gt=0, le=MAX_SECONDS, description="From starts_at; or give ends_at."
    )
    starts_at: datetime | None = Field(default=None, description="Default now (a window ahead).")
    ends_at: datetime | None = None
    until_resolved: bool = Field(
        default=False, description="End it when the problem it names (fingerprint) resolves."
    )
    expire_if_unused_seconds: int | None = Field(default=None, gt=0, le=MAX_SECONDS)


def make(ctx: Context, body: SilenceBody, token: TokenInfo) -> Silence:
    """The new silence ``body`` asks for; 422 when it is incoherent."""
    now = ctx.clock.time()
    starts = body.starts_at.timestamp() if body.starts_at else now
    if (body.ends_at is None) == (body.duration_seconds is None):
        raise ApiError(422, "invalid_request", "give one of ends_at and duration_seconds")
    ends = body.ends_at.timestamp() if body.ends_at else starts + (body.duration_seconds or 0)
    if ends - now > MAX_SECONDS:
        raise ApiError(422, "invalid_request", "a silence ends within 90 days")
    try:
        data = silences.new_silence(
            matchers=body.matchers,
            reason=body.reason,
            starts_at=starts,
            ends_at=ends,
            actor=token.actor(),
            until_resolved=body.until_resolved,
            expire_if_unused_seconds=body.expire_if_unused_seconds,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{p['field']}: {p['error']}" for p in describe_validation_error(exc))
        raise ApiError(422, "invalid_request", problems) from None
    return silences.event(data)


async def end(ctx: Context, silence_id: str, token: TokenInfo) -> Silence:
    """The end of an active silence, by ``token``'s person; 404, or 409 if it ended already."""
    async with ctx.database.transaction() as db:
        data = await silences.get(db, silence_id)
    if data is None:
        raise ApiError(404, "not_found", f"no silence {silence_id!r}")
    if data.state != "active":
        raise ApiError(409, "conflict", f"{silence_id} ended already")
    actor = token.actor()
    return silences.ended(data, f"ended by {actor.name or actor.id}", ctx.clock.time())


def silences_router(ctx: Context, requires: Callable[[Role], Check]) -> APIRouter:
    Viewer = Annotated[TokenInfo, Depends(requires("viewer"))]
    Operator = Annotated[TokenInfo, Depends(requires("operator"))]
    router = APIRouter(prefix="/api/v1/silences")

    @router.get("", summary="Silences and maintenance windows, the newest change first")
    async def listing(
        _: Viewer,
        state: Annotated[Literal["active", "expired"] | None, Query()] = None,
    ) -> dict[str, Any]:
        async with ctx.database.transaction() as db:
            return {"items": await silences.listing(db, state=state, now=ctx.clock.time())}

    @router.post("", status_code=202, summary="Silence what matches until a time")
    async def create(token: Operator, body: SilenceBody) -> dict[str, Any]:
        await ctx.slack_rights.check(token, "silence")
        silence = make(ctx, body, token)
        await ctx.publish(silences.outputs(silence, "silence_created", token.actor()))
        return {"silence": silence.data.model_dump(mode="json")}

    @router.post("/{silence_id}/expire", status_code=202, summary="End a silence now")
    async def expire(
        token: Operator, silence_id: Annotated[str, Path(max_length=128)]
    ) -> dict[str, Any]:
        await ctx.slack_rights.check(token, "silence")
        silence = await end(ctx, silence_id, token)
        await ctx.publish(silences.outputs(silence, "silence_ended", token.actor()))
        return {"silence": silence.data.model_dump(mode="json")}

    return router
