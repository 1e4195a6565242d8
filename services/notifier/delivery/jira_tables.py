"""The Jira target's table: the issue opened for each problem (fingerprint) in each project, and
when the problem's resolution was told to it (closed or commented), so it is told once."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Column, Float, MetaData, Table, Text

from shared.storage import StoreSchema

metadata: Final = MetaData()

issues: Final = Table(
    "jira_issues",
    metadata,
    Column("project", Text, primary_key=True),
    Column("fingerprint", Text, primary_key=True),
    Column("issue_key", Text, nullable=False),
    Column("issue_id", Text, nullable=False),
    Column("url", Text),
    Column("created_at", Float, nullable=False),
    Column("resolved_at", Float),
)

SCHEMA: Final = StoreSchema(
    name="notifier_jira",
    metadata=metadata,
    migrations=Path(__file__).parent / "jira_migrations",
)
