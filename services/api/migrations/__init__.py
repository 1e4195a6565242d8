"""The console read model's migration history (Alembic revisions, applied on start)."""
