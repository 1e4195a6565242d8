"""The outbox knows each row's problem, when its notification was made, and which claim holds it.

Revision ID: notifier_0005
Revises: notifier_0004
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "notifier_0005"
down_revision = "notifier_0004"
branch_labels = None
depends_on = None

_COLUMNS = ("notification_id", "target", "status", "body", "fingerprint", "made_at")
_outbox = sa.table("notifier_outbox", *map(sa.column, _COLUMNS))
_UNFINISHED = ("queued", "sending", "retry")


def upgrade() -> None:
    with op.batch_alter_table("notifier_outbox") as batch:
        batch.add_column(sa.Column("fingerprint", sa.Text))
        batch.add_column(sa.Column("made_at", sa.Float))
        batch.add_column(sa.Column("claim_id", sa.Text))
    op.create_index(
        "notifier_outbox_problem", "notifier_outbox", ["fingerprint", "target", "made_at"]
    )
    # Rows still to be sent learn their problem and time from their notification, so that
    # they keep their place in its order.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_outbox.c.notification_id, _outbox.c.target, _outbox.c.body).where(
            _outbox.c.status.in_(_UNFINISHED)
        )
    ).all()
    for notification_id, target, body in rows:
        event = json.loads(body)
        bind.execute(
            sa.update(_outbox)
            .where(_outbox.c.notification_id == notification_id, _outbox.c.target == target)
            .values(
                fingerprint=event["data"]["fingerprint"],
                made_at=datetime.fromisoformat(event["time"]).timestamp(),
            )
        )


def downgrade() -> None:
    op.drop_index("notifier_outbox_problem", "notifier_outbox")
    with op.batch_alter_table("notifier_outbox") as batch:
        batch.drop_column("claim_id")
        batch.drop_column("made_at")
        batch.drop_column("fingerprint")
