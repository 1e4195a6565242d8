"""What names one notification where a target can be searched for it after a send whose answer
was lost (Slack message metadata, a hidden line of a GitHub comment): the same on every send of
that notification, and different for any other."""

from __future__ import annotations

import hashlib

from shared.events import NotificationData


def notification_key(notification: NotificationData) -> str:
    """A digest of the notification's data (32 hex digits)."""
    return hashlib.sha256(notification.model_dump_json().encode()).hexdigest()[:32]
