"""Slack's interactivity request URL (``POST /slack/events``).

Every request is verified with slack_sdk's signature verifier, as bolt verifies (the v0
signature over ``v0:{timestamp}:{body}``, timestamps more than 5 minutes away refused), before
its body is parsed; with no signing secret configured every request is refused. A verified body
that is not a JSON object of valid UTF-8 text is a 400; a press whose values cannot make a valid
command (an over-long fingerprint or user name) publishes nothing. A button press becomes a
:class:`~shared.events.Command` published through ``publish_command`` before Slack gets its
acknowledgement (the publish has a deadline inside Slack's 3 seconds), and the message is updated
after the acknowledgement to show who acted. A press is refused, with an
ephemeral message and no command, to users not allowed the action (``slack.authorized_users``,
``slack.action_permissions``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.notifier.slack.acting import Acting
from services.notifier.slack.presses import Press, command, presses, silence
from services.notifier.slack.rendering import Renderer
from services.notifier.slack.state import SlackState
from shared.config.notification_templates import NotificationTemplatesSection
from shared.config.slack import SlackSection
from shared.events import Command, Silence
from shared.http_body import BodyTooLarge, read_limited
from shared.slack.api import SlackApi
from shared.slack.groups import GroupMembers
from shared.slack.permissions import Permissions
from shared.storage import Database

log = structlog.get_logger(__name__)

PATH = "/slack/events"
MAX_BODY = 1_048_576
PublishCommand = Callable[[Command], Awaitable[None]]
PublishSilence = Callable[[Silence], Awaitable[None]]
After = Callable[[], Awaitable[None]]
#: What a press on a message we do not know answers.
NOT_TRACKED = "This alert is not tracked here."


@dataclass
class Reply:
    """The answer to Slack, and what to do once it is sent (update messages)."""

    status: int
    body: dict[str, Any] | None = None
    after: list[After] = field(default_factory=list)


async def _run(task: After) -> None:
    await task()


def _refused(reason: str, status: int = 401) -> Reply:
    return Reply(status, {"error": reason})


def _payload(text: str, content_type: str) -> dict[str, Any] | None:
    """The JSON object a verified body carries (as bolt parses it: a form's ``payload`` field,
    or the body itself when JSON), or ``None`` when it is not one or holds text UTF-8 cannot
    encode (lone surrogates, which no later step could store or publish)."""
    try:
        payload: Any = parse_body(text, content_type)
        json.dumps(payload, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None
    return payload if isinstance(payload, dict) else None


class SlackInteractions:
    def __init__(
        self,
        *,
        signing_secret: str | None,
        publish_command: PublishCommand,
        authorized_users: Collection[str],
        client: SlackApi | None,
        database: Database,
        publish_timeout: float = 2.0,
        settings: SlackSection | None = None,
        publish_silence: PublishSilence | None = None,
        formats: NotificationTemplatesSection | None = None,
    ) -> None:
        """``client`` (bot-token mode) updates messages after a press; without it (webhook-only
        mode) presses still become commands and messages are left as they are. ``settings``
        (the ``slack`` section) chooses the templates used to redraw a root card, ``formats``
        (``notification_templates``) its headline."""
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.publish_command = publish_command
        self.publish_silence = publish_silence
        self.permissions = Permissions.of(
            (settings or SlackSection()).model_copy(
                update={"authorized_users": list(authorized_users)}
            )
        )
        self.groups = GroupMembers(client)
        self.publish_timeout = publish_timeout
        renderer = Renderer.of(settings, formats=formats)
        self.acting = Acting(client=client, state=SlackState(database), renderer=renderer)

    def _verified(self, text: str, headers: Mapping[str, str]) -> bool:
        assert self.verifier is not None
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        # The verifier int()s the timestamp and compare_digest()s the signature: both raise on
        # text that is not ASCII ("²" is a digit int() refuses).
        if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):
            return False
        return self.verifier.is_valid(text, timestamp, signature)

    async def handle(self, raw: bytes, headers: Mapping[str, str]) -> Reply:
        """Verify and act on one request from Slack."""
        if self.verifier is None:
            return _refused("SLACK_SIGNING_SECRET is not set: Slack requests are refused")
        if len(raw) > MAX_BODY:
            return _refused("request body too large", 413)
        found = {name.lower(): value for name, value in headers.items()}
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # Slack signs UTF-8 text: this body cannot be verified
            return _refused("invalid request")
        if not self._verified(text, found):
            return _refused("invalid request")
        payload = _payload(text, found.get("content-type", "").split(";")[0].strip())
        if payload is None:
            return _refused("the body is not a JSON object of UTF-8 text", 400)
        if payload.get("type") == "url_verification":
            return Reply(200, {"challenge": str(payload.get("challenge", ""))})
        reply = Reply(200)
        for press in presses(payload):
            if (failed := await self._press(press, reply)) is not None:
                return failed
        return reply

    async def _press(self, press: Press, reply: Reply) -> Reply | None:
        found = await self.acting.find(press)
        if found is None:
            reply.after.append(lambda: self.acting.tell(press, NOT_TRACKED))
            return None
        fingerprint, attempt_id = found
        members = await self.groups.members(self.permissions.groups(press.action))
        if not self.permissions.allows(press.user_id, press.action, members):
            log.warning(
                "slack action refused",
                action=press.action,
                user=press.user_id,
                fingerprint=fingerprint,
            )
            text = (
                f"You are not allowed to {press.action} from Slack: ask someone listed in "
                f"slack.authorized_users or slack.action_permissions.{press.action}."
            )
            reply.after.append(lambda: self.acting.tell(press, text))
            return None
        if press.action == "silence" and self.publish_silence is None:
            text = "Silences are not available here: use the console."
            reply.after.append(lambda: self.acting.tell(press, text))
            return None
        problems = [(fingerprint, attempt_id)]
        incident = press.value.incident if press.value is not None else None
        if incident is not None:  # Acknowledge all: every problem of the incident on the card
            problems = await self.acting.incident_problems(press, incident)
            if not problems:
                reply.after.append(lambda: self.acting.tell(press, NOT_TRACKED))
                return None
        try:
            events: list[Command | Silence] = [
                silence(press, fp, datetime.now(UTC))
                if press.action == "silence"
                else command(press, fp, attempt, one_of_many=incident is not None)
                for fp, attempt in problems
            ]
        except ValidationError as exc:
            log.warning("slack press refused: not a valid command", error=str(exc))
            reply.after.append(lambda: self.acting.tell(press, "This press could not be read."))
            return None
        try:
            await asyncio.wait_for(self._publish_all(events), timeout=self.publish_timeout)
        except Exception as exc:  # noqa: BLE001 - Slack must hear the press was not taken
            log.error(
                "slack press not published", event_ids=[e.id for e in events], error=repr(exc)
            )
            return _refused("the command could not be published; try again", 503)
        log.info(
            "slack press published",
            event_ids=[e.id for e in events],
            action=press.action,
            user=press.user_id,
            fingerprints=[fp for fp, _ in problems],
        )
        shown = [fp for fp, _ in problems]
        reply.after.append(lambda: self.acting.show(press, *shown))
        return None

    async def _publish_all(self, events: list[Command | Silence]) -> None:
        for event in events:  # a retried press publishes the same ids: consumers keep one each
            await self._publish(event)

    async def _publish(self, event: Command | Silence) -> None:
        if isinstance(event, Silence):
            assert self.publish_silence is not None
            await self.publish_silence(event)
        else:
            await self.publish_command(event)

    async def endpoint(self, request: Request) -> Response:
        try:
            # Nothing is read without a secret to check it against, nor past the limit.
            raw = await read_limited(request, MAX_BODY) if self.verifier is not None else b""
            reply = await self.handle(raw, request.headers)
        except BodyTooLarge:
            reply = _refused("request body too large", 413)
        tasks = BackgroundTasks()
        for task in reply.after:
            tasks.add_task(_run, task)
        if reply.body is None:
            return Response(status_code=reply.status, background=tasks)
        return JSONResponse(reply.body, status_code=reply.status, background=tasks)


def slack_routes(interactions: SlackInteractions, path: str = PATH) -> list[Route]:
    """The Starlette route of Slack's interactivity request URL."""
    return [Route(path, interactions.endpoint, methods=["POST"])]
