"""The notifier's Slack store migration history (Alembic revisions, applied on start)."""
