"""A fake SaaS going down for a while: until a moment, every call is answered with an error
status instead of being served. Periods follow one another (Slack rate-limits for 30 s, then
answers 500 until the minute is up): the first period not yet over gives the answer. Each fake
answers the status in its vendor's shape (Slack's ``ratelimited`` with ``Retry-After``, its
server error page; GitHub's ``Server Error``; PagerDuty's error status)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Outage:
    #: ``(until, status)``: ``until`` is a ``time.monotonic()`` reading.
    periods: list[tuple[float, int]] = field(default_factory=list)
    #: Status -> calls answered with it instead of being served.
    refused: Counter[int] = field(default_factory=Counter)
    #: ``Retry-After`` seconds of a 429, where the vendor sends one.
    retry_after: int = 5

    def down(self, until: float, status: int) -> None:
        """Answer every call with ``status`` until ``until`` (after the periods before it)."""
        self.periods.append((until, status))

    def answer(self) -> int | None:
        """The status to answer now instead of serving the call (counted); None: up."""
        now = time.monotonic()
        for until, status in self.periods:
            if now < until:
                self.refused[status] += 1
                return status
        return None
