"""The console's read model: alerts per fingerprint, their timelines, resolutions, notifications,
dead letters, the last event seen per topic, the API's tokens, the web page's
sessions, silences and the scheduled reports sent.

Rows derived from events are keyed by the event id (dead letters by their DLQ coordinates), so a
redelivered event finds its row and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, Table, Text

from shared.storage import StoreSchema
from shared.storage.silences import silences_table

metadata: Final = MetaData()

#: One row per fingerprint: what the problem is and where it stands. A row whose ``title`` is
#: null only holds commands that arrived before any event describing the problem.
alerts: Final = Table(
    "api_alerts",
    metadata,
    Column("fingerprint", Text, primary_key=True),
    Column("title", Text),
    Column("severity", Text),
    Column("severity_rank", Integer),
    Column("category", Text),
    Column("service", Text),
    Column("environment", Text),
    Column("pattern_id", Text),
    Column("template", Text),
    Column("impact_score", Integer),
    Column("trend", Text),
    Column("url", Text),
    Column("summary_at", Float),
    Column("occurrences", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("first_seen", Float),
    Column("last_seen", Float),
    Column("status", Text),
    Column("status_at", Float),
    Column("level", Integer, nullable=False),
    Column("level_at", Float),
    Column("escalations", Integer, nullable=False),
    Column("resolution_status", Text),
    Column("resolution_strategy", Text),
    Column("attempt_id", Text),
    Column("resolution_at", Float),
    Column("correlation_id", Text),
    Column("first_notified_at", Float),
    Column("acked_at", Float),
    Column("acked_by", Text),
    Column("snoozed_until", Float),
    Column("resolved_at", Float),
    Column("latest_notification_id", Text),
    Column("latest_notification_at", Float),
    Index("api_alerts_last_seen", "last_seen"),
    Index("api_alerts_first_seen", "first_seen"),
    Index("api_alerts_status", "status"),
)

#: Everything that happened to a problem, one row per event: occurrences (with their
#: classification), decisions, notifications, commands, audit records.
timeline: Final = Table(
    "api_timeline",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("kind", Text, nullable=False),
    Column("actor", Text),
    Column("summary", Text, nullable=False),
    Column("body", Text, nullable=False),
    Index("api_timeline_fingerprint_at", "fingerprint", "at"),
    Index("api_timeline_kind_at", "kind", "at"),
)

resolutions: Final = Table(
    "api_resolutions",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("status", Text, nullable=False),
    Column("strategy", Text),
    Column("attempt_id", Text),
    Column("safety_level", Text),
    Column("gate", Text),
    Column("reason", Text, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("actor", Text),
    Column("title", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Index("api_resolutions_at", "at"),
    Index("api_resolutions_fingerprint", "fingerprint"),
)

#: Every notification; ``console`` marks those with a ``console`` target (the inbox).
notifications: Final = Table(
    "api_notifications",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("kind", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("targets", Text, nullable=False),
    Column("console", Boolean, nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("attempt_id", Text),
    Index("api_notifications_at", "at"),
    Index("api_notifications_console_at", "console", "at"),
)

#: One row per message on a ``.dlq`` topic, keyed ``<dlq topic>/<partition>/<offset>``.
dead_letters: Final = Table(
    "api_dead_letters",
    metadata,
    Column("id", Text, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("service", Text),
    Column("error_class", Text),
    Column("reason", Text),
    Column("failed_at", Float),
    Column("key", Text),
    Index("api_dead_letters_topic", "topic"),
)

#: The time of the newest event read from each topic.
topics: Final = Table(
    "api_topics",
    metadata,
    Column("topic", Text, primary_key=True),
    Column("last_event_at", Float, nullable=False),
)

#: Bearer tokens, stored as the SHA-256 of the secret; the secret is shown once, at creation.
tokens: Final = Table(
    "api_tokens",
    metadata,
    Column("token_id", Text, primary_key=True),
    Column("secret_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("slack_user", Text),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
    Index("api_tokens_secret_hash", "secret_hash", unique=True),
)

#: Every silence, its newest state (services.api.silences).
silences: Final = silences_table(metadata, "api_silences")

#: When a service last held something back by each silence (from its ``silenced`` audit
#: records): a silence unused for its ``expire_if_unused_seconds`` ends.
silence_uses: Final = Table(
    "api_silence_uses",
    metadata,
    Column("silence_id", Text, primary_key=True),
    Column("last_used_at", Float, nullable=False),
)

#: The scheduled reports sent (services.api.reports), one row per period: whichever replica
#: inserts it sends that report.
reports: Final = Table(
    "api_reports",
    metadata,
    Column("key", Text, primary_key=True),
    Column("sent_at", Float, nullable=False),
)

#: Browser sessions of the web page (services.api.sessions): the SHA-256 of the cookie's
#: secret, the token it was opened with, its CSRF token and when it ends.
sessions: Final = Table(
    "api_sessions",
    metadata,
    Column("secret_hash", Text, primary_key=True),
    Column("token_id", Text, nullable=False),
    Column("csrf", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("api_sessions_expires_at", "expires_at"),
)

SCHEMA: Final = StoreSchema(
    name="api", metadata=metadata, migrations=Path(__file__).parent / "migrations"
)
