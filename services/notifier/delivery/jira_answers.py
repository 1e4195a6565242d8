"""What a Jira REST answer means for a delivery: done, retry later (rate limits, outages), or
failed for good (bad credentials, no permission, no such project or issue, invalid fields).

Rate limits: Jira Cloud answers 429 with ``Retry-After`` (seconds) and often ``X-RateLimit-Reset``
(an ISO 8601 time, e.g. ``2024-05-01T12:30Z``); Data Center's limiter answers 429 with
``Retry-After``. Either may also send ``Retry-After`` with a 503. The wait is the first of
``Retry-After``, the reset time, else ``integrations.jira.rate_limited_retry_seconds``; it is
never counted as a failed attempt.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from services.notifier.delivery.base import DeliveryResult
from shared.jira_api import error_text
from shared.retry_after import bounded_wait, retry_after_seconds

SERVER_ERROR_RETRY_SECONDS = 30.0
#: Never wait longer than this for a rate limit, whatever a header says.
MAX_WAIT_SECONDS = 3600.0


def rate_limit_wait(response: httpx.Response, now: float, default: float) -> float | None:
    """Seconds until the rate limit lifts, or ``None`` when the answer is no rate limit."""
    if response.status_code != 429:
        return None
    headers = response.headers
    seconds = retry_after_seconds(headers.get("retry-after"), now=now, ceiling=MAX_WAIT_SECONDS)
    if seconds is None:
        seconds = _until(headers.get("x-ratelimit-reset"), now)
    return bounded_wait(seconds, default, ceiling=MAX_WAIT_SECONDS)


def _until(reset: str | None, now: float) -> float | None:
    if not reset:
        return None
    try:
        when = datetime.fromisoformat(reset.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp() - now


def problem(response: httpx.Response, now: float, default_wait: float) -> DeliveryResult:
    """The result for an answer that is not a success."""
    wait = rate_limit_wait(response, now, default_wait)
    if wait is not None:
        return DeliveryResult.limited(wait, f"Jira rate limit ({response.status_code})")
    if response.status_code >= 500:
        asked = retry_after_seconds(
            response.headers.get("retry-after"), now=now, ceiling=MAX_WAIT_SECONDS
        )
        wait = asked if asked is not None else SERVER_ERROR_RETRY_SECONDS
        return DeliveryResult.later(wait, f"Jira answered {response.status_code}")
    return DeliveryResult.failed(error_text(response))
