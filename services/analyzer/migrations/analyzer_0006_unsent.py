"""Each counted event keeps its classification until the broker has it.

Revision ID: analyzer_0006
Revises: analyzer_0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analyzer_0006"
down_revision = "analyzer_0005"


def upgrade() -> None:
    with op.batch_alter_table("analyzer_counted") as table:
        table.add_column(sa.Column("classified", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyzer_counted") as table:
        table.drop_column("classified")
