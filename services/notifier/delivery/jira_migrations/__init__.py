"""The notifier's Jira store migration history (Alembic revisions, applied on start)."""
