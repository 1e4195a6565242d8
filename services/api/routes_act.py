"""Acting endpoints (role ``operator``): each request becomes a ``Command`` on ``commands``,
keyed by fingerprint, with the token's actor, and an ``AuditRecord`` on ``audit``. Nothing else
changes here: the resolver and the notifier act on the command, and their events come back into
the read model."""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path
from pydantic import BaseModel, ConfigDict, Field

from services.api import acting, actions
from services.api.actions import AlertAction, NotApplicable, Request
from services.api.auth import Check
from services.api.context import Context
from services.api.errors import ApiError
from services.api.projection import Alert
from services.api.tokens import Role, TokenInfo

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=128,
        description="Repeat a request with the same key to publish the same command id again "
        "(consumers act on a command id once).",
    ),
]


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempt_id: str | None = Field(
        default=None,
        max_length=128,
        description="For approve, reject, rollback: the attempt; default the alert's latest.",
    )
    snooze_seconds: int | None = Field(default=None, gt=0, le=30 * 24 * 3600)
    reason: str | None = Field(default=None, max_length=4096)


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error_id: str = Field(min_length=1, max_length=256, description="A fingerprint or event id.")
    strategy: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=4096)


def act_router(ctx: Context, requires: Callable[[Role], Check]) -> APIRouter:
    operator: Check = requires("operator")
    Operator = Annotated[TokenInfo, Depends(operator)]
    router = APIRouter(prefix="/api/v1")

    async def send(request: Request, alert: Alert, token: TokenInfo, key: str | None) -> Any:
        event_id = actions.command_id(token.token_id, key)
        cmd = await acting.publish(ctx, request, alert, event_id)
        return {
            "command": {
                "id": cmd.id,
                "action": cmd.data.action,
                "fingerprint": cmd.data.fingerprint,
                "attempt_id": cmd.data.attempt_id,
                "actor": cmd.data.actor.model_dump(mode="json", exclude_none=True),
            }
        }

    @router.post(
        "/alerts/{fingerprint}/actions/{action}",
        status_code=202,
        summary="Act on an alert as a Slack button would: publishes a command",
    )
    async def act(
        token: Operator,
        fingerprint: Annotated[str, Path(max_length=256)],
        action: AlertAction,
        body: ActionBody | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        given = body or ActionBody()
        await ctx.slack_rights.check(token, action)
        alert = await acting.find_alert(ctx, fingerprint)
        if alert.fingerprint != fingerprint:
            raise ApiError(404, "not_found", f"no alert {fingerprint!r}")
        request = Request(
            action=action,
            actor=token.actor(),
            attempt_id=actions.attempt_for(action, alert, given.attempt_id),
            snooze_seconds=given.snooze_seconds if action == "snooze" else None,
            reason=given.reason,
        )
        return await send(request, alert, token, idempotency_key)

    @router.post(
        "/resolve",
        status_code=202,
        summary="Run a fix now: approves the attempt awaiting approval, or retries a failed one",
    )
    async def resolve(
        token: Operator, body: ResolveBody, idempotency_key: IdempotencyKey = None
    ) -> Any:
        alert = await acting.find_alert(ctx, body.error_id)
        try:
            action, attempt = actions.resolve_plan(alert, body.strategy)
        except NotApplicable as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        await ctx.slack_rights.check(token, "approve")  # running a fix is Slack's Approve
        request = Request(
            action=action, actor=token.actor(), attempt_id=attempt, reason=body.reason
        )
        return await send(request, alert, token, idempotency_key)

    return router
