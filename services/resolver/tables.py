"""The resolver's tables: attempts (with the work a replica has claimed), gate state, snoozes,
and the classified events already decided."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table, Text

from shared.storage import StoreSchema
from shared.storage.silences import silences_table

metadata: Final = MetaData()

#: One row per attempt. ``work`` is what is still to be done outside a transaction (``execute``
#: or ``rollback``); ``owner`` is the replica that claimed it and ``lease_until`` how long its
#: claim holds without being renewed.
attempts: Final = Table(
    "resolver_attempts",
    metadata,
    Column("attempt_id", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("strategy", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("verify_until", Float),
    Column("work", Text),
    Column("owner", Text),
    Column("lease_until", Float),
    Column("body", Text, nullable=False),
    Index("resolver_attempts_fingerprint", "fingerprint"),
    Index("resolver_attempts_status", "status"),
    Index("resolver_attempts_work", "work"),
)

#: Rate windows and circuit breakers by name (``window:<key>``, ``breaker:<key>``), and the row
#: ``lock`` that every transaction deciding on the gates locks first: the gates are global.
gates: Final = Table(
    "resolver_gates",
    metadata,
    Column("name", Text, primary_key=True),
    Column("body", Text, nullable=False),
)

snoozes: Final = Table(
    "resolver_snoozes",
    metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("until", Float, nullable=False),
)

#: Classified events already decided, with the events their decision published (JSON: a list
#: of [topic, key, event]): a redelivery publishes those again, never a second decision.
decided: Final = Table(
    "resolver_decided",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("at", Float, nullable=False),
    Column("outputs", Text, nullable=False, server_default="[]"),
    #: 1 once those events are acknowledged by the broker: a redelivery sends nothing again.
    Column("published", Integer, nullable=False, server_default="0"),
    Index("resolver_decided_at", "at"),
)

#: The silences in force (services.resolver: nothing is run for what they match).
silences: Final = silences_table(metadata, "resolver_silences")

SCHEMA: Final = StoreSchema(
    name="resolver", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
