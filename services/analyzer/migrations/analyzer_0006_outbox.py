"""Classifications stored with their batch until the broker has them.

Revision ID: analyzer_0006
Revises: analyzer_0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0006"
down_revision = "analyzer_0005"


def upgrade() -> None:
    op.create_table(
        "analyzer_outbox",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("offset", sa.Integer, primary_key=True),
        sa.Column("events", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("analyzer_outbox")
