"""Attempts, gates, snoozes, decided events.

Revision ID: resolver_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "resolver_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolver_attempts",
        sa.Column("attempt_id", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("strategy", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float),
        sa.Column("verify_until", sa.Float),
        sa.Column("work", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("lease_until", sa.Float),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("resolver_attempts_fingerprint", "resolver_attempts", ["fingerprint"])
    op.create_index("resolver_attempts_status", "resolver_attempts", ["status"])
    op.create_index("resolver_attempts_work", "resolver_attempts", ["work"])
    op.create_table(
        "resolver_gates",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "resolver_snoozes",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("until", sa.Float, nullable=False),
    )
    op.create_table(
        "resolver_decided",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("outputs", sa.Text, nullable=False, server_default="[]"),
        sa.Column("published", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("resolver_decided_at", "resolver_decided", ["at"])


def downgrade() -> None:
    for table in ("resolver_decided", "resolver_snoozes", "resolver_gates", "resolver_attempts"):
        op.drop_table(table)
