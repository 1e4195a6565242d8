"""The silences the notifier honours.

Revision ID: notifier_0003
Revises: notifier_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_0003"
down_revision = "notifier_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifier_silences",
        sa.Column("silence_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("notifier_silences_state_ends_at", "notifier_silences", ["state", "ends_at"])


def downgrade() -> None:
    op.drop_table("notifier_silences")
