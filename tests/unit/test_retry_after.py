"""The one Retry-After parser: seconds or an HTTP-date, never negative, bounded, and ``None`` for
anything absent or not understood."""

from __future__ import annotations

import httpx
import pytest

from shared.clock import ManualClock
from shared.retry_after import MAX_RETRY_AFTER_SECONDS, retry_after_seconds
from shared.slack.api import TRANSIENT_RETRY_SECONDS, HttpSlackApi

NOW = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:28:10 -0000", 10.0),
        ("Wednesday, 21-Oct-15 07:28:10 GMT", 10.0),  # RFC 850, obsolete but allowed
        ("Wed Oct 21 07:28:10 2015", 10.0),  # asctime, obsolete but allowed
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # a date in the past: go now
    ],
)
def test_seconds_and_dates(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "-5", "nan", "inf", "1e3", "1_000", "Mon, 99 Foo 2015"]
)
def test_absent_or_garbage_is_none(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) is None


def test_waits_are_bounded() -> None:
    assert retry_after_seconds("99999999999999999999", now=NOW) == MAX_RETRY_AFTER_SECONDS
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now=NOW) == MAX_RETRY_AFTER_SECONDS
    assert retry_after_seconds("90", now=NOW, ceiling=60.0) == 60.0
    assert retry_after_seconds("30", now=NOW, ceiling=60.0) == 30.0


@pytest.mark.parametrize(
    ("header", "wait"),
    [("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("12", 12.0), ("soon", TRANSIENT_RETRY_SECONDS)],
)
async def test_slack_reads_retry_after_on_its_clock(header: str, wait: float) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": header}, json={"ok": False})

    api = HttpSlackApi(
        token="xoxb-test", transport=httpx.MockTransport(refuse), clock=ManualClock(NOW)
    )
    answer = await api.call("chat.postMessage", {"channel": "C1", "text": "hi"})
    await api.aclose()
    assert (answer.error, answer.retry_after) == ("ratelimited", wait)
