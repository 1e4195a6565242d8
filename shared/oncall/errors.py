"""The exceptions of :mod:`shared.oncall`.

``CalendarError`` is the base of both ways an iCalendar feed can fail: it could not be fetched
(:class:`CalendarUnavailable`: network, timeout, an HTTP error answer, too large) or what came
is not a calendar (:class:`CalendarInvalid`). Either way the last good copy stays in use.
"""

from __future__ import annotations

from shared.errors import AlertorchError


class CalendarError(AlertorchError):
    """An iCalendar feed that gave no calendar this time."""


class CalendarUnavailable(CalendarError):
    """The feed did not answer with a calendar; ``retry_after`` when it said when to come back."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class CalendarInvalid(CalendarError):
    """The feed answered, but not with an iCalendar document."""
