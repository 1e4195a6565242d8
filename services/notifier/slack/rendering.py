"""Choosing and running a template for a message, and the Slack request bodies that carry it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import structlog

from services.notifier.slack.buttons import link_button
from services.notifier.slack.defaults import DEFAULTS, fallback_text
from services.notifier.slack.headlines import alert_headline, fix_headline
from services.notifier.slack.limits import FALLBACK_TEXT, Block
from services.notifier.slack.message_data import incident_data, root_data
from services.notifier.slack.state import Root
from services.notifier.slack.templates import TemplateError, find_template, render
from services.notifier.slack.text import cut
from shared.config.notification_templates import NotificationTemplatesSection
from shared.config.slack import SlackSection

log = structlog.get_logger(__name__)

CARD = "new_alert"
#: What stays as it is when a source's URL is put into a link button.
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class Renderer:
    """Renders message data with the configured template for each kind (``slack.templates``),
    falling back to the default template when a custom one fails. The configured headlines
    (``notification_templates``) reach the templates as ``data["headline"]``."""

    def __init__(
        self,
        *,
        templates: dict[str, str] | None = None,
        buttons: bool = True,
        console_url: str = "",
        formats: NotificationTemplatesSection | None = None,
    ) -> None:
        self.templates = templates or {}
        self.buttons = buttons
        self.console_url = console_url.rstrip("/")
        self.formats = formats or NotificationTemplatesSection()

    @classmethod
    def of(
        cls,
        settings: SlackSection | None,
        *,
        buttons: bool = True,
        formats: NotificationTemplatesSection | None = None,
    ) -> Renderer:
        """The renderer ``settings`` configure (templates, the console's address), with the
        headline ``formats``."""
        if settings is None:
            return cls(buttons=buttons, formats=formats)
        return cls(
            templates=settings.templates,
            buttons=buttons,
            console_url=settings.console_url,
            formats=formats,
        )

    def blocks(
        self, kind: str, data: dict[str, Any], links: Sequence[dict[str, Any]] = ()
    ) -> list[Block]:
        name = self.templates.get(kind, kind)
        try:
            return render(find_template(name, DEFAULTS), data, buttons=self.buttons, links=links)
        except TemplateError as exc:
            log.error("slack template failed, using the default", template=name, error=str(exc))
            fallback = DEFAULTS.get(kind, DEFAULTS["update"])
            return render(fallback, data, buttons=self.buttons, links=links)

    def card(self, data: dict[str, Any]) -> tuple[list[Block], str]:
        """The root card's blocks (with its links: Investigate in the console, the source's
        issue) and fallback text."""
        data = {**data, "headline": alert_headline(self.formats, data)}
        blocks = self.blocks(CARD, data, self.links(data))
        return blocks, cut(fallback_text({**data, "kind": CARD}), FALLBACK_TEXT)

    def drawn(self, roots: Sequence[Root]) -> tuple[list[Block], str]:
        """The card of a root message showing ``roots``: a problem's card, or, when the
        problems of an incident share it, the incident's card."""
        if len(roots) == 1:
            return self.card(root_data(roots[0]))
        data = incident_data(roots, buttons=self.buttons)
        return self.blocks("incident", data), cut(fallback_text(data), FALLBACK_TEXT)

    def links(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Investigate (the problem's timeline in the console, when its address is configured)
        and the problem at its source (a Sentry issue, ...), when it has an http(s) address."""
        found = []
        if self.console_url:
            page = f"{self.console_url}/ui/alerts/{quote(data['fingerprint'], safe='')}"
            found.append(link_button("investigate", "Investigate", page))
        # characters a URL may not hold as they are (<, >, |, spaces) are percent-encoded
        source = quote(str(data["raw"].get("url") or ""), safe=URL_SAFE)
        if source.startswith(("https://", "http://")):
            label = "Sentry issue" if "sentry" in urlsplit(source).netloc else "Open at source"
            found.append(link_button("open_source", label, source))
        return found

    def reply(self, kind: str, data: dict[str, Any]) -> tuple[list[Block], str]:
        data = {**data, "headline": fix_headline(self.formats, data)}
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
