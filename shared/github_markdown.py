"""GitHub issue text with untrusted content made harmless, one renderer for every service.

Untrusted text (titles, messages, services, environments) goes inside code — fenced blocks or
inline code — where GitHub renders no ``@mention``, ``#issue`` reference, link or markup; the
issue title is plain text and mentions nobody; only a plain http(s) URL becomes a link.
"""

from __future__ import annotations

import re
from typing import Final

from shared.issue_parts import IssueParts

TITLE_LIMIT: Final = 256
BODY_LIMIT: Final = 60_000
SAFE_URL: Final = re.compile(r"^https?://[^\s<>`]+$")


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


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def issue_title(severity: str, title: str) -> str:
    return cut(" ".join(f"[{severity}] {title}".split()), TITLE_LIMIT)


def fingerprint_line(fingerprint: str) -> str:
    """The line of an issue's body that names its problem."""
    return f"- fingerprint: {inline_code(fingerprint)}"


def notification_line(key: str) -> str:
    """The line, hidden when rendered, that opens a comment and names its notification."""
    return f"<!-- alertorch notification {key} -->"


def issue_body(parts: IssueParts) -> str:
    """An issue about one problem: ``intro`` (ours, trusted), each fact as inline code, the
    source link when it is a plain URL, the title (and ``text``) fenced."""
    facts = parts.facts.items()
    lines = [f"- {name}: {inline_code(value)}" for name, value in facts if value is not None]
    if url := parts.url:
        lines.append(f"- details: {f'<{url}>' if SAFE_URL.match(url) else inline_code(url)}")
    lines.append(fingerprint_line(parts.fingerprint))
    out = [parts.intro, "", *lines, "", "Title:", fenced(parts.title)]
    if text := parts.text:
        out += ["", "Notification:", fenced(text)]
    return cut("\n".join(out), BODY_LIMIT)
