"""Slack delivery and interactivity for the notifier. See docs/slack.md.

The notifier service opens a :class:`~shared.storage.Database` at :func:`slack_store_url` with
:data:`SLACK_SCHEMA` (and migrates it), builds a :class:`SlackIntegration` over it with
:func:`slack_integration` (bot mode with SLACK_BOT_TOKEN, else webhook mode), registers it for
targets of type ``slack``, calls its ``tick(now)`` once a second, and serves
:func:`slack_routes` (``POST /slack/events``).
"""

from services.notifier.slack.bot import SlackBotIntegration
from services.notifier.slack.factory import slack_integration, slack_store_url
from services.notifier.slack.handler import SlackHandler
from services.notifier.slack.integration import SlackIntegration, SlackSetup
from services.notifier.slack.interactivity import SlackInteractions, slack_routes
from services.notifier.slack.tables import SCHEMA as SLACK_SCHEMA
from services.notifier.slack.templates import (
    SlackBlockTemplate,
    register_custom_template,
    unregister_custom_template,
)
from services.notifier.slack.text import escape
from services.notifier.slack.webhook import SlackWebhookIntegration
from shared.slack.api import (
    HttpSlackApi,
    HttpSlackWebhook,
    SlackAnswer,
    SlackApi,
    SlackWebhook,
)
from shared.slack.clients import SlackClients, slack_clients

__all__ = [
    "SLACK_SCHEMA",
    "HttpSlackApi",
    "HttpSlackWebhook",
    "SlackAnswer",
    "SlackApi",
    "SlackBlockTemplate",
    "SlackBotIntegration",
    "SlackClients",
    "SlackHandler",
    "SlackIntegration",
    "SlackInteractions",
    "SlackSetup",
    "SlackWebhook",
    "SlackWebhookIntegration",
    "escape",
    "register_custom_template",
    "slack_clients",
    "slack_integration",
    "slack_routes",
    "slack_store_url",
    "unregister_custom_template",
]
