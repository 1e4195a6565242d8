"""Acting on an alert, for the REST API and the web page alike: find the alert a request is
about, publish the request as a ``Command`` with its ``AuditRecord``."""

from __future__ import annotations

from services.api import actions, queries
from services.api.actions import Request
from services.api.context import Context
from services.api.errors import ApiError
from services.api.metrics import COMMANDS_PUBLISHED
from services.api.projection import Alert
from shared.events import Command
from shared.kafka.producer import Output
from shared.topics import AUDIT, COMMANDS


async def find_alert(ctx: Context, error_id: str) -> Alert:
    """The alert ``error_id`` names (a fingerprint, or the id of one of its events); 404."""
    async with ctx.database.transaction() as db:
        alert = await queries.get_alert(db, error_id)
        if alert is None:
            fingerprint = await queries.fingerprint_of_event(db, error_id)
            if fingerprint is not None:
                alert = await queries.get_alert(db, fingerprint)
    if alert is None or alert.title is None:
        raise ApiError(404, "not_found", f"no alert or event {error_id!r}")
    return alert


async def publish(ctx: Context, request: Request, alert: Alert, event_id: str) -> Command:
    """Publish ``request`` as a command (id ``event_id``) and its audit record; 503 when the
    broker does not take them."""
    cmd = actions.command(request, alert, event_id=event_id)
    await ctx.publish(
        [Output(COMMANDS, cmd, cmd.subject), Output(AUDIT, actions.audit(cmd), cmd.subject)]
    )
    COMMANDS_PUBLISHED.labels(cmd.data.action).inc()
    return cmd
