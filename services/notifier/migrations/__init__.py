"""The notifier store's migration history (Alembic revisions, applied on start)."""
