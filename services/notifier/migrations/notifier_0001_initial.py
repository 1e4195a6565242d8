"""Alert states, the ledger, the delivery outbox.

Revision ID: notifier_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "notifier_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifier_alerts",
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.Text, nullable=False),
        sa.Column("next_due", sa.Float),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("notifier_alerts_next_due", "notifier_alerts", ["next_due"])
    op.create_index("notifier_alerts_status", "notifier_alerts", ["status"])
    op.create_table(
        "notifier_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "notifier_outbox",
        sa.Column("notification_id", sa.Text, primary_key=True),
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", sa.Float),
        sa.Column("lease_until", sa.Float),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("notifier_outbox_due", "notifier_outbox", ["status", "due_at"])


def downgrade() -> None:
    for table in ("notifier_outbox", "notifier_ledger", "notifier_alerts"):
        op.drop_table(table)
