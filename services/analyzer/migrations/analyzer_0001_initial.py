"""Per-fingerprint state, consumed offsets, snapshots.

Revision ID: analyzer_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyzer_fingerprints",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_index("analyzer_fingerprints_last_seen", "analyzer_fingerprints", ["last_seen"])
    op.create_table(
        "analyzer_consumed",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("offset", sa.Integer, nullable=False),
    )
    op.create_table(
        "analyzer_blobs",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("analyzer_blobs", "analyzer_consumed", "analyzer_fingerprints"):
        op.drop_table(table)
