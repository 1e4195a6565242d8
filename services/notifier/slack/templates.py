"""Block Kit templates: the seed's ``SlackBlockTemplate(name, fn)`` and
``register_custom_template()``, and :func:`render`, which every message goes through.

A template is a function from the message data (a dict, see :mod:`.message_data`) to a list of
blocks. Its string values are already escaped for Slack, so a template may put them into
``mrkdwn`` or ``plain_text`` as they are; ``data["raw"]`` holds the unescaped values, for a
template that escapes them itself. Whatever a template returns is cut to Slack's limits, and the
buttons are added when the template left them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.notifier.slack.buttons import ACTIONS_BLOCK_ID, actions_block
from services.notifier.slack.limits import Block, fit_blocks
from shared.errors import AlertorchError

TemplateFn = Callable[[dict[str, Any]], list[Block]]


@dataclass(frozen=True, slots=True)
class SlackBlockTemplate:
    """A named Block Kit template. Names of notification kinds (``new_alert``, ``escalation``,
    ...) replace the default for that kind; other names are chosen in ``slack.templates``."""

    name: str
    fn: TemplateFn

    def render(self, data: dict[str, Any]) -> list[Block]:
        return self.fn(data)


_CUSTOM: dict[str, SlackBlockTemplate] = {}


def register_custom_template(template: SlackBlockTemplate) -> None:
    """Use ``template`` for messages whose template name is ``template.name``."""
    if not template.name:
        raise ValueError("a template needs a name")
    if not callable(template.fn):
        raise TypeError("a template's fn must be callable: fn(data) -> list of blocks")
    _CUSTOM[template.name] = template


def unregister_custom_template(name: str) -> None:
    _CUSTOM.pop(name, None)


def find_template(name: str, defaults: dict[str, SlackBlockTemplate]) -> SlackBlockTemplate:
    """A registered template by name, else the default one, else the default ``update``."""
    return _CUSTOM.get(name) or defaults.get(name) or defaults["update"]


class TemplateError(AlertorchError):
    """A custom template raised or returned something that is not a list of blocks."""


def render(
    template: SlackBlockTemplate,
    data: dict[str, Any],
    *,
    buttons: bool,
    links: Sequence[dict[str, Any]] = (),
) -> list[Block]:
    """The template's blocks, with buttons (unless ``buttons`` is false), then the ``links``
    (link buttons) in the actions block, within limits."""
    try:
        blocks = template.render(data)
    except Exception as exc:
        raise TemplateError(f"template {template.name!r} failed: {exc!r}") from exc
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise TemplateError(f"template {template.name!r} did not return a list of blocks")
    if not buttons:
        blocks = [b for b in blocks if b.get("type") != "actions"]
    elif data.get("actions") and not any(b.get("type") == "actions" for b in blocks):
        block = actions_block(list(data["actions"]), data["fingerprint"], data.get("attempt_id"))
        if block is not None:
            blocks = [*blocks, block]
    if links:
        ours = next((b for b in blocks if b.get("block_id") == ACTIONS_BLOCK_ID), None)
        if ours is None:
            blocks = [*blocks, {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": []}]
            ours = blocks[-1]
        ours["elements"] = [*ours["elements"], *links]
    return fit_blocks(blocks)
