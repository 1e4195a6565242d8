"""What every delivery target implements, and what it answers.

An integration receives one notification for one of its targets. It answers with a
:class:`DeliveryResult`: delivered (with the vendor's reference, e.g. a Slack ``ts``), retry
later after an error (with how long to wait, e.g. a 5xx or a network error: such tries are
counted and bounded), retry later because of a rate limit (:meth:`DeliveryResult.limited`: a
vendor's 429 with its ``Retry-After``, or our own per-channel or per-key limiter; such waits are
never counted as attempts, so a storm delays pages but never drops them), or failed for good (a
permanent error, e.g. ``channel_not_found``). It must not sleep to wait for a rate limit: it
returns ``retry_after`` and the notifier reschedules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shared.events import NotificationData, Target

#: A send (every call an integration makes for one notification) ends well within this: the
#: dispatcher's lease on a send, and how long a post a stop cut short may still take to land.
SEND_LEASE_SECONDS = 120.0


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    reference: str | None = None
    retry_after: float | None = None
    error: str | None = None
    rate_limited: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    #: Not known to have arrived nor not to have: the request went out and no answer came. Its
    #: retry first asks the target whether it arrived, where the target can tell.
    unsure: bool = False

    @classmethod
    def ok(cls, reference: str | None = None, **details: Any) -> DeliveryResult:
        return cls(delivered=True, reference=reference, details=details)

    @classmethod
    def later(cls, seconds: float, reason: str, *, unsure: bool = False) -> DeliveryResult:
        return cls(delivered=False, retry_after=max(seconds, 0.0), error=reason, unsure=unsure)

    @classmethod
    def limited(cls, seconds: float, reason: str) -> DeliveryResult:
        """Not yet: a rate limit (the vendor's or ours) asks to wait; not a failed attempt."""
        return cls(delivered=False, retry_after=max(seconds, 0.0), error=reason, rate_limited=True)

    @classmethod
    def failed(cls, reason: str) -> DeliveryResult:
        return cls(delivered=False, error=reason)

    @property
    def permanent(self) -> bool:
        return not self.delivered and self.retry_after is None


@runtime_checkable
class Integration(Protocol):
    """The seed's integration API: ``send_notification()`` and ``handle_escalation()``.

    An integration whose target deduplicates what it is sent twice may say so with a class
    attribute ``resend_safe = True``: a send a crash cut short is then sent again instead of
    being left ``unknown``. One that cannot deduplicate but can look up what it received says
    ``resend_safe`` too and adds ``async reconcile(notification, target) -> DeliveryResult |
    None``: asked first on such a resend, it returns the delivery it finds or None (send now)."""

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult: ...

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult: ...


@runtime_checkable
class FoldsUpdates(Protocol):
    """An integration whose target shows only a problem's latest state (a Slack card) may take
    a run of one problem's ``update`` notifications at once: the dispatcher then delivers such a
    run, in order, with one call, and records its answer for each of them."""

    async def send_updates(
        self, notifications: Sequence[NotificationData], target: Target
    ) -> DeliveryResult: ...
