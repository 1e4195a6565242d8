"""Webhook request ids, Sentry polling marks and the poller's lease.

Revision ID: ingest_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingest_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_request_ids",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("ingest_request_ids_seen_at", "ingest_request_ids", ["seen_at"])
    op.create_table(
        "ingest_sentry_marks",
        sa.Column("project", sa.Text, primary_key=True),
        sa.Column("last_seen", sa.Text, nullable=False),
    )
    op.create_table(
        "ingest_sentry_issues",
        sa.Column("issue_id", sa.Text, primary_key=True),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_seen", sa.Text, nullable=False),
    )
    op.create_index(
        "ingest_sentry_issues_project_last_seen", "ingest_sentry_issues", ["project", "last_seen"]
    )
    op.create_table(
        "ingest_leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ingest_leases",
        "ingest_sentry_issues",
        "ingest_sentry_marks",
        "ingest_request_ids",
    ):
        op.drop_table(table)
