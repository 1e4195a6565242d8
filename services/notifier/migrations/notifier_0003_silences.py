"""The silences the notifier honours.

Revision ID: notifier_0003
Revises: notifier_0002
"""

from __future__ import annotations

from alembic import op

from shared.storage.silences_migration import create_silences_table

revision = "notifier_0003"
down_revision = "notifier_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_silences_table("notifier_silences")


def downgrade() -> None:
    op.drop_table("notifier_silences")
