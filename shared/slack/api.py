"""Talking to Slack: the Web API (bot token) and incoming webhooks, over httpx.

slack_sdk's ``AsyncWebClient`` needs aiohttp, which this product does not ship; these two small
clients speak the same wire format (JSON bodies, ``Authorization: Bearer``) with a timeout on
every call. They never retry: a 429 or a network error comes back as a :class:`SlackAnswer`
with ``retry_after`` and the notifier reschedules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from shared.clock import SYSTEM_CLOCK, Clock
from shared.http_answer import unanswered
from shared.retry_after import retry_after_seconds

DEFAULT_TIMEOUT = 10.0
#: Wait before retrying after a network error or a 5xx without Retry-After.
TRANSIENT_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SlackAnswer:
    """One answer from Slack: ``ok`` with its data, or an error (``retry_after`` if transient).
    ``unsure``: no answer came for a request that was sent (it timed out, or the connection was
    lost while waiting), so Slack may have carried it out."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    retry_after: float | None = None
    status: int = 200
    unsure: bool = False


class SlackApi(Protocol):
    """The Slack Web API methods the integration calls (``chat.postMessage``, ...)."""

    async def call(self, method: str, body: dict[str, Any]) -> SlackAnswer: ...


class SlackWebhook(Protocol):
    """An incoming webhook (posts to the one channel it was created for)."""

    async def post(self, body: dict[str, Any]) -> SlackAnswer: ...


def _network_error(exc: httpx.HTTPError) -> SlackAnswer:
    return SlackAnswer(
        ok=False,
        error=f"network: {type(exc).__name__}",
        retry_after=TRANSIENT_RETRY_SECONDS,
        unsure=unanswered(exc),
    )


def _retry_after(response: httpx.Response, now: float) -> float:
    wait = retry_after_seconds(response.headers.get("retry-after"), now=now)
    return TRANSIENT_RETRY_SECONDS if wait is None else wait


class HttpSlackApi:
    """The Web API at ``base_url`` (``slack.api_url``) with a bot token."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = "https://slack.com/api/",
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clock = clock
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def call(self, method: str, body: dict[str, Any]) -> SlackAnswer:
        try:
            response = await self._http.post(method, json=body)
        except httpx.HTTPError as exc:
            return _network_error(exc)
        if response.status_code == 429:
            return SlackAnswer(
                ok=False,
                error="ratelimited",
                retry_after=_retry_after(response, self._clock.time()),
                status=429,
            )
        if response.status_code >= 500:
            return SlackAnswer(
                ok=False,
                error=f"http_{response.status_code}",
                retry_after=_retry_after(response, self._clock.time()),
                status=response.status_code,
            )
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return SlackAnswer(
                ok=False, error=f"http_{response.status_code}", status=response.status_code
            )
        if data.get("ok") is True:
            return SlackAnswer(ok=True, data=data, status=response.status_code)
        return SlackAnswer(
            ok=False, data=data, error=str(data.get("error", "unknown_error")), status=200
        )

    async def aclose(self) -> None:
        await self._http.aclose()


class HttpSlackWebhook:
    """An incoming webhook URL (``SLACK_WEBHOOK_URL``). Slack answers ``ok`` or an error word."""

    def __init__(
        self,
        *,
        url: str,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clock = clock
        self._url = url
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def post(self, body: dict[str, Any]) -> SlackAnswer:
        try:
            response = await self._http.post(self._url, json=body)
        except httpx.HTTPError as exc:
            return _network_error(exc)
        status = response.status_code
        if status == 200:
            return SlackAnswer(ok=True, status=status)
        word = response.text.strip()[:100] or f"http_{status}"
        if status == 429 or status >= 500:
            return SlackAnswer(
                ok=False,
                error=word,
                retry_after=_retry_after(response, self._clock.time()),
                status=status,
            )
        return SlackAnswer(ok=False, error=word, status=status)

    async def aclose(self) -> None:
        await self._http.aclose()
