"""What a GitHub REST answer means for a delivery: done, retry later (rate limits, outages), or
failed for good (bad credentials, issues disabled, validation failed, no such repository)."""

from __future__ import annotations

import httpx

from services.notifier.delivery.base import DeliveryResult
from shared.http_answer import json_body
from shared.retry_after import bounded_wait, retry_after_seconds

SERVER_ERROR_RETRY_SECONDS = 30.0
#: GitHub's primary limit resets within the hour; never wait longer than that.
MAX_WAIT_SECONDS = 3600.0
RATE_LIMIT_STATUSES = (403, 429)


def rate_limit_wait(response: httpx.Response, now: float, default: float) -> float | None:
    """Seconds until the rate limit lifts, or ``None`` when the answer is no rate limit.

    Primary limit: ``x-ratelimit-remaining: 0`` until ``x-ratelimit-reset`` (epoch seconds).
    Secondary limit: ``retry-after``, else a message naming a rate limit, else any 429.
    """
    if response.status_code not in RATE_LIMIT_STATUSES:
        return None
    headers = response.headers
    if headers.get("retry-after"):
        return bounded_wait(
            retry_after_seconds(headers["retry-after"], now=now, ceiling=MAX_WAIT_SECONDS),
            default,
            ceiling=MAX_WAIT_SECONDS,
        )
    if headers.get("x-ratelimit-remaining") == "0":
        reset = _number(headers.get("x-ratelimit-reset"))
        if reset is not None and reset > 1e11:  # milliseconds, as some recordings have it
            reset /= 1000.0
        return bounded_wait(
            None if reset is None else reset - now, default, ceiling=MAX_WAIT_SECONDS
        )
    message = str(json_body(response).get("message", "")).lower()
    if response.status_code == 429 or "rate limit" in message:
        return default
    return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def problem(response: httpx.Response, now: float, default_wait: float) -> DeliveryResult:
    """The result for an answer that is not a success."""
    wait = rate_limit_wait(response, now, default_wait)
    if wait is not None:
        return DeliveryResult.limited(wait, f"GitHub rate limit ({response.status_code})")
    if response.status_code >= 500:
        return DeliveryResult.later(
            SERVER_ERROR_RETRY_SECONDS, f"GitHub answered {response.status_code}"
        )
    answer = json_body(response)
    reason = f"GitHub answered {response.status_code}: {answer.get('message', response.text)}"
    errors = answer.get("errors")
    if isinstance(errors, list) and errors:
        reason += f" {errors}"
    return DeliveryResult.failed(reason)
