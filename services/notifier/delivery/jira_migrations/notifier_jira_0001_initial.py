"""Jira issues by project and problem.

Revision ID: notifier_jira_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_jira_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jira_issues",
        sa.Column("project", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("issue_key", sa.Text, nullable=False),
        sa.Column("issue_id", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("resolved_at", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("jira_issues")
