"""The ledger's openings one row each, and a stamp on the ledger row.

Revision ID: notifier_0004
Revises: notifier_0003
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "notifier_0004"
down_revision = "notifier_0003"
branch_labels = None
depends_on = None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ledger = sa.table("notifier_ledger", sa.column("id", sa.Integer), sa.column("body", sa.Text))
_openings = sa.table(
    "notifier_openings",
    sa.column("at_us", sa.BigInteger),
    sa.column("fingerprint", sa.Text),
    sa.column("words", sa.Text),
)


def upgrade() -> None:
    op.create_table(
        "notifier_openings",
        sa.Column("at_us", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("words", sa.Text, nullable=False),
    )
    op.add_column("notifier_ledger", sa.Column("stamp", sa.Text))
    # The ledger held its openings in its body: move them to their rows.
    bind = op.get_bind()
    for key, body in bind.execute(sa.select(_ledger.c.id, _ledger.c.body)).all():
        book = json.loads(body)
        rows = {
            (_micros(opening["at"]), opening["fingerprint"]): " ".join(opening["words"])
            for opening in book.pop("openings", [])
        }
        if rows:
            bind.execute(
                sa.insert(_openings),
                [{"at_us": at, "fingerprint": fp, "words": w} for (at, fp), w in rows.items()],
            )
        bind.execute(sa.update(_ledger).where(_ledger.c.id == key).values(body=json.dumps(book)))


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_openings.c.at_us, _openings.c.fingerprint, _openings.c.words).order_by(
            _openings.c.at_us
        )
    ).all()
    moved = [
        {
            "fingerprint": fp,
            "words": words.split(),
            "at": (_EPOCH + at * _MICROSECOND).isoformat().replace("+00:00", "Z"),
        }
        for at, fp, words in rows
    ]
    for key, body in bind.execute(sa.select(_ledger.c.id, _ledger.c.body)).all():
        book = {**json.loads(body), "openings": moved}
        bind.execute(sa.update(_ledger).where(_ledger.c.id == key).values(body=json.dumps(book)))
    with op.batch_alter_table("notifier_ledger") as batch:
        batch.drop_column("stamp")
    op.drop_table("notifier_openings")


def _micros(moment: str) -> int:
    return (datetime.fromisoformat(moment) - _EPOCH) // _MICROSECOND
