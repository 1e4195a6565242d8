"""Slack clients from settings: bot token, else webhook, else nothing."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import Settings
from shared.slack.api import HttpSlackApi, HttpSlackWebhook


@dataclass
class SlackClients:
    """The HTTP clients an integration uses; close them with :meth:`aclose`."""

    api: HttpSlackApi | None
    webhook: HttpSlackWebhook | None

    async def aclose(self) -> None:
        if self.api is not None:
            await self.api.aclose()
        if self.webhook is not None:
            await self.webhook.aclose()


def slack_clients(settings: Settings) -> SlackClients | None:
    """Clients for SLACK_BOT_TOKEN (preferred) or SLACK_WEBHOOK_URL; ``None`` without either."""
    timeout = settings.slack.request_timeout_seconds
    if settings.slack_bot_token is not None:
        api = HttpSlackApi(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack.api_url,
            timeout=timeout,
        )
        return SlackClients(api=api, webhook=None)
    if settings.slack_webhook_url is not None:
        webhook = HttpSlackWebhook(
            url=settings.slack_webhook_url.get_secret_value(), timeout=timeout
        )
        return SlackClients(api=None, webhook=webhook)
    return None
