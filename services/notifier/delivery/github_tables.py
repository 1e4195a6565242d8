"""The GitHub target's table: the issue opened for each problem (fingerprint) in each
repository."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Column, Float, Integer, MetaData, Table, Text

from shared.storage import StoreSchema

metadata: Final = MetaData()

issues: Final = Table(
    "github_issues",
    metadata,
    Column("repository", Text, primary_key=True),
    Column("fingerprint", Text, primary_key=True),
    Column("number", Integer, nullable=False),
    Column("url", Text),
    Column("created_at", Float, nullable=False),
)

SCHEMA: Final = StoreSchema(
    name="notifier_github",
    metadata=metadata,
    migrations=Path(__file__).parent / "github_migrations",
)
