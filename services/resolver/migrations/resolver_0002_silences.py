"""The silences the resolver honours.

Revision ID: resolver_0002
Revises: resolver_0001
"""

from __future__ import annotations

from alembic import op

from shared.storage.silences_migration import create_silences_table

revision = "resolver_0002"
down_revision = "resolver_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_silences_table("resolver_silences")


def downgrade() -> None:
    op.drop_table("resolver_silences")
