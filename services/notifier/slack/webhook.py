"""Slack through an incoming webhook only (``SLACK_WEBHOOK_URL``): no threads, no redraws, no
buttons. The first notification of a problem is posted, later ones are posts of their own, and
what was coalesced becomes a digest post at ``webhook_digest_interval_seconds``. A webhook
cannot look back, so a send a stop cut short is left ``unknown``."""

from __future__ import annotations

from typing import Any

from services.notifier.delivery.base import DeliveryResult
from services.notifier.slack.integration import SlackIntegration, SlackSetup
from services.notifier.slack.limits import Block
from services.notifier.slack.message_data import root_data
from services.notifier.slack.rendering import webhook_body
from services.notifier.slack.state import Root
from shared.events import NotificationData, Target
from shared.slack.api import SlackAnswer, SlackWebhook

#: The key of webhook-mode roots: a webhook posts to one channel whatever the target says.
WEBHOOK_CHANNEL = "(webhook)"


class SlackWebhookIntegration(SlackIntegration):
    """Slack through one incoming webhook (``webhook``)."""

    def __init__(self, setup: SlackSetup, *, webhook: SlackWebhook) -> None:
        super().__init__(setup, buttons=False)
        self.webhook = webhook

    @property
    def interval(self) -> float:
        return self.settings.webhook_digest_interval_seconds

    def channel_of(self, notification: NotificationData, target: Target) -> str:
        return WEBHOOK_CHANNEL

    async def _recorded(self, root: Root) -> Root | DeliveryResult | None:
        return root

    async def _send_root(self, root: Root, body: dict[str, object], now: float) -> SlackAnswer:
        return await self._send(root.channel, body, now)

    def _report_body(
        self, notification: NotificationData, channel: str, blocks: list[Block], text: str
    ) -> dict[str, object]:
        return webhook_body(blocks, text)

    @property
    def _posts_events(self) -> bool:
        return True

    def _event_body(
        self, root: Root, notification: NotificationData, data: dict[str, Any]
    ) -> dict[str, object]:
        blocks, text = self.renderer.card(data)
        return webhook_body(blocks, text)

    def _dirty_after_event(self, changed: Root) -> bool:
        # The post just made shows the change; a digest only for what was coalesced before.
        return changed.pending_updates > 0

    async def _flush(self, root: Root, now: float) -> None:
        data = root_data(root)
        data["coalesced"] = root.pending_updates
        if self.limiter.take(root.channel, now):
            await self.state.hold(root.fingerprint, root.channel, 0.0)
            return
        blocks, text = self.renderer.card({**data, "latest": root.pending_text or root.latest})
        answer = await self._send(root.channel, webhook_body(blocks, text), now)
        if answer.ok:
            await self.state.save_drawn(
                self._flushed(root.with_(latest=root.pending_text or root.latest), now), root
            )
        else:
            await self._flush_failed(root, answer, now, "webhook", root)

    async def _post(self, body: dict[str, object]) -> SlackAnswer:
        return await self.webhook.post(body)
