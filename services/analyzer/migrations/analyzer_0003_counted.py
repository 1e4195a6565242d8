"""Event ids counted recently, so a second copy of one event counts once.

Revision ID: analyzer_0003
Revises: analyzer_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0003"
down_revision = "analyzer_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyzer_counted",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("counted_at", sa.Float, nullable=False),
    )
    op.create_index("analyzer_counted_counted_at", "analyzer_counted", ["counted_at"])


def downgrade() -> None:
    op.drop_table("analyzer_counted")
