"""The seed's ``SlackHandler``: ``send_alert()``, ``handle_interaction()``, ``send_escalation()``.

A thin library surface over :class:`SlackIntegration` (delivery) and
:class:`SlackInteractions` (button presses), for code that talks to Slack directly rather than
through the notifier service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.routing import Route

from services.notifier.delivery.base import DeliveryResult
from services.notifier.slack.factory import slack_integration
from services.notifier.slack.integration import SlackIntegration
from services.notifier.slack.interactivity import PublishCommand, SlackInteractions
from shared.config import Settings, reveal
from shared.events import NotificationData, Target
from shared.slack.clients import SlackClients, slack_clients
from shared.storage import Database


async def _nowhere(_command: Any) -> None:
    raise RuntimeError("no publish_command was given: button presses cannot be published")


class SlackHandler:
    """Sends alerts and escalations to Slack and handles its button presses."""

    def __init__(
        self,
        integration: SlackIntegration,
        *,
        interactions: SlackInteractions | None = None,
        clients: SlackClients | None = None,
    ) -> None:
        self.integration = integration
        self.interactions = interactions
        self._clients = clients

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        database: Database,
        *,
        publish_command: PublishCommand | None = None,
    ) -> SlackHandler:
        """A handler for SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL, with SLACK_SIGNING_SECRET for
        presses. ``database`` holds the Slack schema (``SLACK_SCHEMA``), migrated."""
        clients = slack_clients(settings)
        if clients is None:
            raise ValueError("set SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL to send to Slack")
        integration = slack_integration(settings, database, clients)
        secret = settings.slack_signing_secret
        interactions = SlackInteractions(
            signing_secret=reveal(secret),
            publish_command=publish_command or _nowhere,
            authorized_users=settings.slack.authorized_users,
            client=clients.api,
            database=database,
            publish_timeout=settings.slack.publish_timeout_seconds,
            settings=settings.slack,
            formats=settings.notification_templates,
        )
        return cls(integration, interactions=interactions, clients=clients)

    async def send_alert(
        self, notification: NotificationData, channel: str | None = None
    ) -> DeliveryResult:
        """Post (or fold into its thread) one notification, to ``channel`` or the alerts
        channel."""
        return await self.integration.send_notification(
            notification, Target(type="slack", channel=channel)
        )

    async def send_escalation(
        self,
        notification: NotificationData,
        channel: str | None = None,
        mentions: Sequence[str] = (),
    ) -> DeliveryResult:
        """Escalate: a reply in the problem's thread (also sent to the channel) mentioning
        ``mentions``, or a new root in the escalations channel."""
        escalation = notification.model_copy(update={"kind": "escalation"})
        target = Target(type="slack", channel=channel, mentions=list(mentions))
        return await self.integration.handle_escalation(escalation, target)

    async def handle_interaction(
        self, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any] | None]:
        """Handle one request to the interactivity URL, including the message updates that
        follow it; returns the HTTP status and JSON body to answer Slack with."""
        if self.interactions is None:
            return 401, {"error": "interactivity is not configured"}
        reply = await self.interactions.handle(body, headers)
        for after in reply.after:
            await after()
        return reply.status, reply.body

    def routes(self) -> list[Route]:
        """``POST /slack/events`` for a Starlette app."""
        if self.interactions is None:
            return []
        return [Route("/slack/events", self.interactions.endpoint, methods=["POST"])]

    async def tick(self, now: float) -> None:
        await self.integration.tick(now)

    async def aclose(self) -> None:
        if self._clients is not None:
            await self._clients.aclose()
