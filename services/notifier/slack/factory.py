"""The notifier's Slack delivery from settings: where its state lives, and the integration for
the client ``SLACK_BOT_TOKEN`` or ``SLACK_WEBHOOK_URL`` gave (:func:`slack_clients`)."""

from __future__ import annotations

import time

from services.notifier.slack.bot import SlackBotIntegration
from services.notifier.slack.integration import SlackIntegration, SlackSetup
from services.notifier.slack.webhook import SlackWebhookIntegration
from shared.clock import ReadTime
from shared.config import Settings
from shared.oncall import OnCallDirectory
from shared.slack.clients import SlackClients
from shared.storage import Database, storage_url

SERVICE_STORE = "notifier-slack"


def slack_store_url(settings: Settings) -> str:
    """Where the Slack state lives: ``slack.store_url``, else ``storage.url``, else
    ``notifier-slack.db`` in the data directory."""
    return storage_url(settings, SERVICE_STORE, settings.slack.store_url)


def slack_integration(
    settings: Settings,
    database: Database,
    clients: SlackClients,
    *,
    clock: ReadTime = time.time,
) -> SlackIntegration:
    """Slack delivery over ``database`` (the Slack schema, migrated): bot mode with a bot
    token's client, else webhook mode; ``@oncall`` from the on-call schedules."""
    setup = SlackSetup(
        database=database,
        settings=settings.slack,
        clock=clock,
        oncall=OnCallDirectory(settings.oncall, clock=clock),
        formats=settings.notification_templates,
    )
    if clients.api is not None:
        return SlackBotIntegration(setup, api=clients.api)
    if clients.webhook is not None:
        return SlackWebhookIntegration(setup, webhook=clients.webhook)
    raise ValueError("Slack needs a bot token (SLACK_BOT_TOKEN) or a webhook (SLACK_WEBHOOK_URL)")
