"""The notifier's policy and delivery tables: alert states with their next timer, the escalation
policies they were opened under (each stored once, by digest), the ledger shared by all alerts
and its openings, and the delivery outbox (one row per notification and target)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, Table, Text

from shared.storage import StoreSchema
from shared.storage.silences import silences_table

metadata: Final = MetaData()

alerts: Final = Table(
    "notifier_alerts",
    metadata,
    Column("fingerprint", Text, primary_key=True),
    #: The state without its policy; ``policy_digest`` names the policy in ``policies``.
    Column("state", Text, nullable=False),
    Column("policy_digest", Text),
    Column("correlation_id", Text, nullable=False),
    Column("next_due", Float),
    Column("status", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("notifier_alerts_next_due", "next_due"),
    Index("notifier_alerts_status", "status"),
)

#: Each escalation policy an alert was opened under, once (a state snapshot refers to it).
policies: Final = Table(
    "notifier_policies",
    metadata,
    Column("digest", Text, primary_key=True),
    Column("body", Text, nullable=False),
)

#: One row (id 1): the escalations counted against the caps (``body``), and a ``stamp`` new at
#: each write. Every transaction that decides on alerts locks it first, so replicas decide one
#: after another (services.notifier.ledger_store).
ledger: Final = Table(
    "notifier_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
    Column("stamp", Text),
)

#: The alerts opened in the last day, for duplicate suppression: the title's words (lower case,
#: space-separated) and when, in microseconds since the epoch.
openings: Final = Table(
    "notifier_openings",
    metadata,
    Column("at_us", BigInteger, primary_key=True, autoincrement=False),
    Column("fingerprint", Text, primary_key=True),
    Column("words", Text, nullable=False),
)

#: ``status``: queued, claimed (by the claim ``claim_id``, for sending, not started:
#: ``lease_until`` bounds the claim, renewed while it waits), sending (``lease_until`` bounds the
#: send), sent, retry (due at ``due_at``), failed, unknown (a send cut short: never repeated).
#: ``fingerprint`` and ``made_at`` (the notification's time) order a problem's sends to a target
#: (empty on rows a build before notifier_0005 queued).
outbox: Final = Table(
    "notifier_outbox",
    metadata,
    Column("notification_id", Text, primary_key=True),
    Column("target", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("due_at", Float),
    Column("lease_until", Float),
    Column("body", Text, nullable=False),
    Column("reference", Text),
    Column("error", Text),
    Column("updated_at", Float, nullable=False),
    Column("fingerprint", Text),
    Column("made_at", Float),
    Column("claim_id", Text),
    Index("notifier_outbox_due", "status", "due_at"),
    #: A problem's rows to a target by status in order: what holds a row back is found among
    #: its problem's unfinished rows, however many sent ones a storm left.
    Index("notifier_outbox_order", "fingerprint", "target", "status", "made_at"),
)

#: The silences in force (services.notifier: nothing is sent for what they match).
silences: Final = silences_table(metadata, "notifier_silences")

SCHEMA: Final = StoreSchema(
    name="notifier", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
