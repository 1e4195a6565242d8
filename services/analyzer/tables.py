"""The analyzer's tables: per-fingerprint state, consumed offsets per partition, snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Column, Float, Index, Integer, LargeBinary, MetaData, Table, Text

from shared.storage import StoreSchema

metadata: Final = MetaData()

fingerprints: Final = Table(
    "analyzer_fingerprints",
    metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index("analyzer_fingerprints_last_seen", "last_seen"),
)

#: The newest offset whose effects are stored, per partition: written in the same transaction
#: as the states, and locked while a batch is written, so a replica that lost a partition skips
#: what the new owner already counted.
consumed: Final = Table(
    "analyzer_consumed",
    metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", Integer, nullable=False),
)

blobs: Final = Table(
    "analyzer_blobs",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("updated_at", Float, nullable=False),
)

SCHEMA: Final = StoreSchema(
    name="analyzer", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
