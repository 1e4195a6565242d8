"""Choosing and running a template for a message, and the Slack request bodies that carry it."""

from __future__ import annotations

from typing import Any

import structlog

from services.notifier.slack.defaults import DEFAULTS, fallback_text
from services.notifier.slack.limits import FALLBACK_TEXT, Block
from services.notifier.slack.templates import TemplateError, find_template, render
from services.notifier.slack.text import cut

log = structlog.get_logger(__name__)

CARD = "new_alert"


class Renderer:
    """Renders message data with the configured template for each kind (``slack.templates``),
    falling back to the default template when a custom one fails."""

    def __init__(self, *, templates: dict[str, str] | None = None, buttons: bool = True) -> None:
        self.templates = templates or {}
        self.buttons = buttons

    def blocks(self, kind: str, data: dict[str, Any]) -> list[Block]:
        name = self.templates.get(kind, kind)
        try:
            return render(find_template(name, DEFAULTS), data, buttons=self.buttons)
        except TemplateError as exc:
            log.error("slack template failed, using the default", template=name, error=str(exc))
            return render(DEFAULTS.get(kind, DEFAULTS["update"]), data, buttons=self.buttons)

    def card(self, data: dict[str, Any]) -> tuple[list[Block], str]:
        """The root card's blocks and fallback text."""
        return self.blocks(CARD, data), cut(fallback_text({**data, "kind": CARD}), FALLBACK_TEXT)

    def reply(self, kind: str, data: dict[str, Any]) -> tuple[list[Block], str]:
        return self.blocks(kind, data), cut(fallback_text(data), FALLBACK_TEXT)


def post_body(
    channel: str,
    blocks: list[Block],
    text: str,
    *,
    thread_ts: str | None = None,
    broadcast: bool = False,
) -> dict[str, Any]:
    """``chat.postMessage``: no link unfurling, no name linking, no parsing of our text."""
    body: dict[str, Any] = {
        "channel": channel,
        "blocks": blocks,
        "text": text,
        "unfurl_links": False,
        "unfurl_media": False,
        "link_names": False,
        "parse": "none",
    }
    if thread_ts:
        body["thread_ts"] = thread_ts
        if broadcast:
            body["reply_broadcast"] = True
    return body


def update_body(channel_id: str, ts: str, blocks: list[Block], text: str) -> dict[str, Any]:
    """``chat.update`` of one of our messages."""
    return {
        "channel": channel_id,
        "ts": ts,
        "blocks": blocks,
        "text": text,
        "link_names": False,
        "parse": "none",
    }


def webhook_body(blocks: list[Block], text: str) -> dict[str, Any]:
    """An incoming webhook post: no buttons (nothing could answer them), no unfurling."""
    return {
        "text": text,
        "blocks": [b for b in blocks if b.get("type") != "actions"],
        "unfurl_links": False,
        "unfurl_media": False,
    }
