"""The analyzer's tables: per-fingerprint state, consumed offsets per partition, the event ids
counted recently with their classifications until the broker has them, snapshots, the patterns'
template records, incidents and their problems."""

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

#: Event ids counted recently (``analyzer.duplicate_window_seconds``): a second copy of one event
#: on ``errors.raw`` (a producer's resend after a lost ack, at another offset) counts once. With
#: each, its classification until the broker has it (then NULL): a redelivery after a crash
#: sends it as it was first written (see :mod:`services.analyzer.classify`); a row still holding
#: one is kept past the window.
counted: Final = Table(
    "analyzer_counted",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("counted_at", Float, nullable=False),
    Column("classified", LargeBinary, nullable=True),
    Index("analyzer_counted_counted_at", "counted_at"),
)

blobs: Final = Table(
    "analyzer_blobs",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: Every template a pattern held, recorded once: the first pattern to record a template owns it.
#: ``seq`` orders the records: they are written under the lock of the ``patterns`` row of
#: ``analyzer_blobs``, numbered after the highest one, so their order is the commit order
#: (see :mod:`services.analyzer.pattern_ids`).
patterns: Final = Table(
    "analyzer_patterns",
    metadata,
    Column("template_key", Text, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("template", Text, nullable=False),
    Column("pattern_id", Text, nullable=False),
    Column("recorded_at", Float, nullable=False),
    Index("analyzer_patterns_seq", "seq", unique=True),
)

#: Incidents (see :mod:`services.analyzer.incidents`): the incident as carried (without
#: ``joined_by``) and the start of its latest problem, written under the lock of the
#: ``incidents`` row of ``analyzer_blobs``.
incidents: Final = Table(
    "analyzer_incidents",
    metadata,
    Column("incident_id", Text, primary_key=True),
    Column("incident", Text, nullable=False),
    Column("latest", Float, nullable=False),
    Index("analyzer_incidents_latest", "latest"),
)

#: The incident of each problem, as its events carry it; dropped with the problem's state.
incident_problems: Final = Table(
    "analyzer_incident_problems",
    metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("incident", Text, nullable=False),
)

#: When each release was first seen (any service; the age of a deployment) and last seen;
#: dropped once silent for ``analyzer.state_ttl_hours``.
releases: Final = Table(
    "analyzer_releases",
    metadata,
    Column("release", Text, primary_key=True),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index("analyzer_releases_last_seen", "last_seen"),
)

SCHEMA: Final = StoreSchema(
    name="analyzer", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
