"""Fetching an iCalendar feed over HTTP: one GET with a timeout, no retries (the directory
tries again later), a size limit checked while reading. ``webcal://`` is fetched as
``https://``. Any failure is a :class:`CalendarUnavailable`, carrying the server's
``Retry-After`` when it sent one (429, 503)."""

from __future__ import annotations

from typing import Protocol

import httpx

from shared.clock import ReadTime
from shared.oncall.errors import CalendarUnavailable
from shared.retry_after import retry_after_seconds

ACCEPT = "text/calendar, */*;q=0.5"


class FetchCalendar(Protocol):
    """The bytes at a calendar's address, or :class:`CalendarUnavailable`."""

    async def __call__(self, url: str) -> bytes: ...


def http_address(url: str) -> str:
    """``url`` as fetched: ``webcal://`` is ``https://``."""
    scheme, sep, rest = url.partition("://")
    return f"https://{rest}" if sep and scheme.lower() == "webcal" else url


def where(url: str) -> str:
    """The host of ``url``, for logs and errors (a feed's path often holds its secret)."""
    try:
        return httpx.URL(http_address(url)).host or "?"
    except httpx.InvalidURL:
        return "?"


class HttpCalendarFetch:
    """Fetches with a fresh connection per call (a feed is read every few minutes at most)."""

    def __init__(self, *, timeout: float, max_bytes: int, clock: ReadTime) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.clock = clock

    async def __call__(self, url: str) -> bytes:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=True) as client:
                request = client.build_request("GET", http_address(url), headers={"Accept": ACCEPT})
                response = await client.send(request, stream=True)
                try:
                    return await self._body(response)
                finally:
                    await response.aclose()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise CalendarUnavailable(f"{where(url)}: {type(exc).__name__}") from None

    async def _body(self, response: httpx.Response) -> bytes:
        host = response.request.url.host
        if response.status_code != 200:
            wait = retry_after_seconds(response.headers.get("retry-after"), now=self.clock())
            raise CalendarUnavailable(f"{host} answered HTTP {response.status_code}", wait)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise CalendarUnavailable(f"{host}: the calendar is over {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
