"""The analyzer store's migration history (Alembic revisions, applied on start)."""
