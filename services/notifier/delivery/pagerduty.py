"""PagerDuty Events API v2: trigger, acknowledge and resolve one incident per fingerprint.

Routing key for a target, first found: ``integrations.pagerduty.routing_keys[target.channel]``
(the escalation rules' ``service_key`` names a service), the channel itself when it is a 32
character Events API v2 key, ``integrations.pagerduty.service_key``, ``PAGERDUTY_API_KEY``.

PagerDuty accepts about 120 events per minute per routing key. A token bucket per key answers
``later()`` when it is empty, so events queue in the notifier instead of being refused or
dropped; a 429 empties the key's bucket for ``throttled_retry_seconds`` (PagerDuty sends no
``Retry-After``).

Answers: 202 → delivered (reference: the ``dedup_key``); 400 → failed, with PagerDuty's
``errors``; 429, 5xx and network errors → later; any other status → failed.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import structlog

from services.notifier.delivery.base import DeliveryResult
from services.notifier.delivery.pagerduty_events import build_event, event_action
from shared.clock import ReadTime
from shared.config.integrations import PagerDutyIntegration
from shared.events import NotificationData, Target
from shared.http_answer import json_body
from shared.ratelimit import KeyedRateLimiter

log = structlog.get_logger(__name__)

ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
SERVER_ERROR_RETRY_SECONDS = 10.0
RATE_PERIOD_SECONDS = 60.0


class PagerDutyEvents:
    """The ``pagerduty`` target."""

    #: Events API v2 deduplicates by ``dedup_key``: a send cut short by a crash is sent again.
    resend_safe = True

    def __init__(
        self,
        config: PagerDutyIntegration,
        *,
        http: httpx.AsyncClient,
        default_routing_key: str | None,
        clock: ReadTime = time.monotonic,
    ) -> None:
        self._config = config
        self._http = http
        self._default_key = default_routing_key or None
        self._limiter = KeyedRateLimiter(
            config.rate_limit_per_minute, RATE_PERIOD_SECONDS, clock=clock
        )

    def routing_key(self, target: Target) -> str | None:
        channel = target.channel or ""
        if channel in self._config.routing_keys:
            return self._config.routing_keys[channel]
        if ROUTING_KEY.match(channel):
            return channel
        return self._config.service_key or self._default_key

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        if not self._config.enabled:
            why = "PagerDuty is disabled (integrations.pagerduty.enabled)"
            return DeliveryResult.ok(None, skipped=why)
        action = event_action(notification)
        if action is None:
            return DeliveryResult.ok(None, skipped=f"no PagerDuty event for {notification.kind}")
        key = self.routing_key(target)
        if key is None:
            return DeliveryResult.failed(
                f"no PagerDuty routing key for {target.channel!r}: set PAGERDUTY_API_KEY, "
                "integrations.pagerduty.service_key or integrations.pagerduty.routing_keys"
            )
        wait = self._limiter.acquire(key)
        if wait > 0:
            return DeliveryResult.limited(wait, "PagerDuty rate limit (per routing key)")
        event = build_event(
            notification, target, routing_key=key, action=action, default_source=self._config.source
        )
        return await self._post(event, key)

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)

    async def _post(self, event: dict[str, Any], key: str) -> DeliveryResult:
        try:
            response = await self._http.post(
                self._config.events_url, json=event, timeout=self._config.timeout_seconds
            )
        except httpx.HTTPError as exc:
            return DeliveryResult.later(SERVER_ERROR_RETRY_SECONDS, f"PagerDuty: {exc!r}")
        status = response.status_code
        if status == 202:
            body = json_body(response)
            return DeliveryResult.ok(
                str(body.get("dedup_key") or event["dedup_key"]), action=event["event_action"]
            )
        if status == 429:
            seconds = self._config.throttled_retry_seconds
            self._limiter.block(key, seconds)
            return DeliveryResult.limited(seconds, "PagerDuty answered 429 (throttled)")
        if status >= 500:
            return DeliveryResult.later(SERVER_ERROR_RETRY_SECONDS, f"PagerDuty answered {status}")
        body = json_body(response)
        errors = body.get("errors") or []
        reason = f"PagerDuty answered {status}: {body.get('message') or body.get('status')}"
        if errors:
            reason += f" ({'; '.join(str(e) for e in errors)})"
        log.warning("pagerduty refused an event", status=status, errors=errors)
        return DeliveryResult.failed(reason)
