"""The ``sentry:`` and ``ingest:`` sections of ``config.yaml``: the ingest service (see
docs/ingest.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.config.knobs import BackoffSeconds, PublishTimeout, RequestTimeout
from shared.models import StrictFrozenModel


class SentryFetch(StrictFrozenModel):
    default_limit: int = Field(default=100, ge=1, le=100)
    lookback_hours: int = Field(default=24, ge=1)
    include_resolved: bool = False


class SentryFilters(StrictFrozenModel):
    min_severity: Literal["debug", "info", "warning", "error", "fatal"] = "warning"
    exclude_environments: list[str] = Field(default_factory=list)
    exclude_releases: list[str] = Field(default_factory=list)


class SentrySection(StrictFrozenModel):
    base_url: str = Field(
        default="https://sentry.io",
        description="Sentry's address (self-hosted Sentry: its own URL); the API is under /api/0/.",
    )
    projects: list[str] = Field(
        default_factory=list, description="Project slugs to poll; empty polls every project."
    )
    fetch_settings: SentryFetch = SentryFetch()
    error_filters: SentryFilters = SentryFilters()
    request_timeout_seconds: RequestTimeout = Field(
        default=10.0, description="Timeout of each Sentry API call (connect, read, write)."
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries per Sentry API call on 429, 5xx and network errors before a poll "
        "gives up (it runs again at the next interval).",
    )
    backoff_seconds: BackoffSeconds = Field(
        default=1.0, description="First retry delay after a 5xx or network error, doubled."
    )
    max_backoff_seconds: BackoffSeconds = Field(
        default=60.0,
        description="Longest wait before a retry; also caps Retry-After and rate-limit waits.",
    )


class IngestSection(StrictFrozenModel):
    """The ingest service: inbound HTTP limits and its own store."""

    store_url: str = Field(
        default="", description="Store URL; empty means sqlite in storage.data_directory."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger bodies get 413.")
    max_decompressed_bytes: int = Field(
        default=20_971_520,
        ge=1024,
        description="Bodies that inflate (gzip, deflate, brotli) past this get 413.",
    )
    publish_timeout_seconds: PublishTimeout = Field(
        default=10.0,
        description="Longest wait for the broker's acknowledgement; past it the answer is 503.",
    )
    retry_after_seconds: int = Field(
        default=30, ge=1, description="Retry-After sent with a 503 when the broker does not ack."
    )
    request_id_ttl_hours: int = Field(
        default=72,
        ge=1,
        description="How long a webhook Request-ID (or Idempotency-Key) is remembered, so "
        "redeliveries are not published twice.",
    )
    alertmanager_allow_unauthenticated: bool = Field(
        default=False,
        description="Accept Alertmanager webhooks without ALERT_WEBHOOK_TOKEN (only on a private "
        "network; warned about at start). Off: without the token the endpoint refuses all.",
    )
    poller_lease_seconds: float = Field(
        default=15.0,
        ge=3,
        description="The Sentry poller runs on one replica at a time, holding a lease in the "
        "store renewed every third of this; when that replica dies another takes over within "
        "this time plus a third.",
    )
