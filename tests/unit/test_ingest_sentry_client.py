"""The Sentry API client (against httpx's MockTransport, speaking Sentry's wire format), the
Link header, and the poller's selection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.ingest.errors import SentryApiError
from services.ingest.link_header import next_cursor, parse_link_header
from services.ingest.sentry_api import SentryApi
from services.ingest.sentry_selection import seen_since, to_publish

LINK = (
    '<https://sentry.io/api/0/organizations/acme/issues/?&cursor=100:-1:1>; rel="previous"; '
    'results="false"; cursor="100:-1:1", '
    '<https://sentry.io/api/0/organizations/acme/issues/?&cursor=100:1:0>; rel="next"; '
    'results="true"; cursor="100:1:0"'
)
LAST = LINK.replace('results="true"', 'results="false"')


def test_link_header() -> None:
    links = parse_link_header(LINK)
    assert [(link.rel, link.results, link.cursor) for link in links] == [
        ("previous", False, "100:-1:1"),
        ("next", True, "100:1:0"),
    ]
    assert next_cursor(LINK) == "100:1:0"
    assert next_cursor(LAST) is None
    assert next_cursor(None) is None
    bare = '<https://x/api/0/?cursor=0:5:0>; rel="next"; results="true"'
    assert next_cursor(bare) == "0:5:0"


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_api(handler: Any, sleeps: Sleeps, *, attempts: int = 4) -> tuple[SentryApi, Any]:
    http = httpx.AsyncClient(
        base_url="https://sentry.test",
        transport=httpx.MockTransport(handler),
        headers={"Authorization": "Bearer tok"},
        timeout=5,
    )
    api = SentryApi(
        http=http,
        organization="acme",
        max_attempts=attempts,
        backoff_seconds=1.0,
        max_backoff_seconds=30.0,
        sleep=sleeps,
        clock=lambda: 1000.0,
    )
    return api, http


async def test_pages_retries_and_rate_limits() -> None:
    seen: list[httpx.Request] = []
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "slow down"}),
            httpx.Response(500, text="boom"),
            httpx.Response(
                200,
                json=[{"slug": "a"}],
                headers={
                    "Link": LINK,
                    "X-Sentry-Rate-Limit-Remaining": "0",
                    "X-Sentry-Rate-Limit-Reset": "1004",
                },
            ),
            httpx.Response(200, json=[{"slug": "b"}], headers={"Link": LAST}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    sleeps = Sleeps()
    api, http = make_api(handler, sleeps)
    async with http:
        projects = await api.projects()
    assert [p["slug"] for p in projects] == ["a", "b"]
    assert sleeps.calls == [7.0, 2.0, 4.0], "Retry-After, backoff after the 500, window reset"
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert seen[0].url.path == "/api/0/organizations/acme/projects/"
    assert seen[-1].url.params["cursor"] == "100:1:0"


async def test_client_errors_fail_at_once_and_retries_are_bounded() -> None:
    sleeps = Sleeps()
    api, http = make_api(lambda _: httpx.Response(401, json={"detail": "bad token"}), sleeps)
    async with http:
        with pytest.raises(SentryApiError) as caught:
            await api.projects()
    assert caught.value.status == 401
    assert sleeps.calls == []

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api, http = make_api(down, sleeps, attempts=3)
    async with http:
        with pytest.raises(SentryApiError, match="gave up after 3 attempts"):
            await api.issues_page({"project": "1"}, None)
    assert sleeps.calls == [1.0, 2.0]


async def test_rate_limits_wait_within_bounds_and_also_give_up() -> None:
    sleeps = Sleeps()
    capped = httpx.Response(429, headers={"Retry-After": "99"}, json={"detail": "slow down"})
    api, http = make_api(lambda _: capped, sleeps, attempts=3)
    async with http:
        with pytest.raises(SentryApiError, match="gave up after 3 attempts: HTTP 429"):
            await api.projects()
    assert sleeps.calls == [30.0, 30.0], "Retry-After capped at max_backoff_seconds"

    sleeps = Sleeps()
    bare = httpx.Response(429, json={"detail": "slow down"})
    api, http = make_api(lambda _: bare, sleeps, attempts=3)
    async with http:
        with pytest.raises(SentryApiError, match="gave up after 3 attempts"):
            await api.projects()
    assert sleeps.calls == [1.0, 2.0], "no Retry-After: exponential backoff"


def issue(issue_id: str, minutes: int, count: int, level: str = "error") -> dict[str, Any]:
    when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return {
        "id": issue_id,
        "title": f"issue {issue_id}",
        "lastSeen": when.isoformat().replace("+00:00", "Z"),
        "count": str(count),
        "level": level,
    }


def test_selection_stops_at_the_mark_and_publishes_growth_oldest_first() -> None:
    since = datetime(2025, 1, 1, 0, 10, tzinfo=UTC)
    page = [issue("3", 30, 2), issue("2", 20, 5), issue("4", 15, 1, "info"), issue("1", 10, 1)]
    page += [issue("0", 5, 1)]
    seen, done = seen_since(page, since)
    assert done
    assert [s.issue_id for s in seen] == ["3", "2", "4", "1"]
    known = {"2": 5, "1": 1, "3": 1}
    chosen = to_publish(seen, min_level="warning", published=known.get)
    assert [(c.issue_id, c.count) for c in chosen] == [("3", 2)]
    nothing: dict[str, int] = {}
    chosen = to_publish(seen, min_level="debug", published=nothing.get)
    assert [c.issue_id for c in chosen] == ["1", "4", "2", "3"]


def test_fixture_issue_list_is_a_list_of_issues() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
    items = json.loads((path / "sentry_api_project_issues_list.openapi-example.json").read_text())
    seen, done = seen_since(items, datetime(2018, 1, 1, tzinfo=UTC))
    assert not done
    assert [s.issue_id for s in seen] == ["1"]
