"""Where the notifier keeps its Slack state."""

from __future__ import annotations

from shared.config import Settings
from shared.storage import storage_url

SERVICE_STORE = "notifier-slack"


def slack_store_url(settings: Settings) -> str:
    """Where the Slack state lives: ``slack.store_url``, else ``storage.url``, else
    ``notifier-slack.db`` in the data directory."""
    return storage_url(settings, SERVICE_STORE, settings.slack.store_url)
