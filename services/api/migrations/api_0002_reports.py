"""The scheduled reports sent.

Revision ID: api_0002
Revises: api_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "api_0002"
down_revision = "api_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_reports",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("sent_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_reports")
