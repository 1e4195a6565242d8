"""Slack roots and posted messages.

Revision ID: notifier_slack_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_slack_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_roots",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("acted_by", sa.Text, nullable=False, server_default=""),
        sa.Column("latest", sa.Text, nullable=False, server_default=""),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("attempt_id", sa.Text),
        sa.Column("level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("posted_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("dirty", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", sa.Float, nullable=False, server_default="0"),
        sa.Column("pending_updates", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pending_text", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("slack_roots_dirty", "slack_roots", ["dirty", "updated_at"])
    op.create_index("slack_roots_updated", "slack_roots", ["updated_at"])
    op.create_table(
        "slack_messages",
        sa.Column("channel_id", sa.Text, primary_key=True),
        sa.Column("ts", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("attempt_id", sa.Text),
        sa.Column("posted_at", sa.Float, nullable=False),
    )
    op.create_index("slack_messages_posted", "slack_messages", ["posted_at"])


def downgrade() -> None:
    for table in ("slack_messages", "slack_roots"):
        op.drop_table(table)
