"""The incident a root belongs to: problems of one incident share one card per channel.

Revision ID: notifier_slack_0002
Revises: notifier_slack_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_slack_0002"
down_revision = "notifier_slack_0001"


def upgrade() -> None:
    op.add_column("slack_roots", sa.Column("incident", sa.Text, nullable=False, server_default=""))
    op.create_index("slack_roots_incident", "slack_roots", ["incident", "channel"])


def downgrade() -> None:
    op.drop_index("slack_roots_incident", "slack_roots")
    with op.batch_alter_table("slack_roots") as batch:
        batch.drop_column("incident")
