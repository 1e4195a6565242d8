"""The patterns' template records.

Revision ID: analyzer_0002
Revises: analyzer_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0002"
down_revision = "analyzer_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyzer_patterns",
        sa.Column("template_key", sa.Text, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("pattern_id", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Float, nullable=False),
    )
    op.create_index("analyzer_patterns_seq", "analyzer_patterns", ["seq"], unique=True)


def downgrade() -> None:
    op.drop_table("analyzer_patterns")
