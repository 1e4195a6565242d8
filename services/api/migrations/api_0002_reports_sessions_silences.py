"""The scheduled reports sent; the web page's sessions; silences.

Revision ID: api_0002
Revises: api_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.storage.silences_migration import create_silences_table

revision = "api_0002"
down_revision = "api_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_reports",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("sent_at", sa.Float, nullable=False),
    )
    op.create_table(
        "api_sessions",
        sa.Column("secret_hash", sa.Text, primary_key=True),
        sa.Column("token_id", sa.Text, nullable=False),
        sa.Column("csrf", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("api_sessions_expires_at", "api_sessions", ["expires_at"])
    create_silences_table("api_silences")
    op.create_table(
        "api_silence_uses",
        sa.Column("silence_id", sa.Text, primary_key=True),
        sa.Column("last_used_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_silence_uses")
    op.drop_table("api_silences")
    op.drop_table("api_sessions")
    op.drop_table("api_reports")
