"""What a Slack answer means for delivery: delivered, retry later, or failed for good."""

from __future__ import annotations

from services.notifier.delivery.base import DeliveryResult
from shared.slack.api import TRANSIENT_RETRY_SECONDS, SlackAnswer

#: ``ok: false`` errors that go away by themselves; every other error is permanent
#: (``channel_not_found``, ``not_in_channel``, ``invalid_auth``, ``is_archived``, ...).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: Errors meaning the message we wanted to update is gone (a fresh root is posted instead).
GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "channel_not_found"})


def retry_after(answer: SlackAnswer) -> float | None:
    """Seconds to wait before trying again, or ``None`` if trying again cannot help."""
    if answer.ok:
        return None
    if answer.retry_after is not None:
        return answer.retry_after
    if answer.error in TRANSIENT_ERRORS:
        return TRANSIENT_RETRY_SECONDS
    return None


def failure(answer: SlackAnswer, what: str) -> DeliveryResult:
    """The :class:`DeliveryResult` of a failed call."""
    wait = retry_after(answer)
    reason = f"slack {what}: {answer.error}"
    if wait is not None and (answer.status == 429 or answer.error == "ratelimited"):
        return DeliveryResult.limited(wait, reason)
    if wait is not None:
        return DeliveryResult.later(wait, reason, unsure=answer.unsure)
    return DeliveryResult.failed(reason)
