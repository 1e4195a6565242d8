"""The ingest service's Prometheus metrics, registered on the shared registry."""

from __future__ import annotations

from typing import Final, Literal

from shared.metrics import counter

#: Where an error came in. ``sentry_api`` is the poller.
Source = Literal["sentry_api", "sentry_webhook", "sentry_sdk", "alertmanager", "datadog", "custom"]

REQUESTS: Final = counter(
    "alertorch_ingest_requests_total",
    "Inbound HTTP requests by source and outcome (accepted, duplicate, ignored, bad_request, "
    "unauthorized, forbidden, too_large, unsupported_media_type, invalid, unavailable).",
    ["source", "outcome"],
)
EVENTS_PUBLISHED: Final = counter(
    "alertorch_ingest_events_published_total",
    "RawError events published to errors.raw and acknowledged by the broker, by source.",
    ["source"],
)
SENTRY_API_CALLS: Final = counter(
    "alertorch_ingest_sentry_api_calls_total",
    "Sentry API calls by endpoint and HTTP status ('error' when no answer came).",
    ["endpoint", "status"],
)
RATE_LIMIT_WAITS: Final = counter(
    "alertorch_ingest_sentry_rate_limit_waits_total",
    "Waits imposed by Sentry: a 429 Retry-After, or an exhausted rate-limit window.",
    ["reason"],
)
RATE_LIMIT_WAIT_SECONDS: Final = counter(
    "alertorch_ingest_sentry_rate_limit_wait_seconds_total",
    "Seconds spent waiting for Sentry's rate limits.",
)
SENTRY_POLLS: Final = counter(
    "alertorch_ingest_sentry_polls_total",
    "Sentry polling cycles by outcome (ok, failed).",
    ["outcome"],
)
