"""The notifier's GitHub store migration history (Alembic revisions, applied on start)."""
