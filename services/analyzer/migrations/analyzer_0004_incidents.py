"""Incidents and the incident of each problem.

Revision ID: analyzer_0004
Revises: analyzer_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0004"
down_revision = "analyzer_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyzer_incidents",
        sa.Column("incident_id", sa.Text, primary_key=True),
        sa.Column("incident", sa.Text, nullable=False),
        sa.Column("latest", sa.Float, nullable=False),
    )
    op.create_index("analyzer_incidents_latest", "analyzer_incidents", ["latest"])
    op.create_table(
        "analyzer_incident_problems",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("incident", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("analyzer_incident_problems")
    op.drop_table("analyzer_incidents")
