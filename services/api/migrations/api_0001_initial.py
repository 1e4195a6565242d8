"""Alerts, timeline, resolutions, notifications, dead letters, topics, tokens.

Revision ID: api_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "api_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_alerts",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("severity", sa.Text),
        sa.Column("severity_rank", sa.Integer),
        sa.Column("category", sa.Text),
        sa.Column("service", sa.Text),
        sa.Column("environment", sa.Text),
        sa.Column("pattern_id", sa.Text),
        sa.Column("template", sa.Text),
        sa.Column("impact_score", sa.Integer),
        sa.Column("trend", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("summary_at", sa.Float),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.Float),
        sa.Column("last_seen", sa.Float),
        sa.Column("status", sa.Text),
        sa.Column("status_at", sa.Float),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("level_at", sa.Float),
        sa.Column("escalations", sa.Integer, nullable=False),
        sa.Column("resolution_status", sa.Text),
        sa.Column("resolution_strategy", sa.Text),
        sa.Column("attempt_id", sa.Text),
        sa.Column("resolution_at", sa.Float),
        sa.Column("correlation_id", sa.Text),
        sa.Column("first_notified_at", sa.Float),
        sa.Column("acked_at", sa.Float),
        sa.Column("acked_by", sa.Text),
        sa.Column("snoozed_until", sa.Float),
        sa.Column("resolved_at", sa.Float),
        sa.Column("latest_notification_id", sa.Text),
        sa.Column("latest_notification_at", sa.Float),
    )
    op.create_index("api_alerts_last_seen", "api_alerts", ["last_seen"])
    op.create_index("api_alerts_first_seen", "api_alerts", ["first_seen"])
    op.create_index("api_alerts_status", "api_alerts", ["status"])
    op.create_table(
        "api_timeline",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("actor", sa.Text),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("api_timeline_fingerprint_at", "api_timeline", ["fingerprint", "at"])
    op.create_index("api_timeline_kind_at", "api_timeline", ["kind", "at"])
    op.create_table(
        "api_resolutions",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("strategy", sa.Text),
        sa.Column("attempt_id", sa.Text),
        sa.Column("safety_level", sa.Text),
        sa.Column("gate", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("actor", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
    )
    op.create_index("api_resolutions_at", "api_resolutions", ["at"])
    op.create_index("api_resolutions_fingerprint", "api_resolutions", ["fingerprint"])
    op.create_table(
        "api_notifications",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("console", sa.Boolean, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("attempt_id", sa.Text),
    )
    op.create_index("api_notifications_at", "api_notifications", ["at"])
    op.create_index("api_notifications_console_at", "api_notifications", ["console", "at"])
    op.create_table(
        "api_dead_letters",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("service", sa.Text),
        sa.Column("error_class", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("failed_at", sa.Float),
        sa.Column("key", sa.Text),
    )
    op.create_index("api_dead_letters_topic", "api_dead_letters", ["topic"])
    op.create_table(
        "api_topics",
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("last_event_at", sa.Float, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.Text, primary_key=True),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("slack_user", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float),
    )
    op.create_index("api_tokens_secret_hash", "api_tokens", ["secret_hash"], unique=True)


def downgrade() -> None:
    for name in (
        "api_tokens",
        "api_topics",
        "api_dead_letters",
        "api_notifications",
        "api_resolutions",
        "api_timeline",
        "api_alerts",
    ):
        op.drop_table(name)
