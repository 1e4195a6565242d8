"""Escalation policies stored once by digest; an alert's state refers to its policy's digest.

Revision ID: notifier_0002
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "notifier_0002"
down_revision = "notifier_0001"
branch_labels = None
depends_on = None

_alerts = sa.table(
    "notifier_alerts",
    sa.column("fingerprint", sa.Text),
    sa.column("state", sa.Text),
    sa.column("policy_digest", sa.Text),
)
_policies = sa.table("notifier_policies", sa.column("digest", sa.Text), sa.column("body", sa.Text))


def upgrade() -> None:
    op.create_table(
        "notifier_policies",
        sa.Column("digest", sa.Text, primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.add_column("notifier_alerts", sa.Column("policy_digest", sa.Text))
    # States written before this revision carry their whole policy: move it out.
    bind = op.get_bind()
    stored: set[str] = set()
    for fingerprint, body in bind.execute(sa.select(_alerts.c.fingerprint, _alerts.c.state)).all():
        state = json.loads(body)
        policy = state.pop("policy")
        canonical = json.dumps(policy, sort_keys=True, default=str)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        if digest not in stored:
            bind.execute(sa.insert(_policies).values(digest=digest, body=json.dumps(policy)))
            stored.add(digest)
        bind.execute(
            sa.update(_alerts)
            .where(_alerts.c.fingerprint == fingerprint)
            .values(state=json.dumps(state), policy_digest=digest)
        )


def downgrade() -> None:
    bind = op.get_bind()
    policies = dict(bind.execute(sa.select(_policies.c.digest, _policies.c.body)).all())
    rows = bind.execute(
        sa.select(_alerts.c.fingerprint, _alerts.c.state, _alerts.c.policy_digest)
    ).all()
    for fingerprint, body, digest in rows:
        state = {**json.loads(body), "policy": json.loads(policies[digest])}
        bind.execute(
            sa.update(_alerts)
            .where(_alerts.c.fingerprint == fingerprint)
            .values(state=json.dumps(state))
        )
    with op.batch_alter_table("notifier_alerts") as batch:
        batch.drop_column("policy_digest")
    op.drop_table("notifier_policies")
