"""The ingest service's tables: webhook request ids, Sentry polling marks, the poller's lease."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table, Text

from shared.storage import StoreSchema

metadata: Final = MetaData()

request_ids: Final = Table(
    "ingest_request_ids",
    metadata,
    Column("source", Text, primary_key=True),
    Column("request_id", Text, primary_key=True),
    Column("seen_at", Float, nullable=False),
    Index("ingest_request_ids_seen_at", "seen_at"),
)

sentry_marks: Final = Table(
    "ingest_sentry_marks",
    metadata,
    Column("project", Text, primary_key=True),
    Column("last_seen", Text, nullable=False),
)

sentry_issues: Final = Table(
    "ingest_sentry_issues",
    metadata,
    Column("issue_id", Text, primary_key=True),
    Column("project", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_seen", Text, nullable=False),
    Index("ingest_sentry_issues_project_last_seen", "project", "last_seen"),
)

leases: Final = Table(
    "ingest_leases",
    metadata,
    Column("name", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
)

SCHEMA: Final = StoreSchema(
    name="ingest", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
