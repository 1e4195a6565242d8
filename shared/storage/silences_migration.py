"""The migration step that creates a service's silences table (:mod:`shared.storage.silences`),
one for every service that keeps one (the console, the notifier, the resolver).

Frozen, as a migration is: it creates the table as its first revision had it. A later change to
the table is a new step in each service's history, not an edit here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_silences_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("silence_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index(f"{name}_state_ends_at", name, ["state", "ends_at"])
