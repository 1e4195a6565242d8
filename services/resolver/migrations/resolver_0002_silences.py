"""The silences the resolver honours.

Revision ID: resolver_0002
Revises: resolver_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "resolver_0002"
down_revision = "resolver_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolver_silences",
        sa.Column("silence_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("resolver_silences_state_ends_at", "resolver_silences", ["state", "ends_at"])


def downgrade() -> None:
    op.drop_table("resolver_silences")
