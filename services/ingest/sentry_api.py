"""The Sentry Web API client: Bearer token, cursor pagination, rate limits, bounded retries.

Every call has the configured timeout. A 429 waits for ``Retry-After`` (or backs off); 5xx answers
and network errors back off exponentially; both retry up to ``max_attempts``. When a response says
the rate-limit window is spent (``X-Sentry-Rate-Limit-Remaining: 0``), the next call waits for
``X-Sentry-Rate-Limit-Reset``. Any other 4xx fails at once. Failures raise
:class:`~services.ingest.errors.SentryApiError`. The tries and waits are tenacity's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from services.ingest.errors import SentryApiError
from services.ingest.link_header import next_cursor
from services.ingest.metrics import RATE_LIMIT_WAIT_SECONDS, RATE_LIMIT_WAITS, SENTRY_API_CALLS
from shared.clock import ReadTime
from shared.retry_after import retry_after_seconds

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


class SentryApi:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        organization: str,
        max_attempts: int,
        backoff_seconds: float,
        max_backoff_seconds: float,
        sleep: Sleep = asyncio.sleep,
        clock: ReadTime = time.time,
    ) -> None:
        self._http = http
        self._org = quote(organization, safe="")
        self._attempts = max_attempts
        self._max_backoff = max_backoff_seconds
        self._backoff_wait = wait_exponential(multiplier=backoff_seconds, max=max_backoff_seconds)
        self._sleep = sleep
        self._clock = clock
        self._window_resets_at: float | None = None

    @staticmethod
    def client(*, base_url: str, token: str, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )

    async def projects(self) -> list[dict[str, Any]]:
        """Every project of the organisation (all pages)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await self.page(f"/api/0/organizations/{self._org}/projects/", {}, cursor)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    async def issues_page(self, params: dict[str, str], cursor: str | None) -> Page:
        return await self.page(f"/api/0/organizations/{self._org}/issues/", params, cursor)

    async def page(self, path: str, params: dict[str, str], cursor: str | None) -> Page:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await self._get(path, query)
        try:
            items = response.json()
        except ValueError as exc:
            raise SentryApiError(f"GET {path}: the answer is not JSON: {exc}") from None
        if not isinstance(items, list):
            raise SentryApiError(f"GET {path}: expected a JSON list, got {type(items).__name__}")
        pages = [i for i in items if isinstance(i, dict)]
        return Page(pages, next_cursor(response.headers.get("link")))

    async def _wait(self, seconds: float, reason: str) -> None:
        seconds = min(max(0.0, seconds), self._max_backoff)
        _count_wait(seconds, reason)
        await self._sleep(seconds)

    def _note_window(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-sentry-rate-limit-remaining")
        reset = response.headers.get("x-sentry-rate-limit-reset")
        self._window_resets_at = None
        try:
            if remaining is not None and reset is not None and int(remaining) <= 0:
                self._window_resets_at = float(reset)
        except ValueError:
            return

    async def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        """One GET, tried up to ``max_attempts`` times by tenacity (see the module docstring)."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            retry=retry_if_exception_type(_Transient),
            wait=self._retry_wait,
            after=_log_failure,
            before_sleep=_count_rate_limit_wait,
            sleep=self._sleep,
        )
        try:
            response: httpx.Response = await retrying(self._try, path, params)
        except RetryError as gave_up:
            problem = gave_up.last_attempt.exception()
            raise SentryApiError(
                f"GET {path}: gave up after {self._attempts} attempts: {problem}"
            ) from None
        return response

    async def _try(self, path: str, params: dict[str, str]) -> httpx.Response:
        """One try: the response, :class:`_Transient` if a later try may succeed, or
        :class:`SentryApiError` if none can."""
        endpoint = path.rstrip("/").rsplit("/", 1)[-1]
        if self._window_resets_at is not None:
            wait = self._window_resets_at - self._clock()
            self._window_resets_at = None
            if wait > 0:
                await self._wait(wait, "window_spent")
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            SENTRY_API_CALLS.labels(endpoint, "error").inc()
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        SENTRY_API_CALLS.labels(endpoint, str(status)).inc()
        self._note_window(response)
        if status < 300:
            return response
        problem = f"HTTP {status}: {response.text[:200]}"
        if status == 429:
            raise _Transient(
                problem,
                rate_limited=True,
                retry_after=retry_after_seconds(
                    response.headers.get("retry-after"),
                    now=self._clock(),
                    ceiling=self._max_backoff,
                ),
            )
        if status < 500:
            raise SentryApiError(f"GET {path}: {problem}", status=status)
        raise _Transient(problem)

    def _retry_wait(self, state: RetryCallState) -> float:
        """A 429 waits for its ``Retry-After``; anything else backs off exponentially."""
        failure = _transient(state)
        if failure.rate_limited and failure.retry_after is not None:
            return failure.retry_after
        return float(self._backoff_wait(state))


class _Transient(Exception):
    """A try that a later try may fix: a 429, a 5xx or a network error."""

    def __init__(
        self, problem: str, *, rate_limited: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(problem)
        self.rate_limited = rate_limited
        self.retry_after = retry_after


def _transient(state: RetryCallState) -> _Transient:
    assert state.outcome is not None
    failure = state.outcome.exception()
    assert isinstance(failure, _Transient)  # tenacity retries nothing else
    return failure


def _log_failure(state: RetryCallState) -> None:
    failure = _transient(state)
    if not failure.rate_limited:  # a 429's wait is logged when it starts
        log.warning(
            "sentry api call failed",
            path=state.args[0],
            attempt=state.attempt_number,
            problem=str(failure),
        )


def _count_rate_limit_wait(state: RetryCallState) -> None:
    if _transient(state).rate_limited:
        _count_wait(state.upcoming_sleep, "429")


def _count_wait(seconds: float, reason: str) -> None:
    RATE_LIMIT_WAITS.labels(reason).inc()
    RATE_LIMIT_WAIT_SECONDS.inc(seconds)
    log.info("sentry rate limit: waiting", reason=reason, seconds=round(seconds, 2))
