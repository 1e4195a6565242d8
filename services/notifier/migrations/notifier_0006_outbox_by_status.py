"""A problem's outbox rows are indexed by status too: what holds a row back is looked up among
the unfinished rows alone, not through every row a storm sent.

Revision ID: notifier_0006
Revises: notifier_0005
"""

from __future__ import annotations

from alembic import op

revision = "notifier_0006"
down_revision = "notifier_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("notifier_outbox_problem", "notifier_outbox")
    op.create_index(
        "notifier_outbox_order", "notifier_outbox", ["fingerprint", "target", "status", "made_at"]
    )


def downgrade() -> None:
    op.drop_index("notifier_outbox_order", "notifier_outbox")
    op.create_index(
        "notifier_outbox_problem", "notifier_outbox", ["fingerprint", "target", "made_at"]
    )
