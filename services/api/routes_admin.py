"""Token endpoints (role ``admin``): list, create, revoke. Each change is on ``audit``."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from services.api import actions, tokens
from services.api.auth import Check
from services.api.context import Context
from services.api.errors import ApiError
from services.api.tokens import Role, TokenInfo
from services.api.views import row_view
from shared.events import AuditRecord, new_event_id
from shared.kafka.producer import Output
from shared.topics import AUDIT


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str | None = Field(default=None, min_length=1, max_length=128)
    slack_user: str | None = Field(default=None, min_length=1, max_length=64)


def admin_router(ctx: Context, requires: Callable[[Role], Check]) -> APIRouter:
    admin: Check = requires("admin")
    Admin = Annotated[TokenInfo, Depends(admin)]
    router = APIRouter(prefix="/api/v1/tokens")

    async def record(record: AuditRecord) -> None:
        await ctx.publish([Output(AUDIT, record, record.subject)])

    @router.get("", summary="Tokens (without their secrets)")
    async def list_tokens(
        _: Admin, include_revoked: Annotated[bool, Query()] = False
    ) -> dict[str, Any]:
        found = await tokens.list_tokens(ctx.database, include_revoked=include_revoked)
        return {"items": [row_view(info.public()) for info in found]}

    @router.post("", status_code=201, summary="A new token; its secret is shown only here")
    async def create(who: Admin, body: TokenBody) -> dict[str, Any]:
        made = await tokens.create_token(
            ctx.database,
            role=body.role,
            name=body.name,
            slack_user=body.slack_user,
            clock=ctx.clock,
        )
        details = {"role": made.info.role, "name": made.info.name}
        await record(
            actions.admin_audit(
                who.actor(),
                "token.create",
                made.info.token_id,
                event_id=new_event_id(),
                details=details,
            )
        )
        return {"token": made.token, **row_view(made.info.public())}

    @router.delete("/{token_id}", summary="Revoke a token")
    async def revoke(who: Admin, token_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
        if not await tokens.revoke_token(ctx.database, token_id, clock=ctx.clock):
            raise ApiError(404, "not_found", f"no live token {token_id!r}")
        await record(
            actions.admin_audit(
                who.actor(), "token.revoke", token_id, event_id=new_event_id(), details={}
            )
        )
        return {"token_id": token_id, "revoked": True}

    return router
