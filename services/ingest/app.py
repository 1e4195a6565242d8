"""The ingest service: the HTTP entry point for inbound errors and the Sentry API poller.

Every source publishes ``RawError`` events to ``errors.raw`` keyed by their fingerprint, and
answers 2xx only once the broker acknowledged them:

- ``POST /webhooks/sentry`` — Sentry integration webhooks (signed with SENTRY_CLIENT_SECRET);
- ``POST /webhooks/alert`` — custom alerts (bearer ALERT_WEBHOOK_TOKEN);
- ``POST /webhooks/alertmanager`` — Prometheus Alertmanager (version 4);
- ``POST /webhooks/datadog`` — Datadog monitor notifications (bearer DATADOG_WEBHOOK_TOKEN), when
  ``integrations.datadog.enabled``;
- ``POST /api/<project_id>/envelope/`` and ``/store/`` — Sentry SDKs (keys in INGEST_DSN_KEYS);
- the Sentry poller, when SENTRY_AUTH_TOKEN and SENTRY_ORGANIZATION are set.
"""

from __future__ import annotations

import os
import socket
import uuid

import structlog
from starlette.routing import Route

from services.ingest import alertmanager, custom_alert, datadog, sentry_sdk, sentry_webhook
from services.ingest.context import Inbound
from services.ingest.dsn_auth import parse_keys
from services.ingest.poller_lease import LeasedPoll
from services.ingest.publisher import AckedPublisher
from services.ingest.request_log import RequestLog
from services.ingest.sentry_api import SentryApi
from services.ingest.sentry_marks import SentryMarks
from services.ingest.sentry_poller import SentryPoller
from services.ingest.tables import SCHEMA, leases
from shared.config import Settings, reveal
from shared.runner import Service
from shared.storage import Database, StoreSchema, storage_url
from shared.storage.lease import Lease

log = structlog.get_logger(__name__)

NAME = "ingest"


def stores(settings: Settings) -> dict[str, list[StoreSchema]]:
    """The service's database URL and the schemas it keeps there."""
    return {storage_url(settings, NAME, settings.ingest.store_url): [SCHEMA]}


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    [(url, schemas)] = stores(settings).items()
    database = Database(url, schemas=schemas)
    service.before_start(database.migrate)
    service.on_stop(database.close)
    ingest = settings.ingest
    publisher = AckedPublisher(
        service.producer,
        timeout=ingest.publish_timeout_seconds,
        retry_after=ingest.retry_after_seconds,
    )
    inbound = Inbound(
        publisher=publisher,
        requests=RequestLog(database, ttl_seconds=ingest.request_id_ttl_hours * 3600.0),
        max_body_bytes=ingest.max_body_bytes,
        max_decompressed_bytes=ingest.max_decompressed_bytes,
    )
    alert_token = reveal(settings.alert_webhook_token)
    dsn_keys = parse_keys(settings.ingest_dsn_keys)
    service.add_routes(
        [
            *sentry_webhook.routes(inbound, client_secret=reveal(settings.sentry_client_secret)),
            *custom_alert.routes(inbound, token=alert_token),
            *alertmanager.routes(
                inbound,
                token=alert_token,
                allow_unauthenticated=ingest.alertmanager_allow_unauthenticated,
            ),
            *sentry_sdk.routes(inbound, dsn_keys=dsn_keys),
            *_datadog_routes(settings, inbound),
        ]
    )
    if not alert_token:
        open_alertmanager = ingest.alertmanager_allow_unauthenticated
        log.warning(
            "ALERT_WEBHOOK_TOKEN is not set: /webhooks/alert refuses every request and "
            + (
                "/webhooks/alertmanager is OPEN to anyone who can reach it "
                "(ingest.alertmanager_allow_unauthenticated is true)"
                if open_alertmanager
                else "so does /webhooks/alertmanager"
            )
        )
    if not dsn_keys:
        log.warning("INGEST_DSN_KEYS is not set: the Sentry SDK endpoint refuses every key")
    _add_poller(service, settings, publisher, database)
    return service


def _datadog_routes(settings: Settings, inbound: Inbound) -> list[Route]:
    config = settings.integrations.datadog
    if not config.enabled:
        log.info("datadog webhooks off", reason="integrations.datadog.enabled is false")
        return []
    token = reveal(settings.datadog_webhook_token)
    if not token:
        log.warning(
            "DATADOG_WEBHOOK_TOKEN is not set: /webhooks/datadog "
            + (
                "is OPEN to anyone who can reach it "
                "(integrations.datadog.allow_unauthenticated is true)"
                if config.allow_unauthenticated
                else "refuses every request"
            )
        )
    return datadog.routes(inbound, token=token, allow_unauthenticated=config.allow_unauthenticated)


def _add_poller(
    service: Service, settings: Settings, publisher: AckedPublisher, database: Database
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
    seconds = settings.ingest.poller_lease_seconds
    lease = Lease(
        database,
        leases,
        name="sentry-poller",
        holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        seconds=seconds,
    )
    poller = SentryPoller(
        api=api, marks=SentryMarks(database), publisher=publisher, sentry=sentry, leading=lease.held
    )
    leased = LeasedPoll(
        lease=lease, poll=poller.poll, interval=float(settings.operation.monitoring_interval)
    )
    service.add_periodic("sentry-lease", seconds / 3, leased.renew)
    service.add_periodic("sentry-poller", seconds / 3, leased.poll_if_due)
    service.on_stop(lease.release)
