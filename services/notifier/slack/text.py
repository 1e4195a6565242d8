"""Making untrusted text safe for Slack, cutting text to Slack's limits, and rendering mentions.

Slack parses ``<...>`` as links and mentions (``<!channel>``, ``<@U123>``, ``<https://x|y>``) and
decodes ``&amp;``, ``&lt;``, ``&gt;``; everything else is shown as written. So :func:`escape`
turns those three characters into their entities, and :func:`defang` breaks the bare words
``@channel``, ``@here`` and ``@everyone`` (which a client may still highlight) with a word joiner.
Only configuration (mentions, links we build) ever writes ``<...>`` into a message.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
#: U+2060 WORD JOINER: invisible, and stops ``@channel`` from being read as a mention.
_JOINER = "\u2060"
_BROADCASTS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_SPECIAL = {"here", "channel", "everyone"}


def escape(text: str) -> str:
    """Untrusted text as Slack shows it literally: no mentions, no links, no control characters."""
    text = _CONTROL.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defang(text)


def defang(text: str) -> str:
    return _BROADCASTS.sub(lambda m: f"@{_JOINER}{m.group(1)}", text)


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in an ellipsis when cut.

    Never leaves half an entity (``&am``) or half a link or mention (``<@U1``) at the end.
    """
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = text[: limit - 1]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    lt = head.rfind("<")
    if lt != -1 and ">" not in head[lt:]:
        head = head[:lt]
    return head + ELLIPSIS


def safe(text: str | None, limit: int) -> str:
    """Untrusted text escaped and cut to ``limit``."""
    return cut(escape(text or ""), limit)


def mention(name: str, groups: dict[str, list[str]] | None = None) -> list[str]:
    """Slack markup for one configured mention.

    ``U…``/``W…`` are users, ``S…`` user groups, ``here``/``channel``/``everyone`` (with or
    without ``@`` or ``!``) the broadcasts; a name listed in ``groups`` (e.g. ``oncall``) stands
    for its members. Any other name is shown as plain ``@name`` and pings no-one.
    """
    bare = name.strip().removeprefix("<").removesuffix(">").lstrip("@!").split("|")[0]
    bare = bare.removeprefix("subteam^")
    if groups and bare in groups:
        return [m for member in groups[bare] for m in mention(member)]
    if _USER_ID.match(bare):
        return [f"<@{bare}>"]
    if _GROUP_ID.match(bare):
        return [f"<!subteam^{bare}>"]
    if bare.lower() in _SPECIAL:
        return [f"<!{bare.lower()}>"]
    return [f"@{escape(bare)}"] if bare else []


def mentions(names: list[str], groups: dict[str, list[str]] | None = None) -> str:
    """Configured mentions as one line, each once, in order."""
    seen: dict[str, None] = {}
    for name in names:
        for markup in mention(name, groups):
            seen.setdefault(markup, None)
    return " ".join(seen)
