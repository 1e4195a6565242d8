"""The configured headlines (``notification_templates``): the top of a problem's alert card by
its severity, and the message telling how an automatic fix ended. Pure.

The formats come from configuration (trusted: they may hold mrkdwn and mentions); the values
put into them are the message data's, already escaped and cut (:mod:`.message_data`). An empty
headline means the built-in message.
"""

from __future__ import annotations

from typing import Any

from services.notifier.slack.limits import SECTION_TEXT
from services.notifier.slack.text import cut
from shared.config.notification_templates import NotificationTemplatesSection
from shared.events import Severity
from shared.placeholders import fill


def _problem(data: dict[str, Any]) -> dict[str, str]:
    return {
        "title": data["title"],
        "description": data.get("message", ""),
        "severity": data["severity"],
        "service": data.get("service", ""),
        "environment": data.get("environment", ""),
    }


def _headline(text: str, values: dict[str, str]) -> str:
    return cut(fill(text, values).strip(), SECTION_TEXT)


def alert_headline(formats: NotificationTemplatesSection, data: dict[str, Any]) -> str:
    """The alert card's headline for the problem's severity; empty when none is configured."""
    text = formats.alert(Severity(data["severity"]))
    if not text:
        return ""
    return _headline(text, {**_problem(data), "count": data["count_text"]})


def fix_headline(formats: NotificationTemplatesSection, data: dict[str, Any]) -> str:
    """The message of a fix's outcome (a notification carrying one); empty for other messages
    and when none is configured."""
    fix = data.get("fix")
    if not fix:
        return ""
    text = formats.fix(succeeded=fix["succeeded"])
    if not text:
        return ""
    outcome = {name: fix[name] for name in ("action", "duration", "error")}
    return _headline(text, {**_problem(data), **outcome})
