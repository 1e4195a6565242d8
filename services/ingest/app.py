"""The ingest service: the HTTP entry point for inbound errors and the Sentry API poller.

Every source publishes ``RawError`` events to ``errors.raw`` keyed by their fingerprint, and
answers 2xx only once the broker acknowledged them:

- ``POST /webhooks/sentry`` — Sentry integration webhooks (signed with SENTRY_CLIENT_SECRET);
- ``POST /webhooks/alert`` — custom alerts (bearer ALERT_WEBHOOK_TOKEN);
- ``POST /webhooks/alertmanager`` — Prometheus Alertmanager (version 4);
- ``POST /api/<project_id>/envelope/`` and ``/store/`` — Sentry SDKs (keys in INGEST_DSN_KEYS);
- the Sentry poller, when SENTRY_AUTH_TOKEN and SENTRY_ORGANIZATION are set.
"""

from __future__ import annotations

import structlog

from services.ingest import alertmanager, custom_alert, sentry_sdk, sentry_webhook
from services.ingest.context import Inbound
from services.ingest.dsn_auth import parse_keys
from services.ingest.publisher import Publisher
from services.ingest.request_log import RequestLog
from services.ingest.sentry_api import SentryApi
from services.ingest.sentry_marks import SentryMarks
from services.ingest.sentry_poller import SentryPoller
from services.ingest.storage import open_store
from shared.config import Settings, reveal
from shared.runner import Service

log = structlog.get_logger(__name__)

NAME = "ingest"


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    store = open_store(settings)
    service.on_stop(store.close)
    ingest = settings.ingest
    publisher = Publisher(
        service.producer,
        timeout=ingest.publish_timeout_seconds,
        retry_after=ingest.retry_after_seconds,
    )
    inbound = Inbound(
        publisher=publisher,
        requests=RequestLog(store, ttl_seconds=ingest.request_id_ttl_hours * 3600.0),
        max_body_bytes=ingest.max_body_bytes,
        max_decompressed_bytes=ingest.max_decompressed_bytes,
    )
    alert_token = reveal(settings.alert_webhook_token)
    dsn_keys = parse_keys(settings.ingest_dsn_keys)
    service.add_routes(
        [
            *sentry_webhook.routes(inbound, client_secret=reveal(settings.sentry_client_secret)),
            *custom_alert.routes(inbound, token=alert_token),
            *alertmanager.routes(inbound, token=alert_token),
            *sentry_sdk.routes(inbound, dsn_keys=dsn_keys),
        ]
    )
    if not alert_token:
        log.warning(
            "ALERT_WEBHOOK_TOKEN is not set: /webhooks/alert refuses every request and "
            "/webhooks/alertmanager is open"
        )
    if not dsn_keys:
        log.warning("INGEST_DSN_KEYS is not set: the Sentry SDK endpoint refuses every key")
    _add_poller(service, settings, publisher, SentryMarks(store))
    return service


def _add_poller(
    service: Service, settings: Settings, publisher: Publisher, marks: SentryMarks
) -> None:
    token = reveal(settings.sentry_auth_token)
    organization = settings.sentry_organization
    if not settings.components.sentry_enabled or not token or not organization:
        log.info(
            "sentry polling off",
            reason="components.sentry_enabled is false"
            if not settings.components.sentry_enabled
            else "SENTRY_AUTH_TOKEN and SENTRY_ORGANIZATION are both needed",
        )
        return
    sentry = settings.sentry
    http = SentryApi.client(
        base_url=sentry.base_url, token=token, timeout=sentry.request_timeout_seconds
    )
    service.on_stop(http.aclose)
    api = SentryApi(
        http=http,
        organization=organization,
        max_attempts=sentry.max_attempts,
        backoff_seconds=sentry.backoff_seconds,
        max_backoff_seconds=sentry.max_backoff_seconds,
    )
    poller = SentryPoller(api=api, marks=marks, publisher=publisher, sentry=sentry)
    service.add_periodic(
        "sentry-poller", float(settings.operation.monitoring_interval), poller.poll
    )
