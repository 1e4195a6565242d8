"""The text of a problem's GitHub issue and of later comments (pure).

Untrusted text (titles, messages) goes inside fenced code blocks, where GitHub renders no
``@mention``, ``#issue`` reference or link; the issue title is plain text and mentions nobody.
"""

from __future__ import annotations

import re

from shared.events import NotificationData

TITLE_LIMIT = 256
BODY_LIMIT = 60_000
SAFE_URL = re.compile(r"^https?://[^\s<>`]+$")


def fenced(text: str) -> str:
    """``text`` in a code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def inline_code(value: object) -> str:
    """``value`` on one line as inline code, whatever backticks it holds."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    return f"{ticks} {text} {ticks}" if longest else f"`{text}`"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def issue_title(notification: NotificationData) -> str:
    summary = notification.summary
    title = " ".join(f"[{summary.severity.value}] {summary.title}".split())
    return _cut(title, TITLE_LIMIT)


def _facts(notification: NotificationData) -> list[str]:
    summary = notification.summary
    facts = {
        "severity": summary.severity.value,
        "category": summary.category,
        "service": summary.service,
        "environment": summary.environment,
        "impact score": summary.impact_score,
        "trend": summary.trend,
        "occurrences": summary.count,
        "escalation level": notification.level,
    }
    lines = [
        f"- {name}: {inline_code(value)}" for name, value in facts.items() if value is not None
    ]
    if summary.url:
        link = f"<{summary.url}>" if SAFE_URL.match(summary.url) else inline_code(summary.url)
        lines.append(f"- details: {link}")
    lines.append(f"- fingerprint: {inline_code(notification.fingerprint)}")
    return lines


def issue_body(notification: NotificationData) -> str:
    parts = [
        "Opened by alertorch for one problem; later notifications about it arrive as comments.",
        "",
        *_facts(notification),
        "",
        "Title:",
        fenced(notification.summary.title),
    ]
    if notification.text:
        parts += ["", "Notification:", fenced(notification.text)]
    return _cut("\n".join(parts), BODY_LIMIT)


def comment_body(notification: NotificationData) -> str:
    summary = notification.summary
    head = (
        f"**{notification.kind.replace('_', ' ')}** at escalation level {notification.level} "
        f"(severity {inline_code(summary.severity.value)}, {summary.count} occurrences)"
    )
    parts = [head]
    if notification.text:
        parts += ["", fenced(notification.text)]
    return _cut("\n".join(parts), BODY_LIMIT)
