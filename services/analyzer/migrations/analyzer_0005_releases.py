"""When each release was first and last seen: the age of a deployment.

Revision ID: analyzer_0005
Revises: analyzer_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0005"
down_revision = "analyzer_0004"


def upgrade() -> None:
    op.create_table(
        "analyzer_releases",
        sa.Column("release", sa.Text, primary_key=True),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_index("analyzer_releases_last_seen", "analyzer_releases", ["last_seen"])


def downgrade() -> None:
    op.drop_table("analyzer_releases")
