"""The Slack integration's tables: the root message of each problem in each channel, and every
message we posted (so a button press finds its problem)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table, Text

from shared.storage import StoreSchema

metadata: Final = MetaData()

#: One row per problem and channel (webhook mode: ``channel_id`` and ``ts`` empty). ``dirty``
#: (0 or 1) marks changes not yet shown; ``not_before`` holds a redraw Slack asked us to delay,
#: or one a replica has claimed; ``version`` counts writes, so a redraw never overwrites a
#: change another replica made while it was drawing. ``incident`` is the problem's incident:
#: the roots of one incident in one channel share one message (``ts``), the incident's card.
roots: Final = Table(
    "slack_roots",
    metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("channel_id", Text, nullable=False),
    Column("ts", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("acted_by", Text, nullable=False, server_default=""),
    Column("latest", Text, nullable=False, server_default=""),
    Column("summary", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("attempt_id", Text),
    Column("level", Integer, nullable=False, server_default="0"),
    Column("posted_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("dirty", Integer, nullable=False, server_default="0"),
    Column("not_before", Float, nullable=False, server_default="0"),
    Column("pending_updates", Integer, nullable=False, server_default="0"),
    Column("pending_text", Text, nullable=False, server_default=""),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("incident", Text, nullable=False, server_default=""),
    Index("slack_roots_dirty", "dirty", "updated_at"),
    Index("slack_roots_incident", "incident", "channel"),
    Index("slack_roots_updated", "updated_at"),
)

#: Every message posted for a problem (roots, replies, digests), by Slack channel id and ts.
messages: Final = Table(
    "slack_messages",
    metadata,
    Column("channel_id", Text, primary_key=True),
    Column("ts", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("attempt_id", Text),
    Column("posted_at", Float, nullable=False),
    Index("slack_messages_posted", "posted_at"),
)

SCHEMA: Final = StoreSchema(
    name="notifier_slack", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
