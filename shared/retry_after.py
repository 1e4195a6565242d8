"""The one ``Retry-After`` parser: how long a server asked us to wait, in seconds.

RFC 9110 allows two forms: delay-seconds (``120``) or an HTTP-date
(``Wed, 21 Oct 2015 07:28:10 GMT``). A date is turned into seconds from ``now`` (a date in
the past means "now": ``0.0``). The answer is never negative, never above ``ceiling``, and
``None`` when the header is absent or not understood (a sign, NaN, an exponent, or neither a number
nor a date), so each caller picks its own fallback wait.
"""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parsedate_to_datetime

#: The longest wait a Retry-After can ask of us unless a caller says otherwise.
MAX_RETRY_AFTER_SECONDS = 3600.0

# delay-seconds is digits; a fraction is tolerated (some servers send one), signs are not.
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def retry_after_seconds(
    value: str | None, *, now: float, ceiling: float = MAX_RETRY_AFTER_SECONDS
) -> float | None:
    """``Retry-After`` as seconds to wait, at most ``ceiling``; ``None`` if absent or garbage.

    ``now`` is the current time (seconds since the epoch), for the HTTP-date form.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    seconds = _delay_seconds(value)
    if seconds is None:
        seconds = _until_date(value, now)
    if seconds is None:
        return None
    return min(seconds, max(ceiling, 0.0))


def bounded_wait(
    seconds: float | None, default: float, *, ceiling: float = MAX_RETRY_AFTER_SECONDS
) -> float:
    """A wait a server's headers asked for, at least a second and at most ``ceiling``;
    ``default`` when they asked for none."""
    if seconds is None:
        return default
    return min(max(seconds, 1.0), ceiling)


def _delay_seconds(value: str) -> float | None:
    return float(value) if _SECONDS.fullmatch(value) else None


def _until_date(value: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, OSError, ValueError):
        return None
