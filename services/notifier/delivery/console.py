"""The ``console`` target: no outbound call. The notification already sits on ``notifications``,
where the web console reads it into its inbox and offers the same actions as Slack's buttons."""

from __future__ import annotations

from services.notifier.delivery.base import DeliveryResult
from shared.events import NotificationData, Target


class ConsoleInbox:
    """The ``console`` target: always delivered (reference ``console``)."""

    resend_safe = True  # no outside effect

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return DeliveryResult.ok("console")

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return DeliveryResult.ok("console")
