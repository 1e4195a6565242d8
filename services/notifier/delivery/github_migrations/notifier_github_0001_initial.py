"""GitHub issues by repository and problem.

Revision ID: notifier_github_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_github_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "github_issues",
        sa.Column("repository", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("github_issues")
