"""Slack's Block Kit limits, and :func:`fit_blocks`, which makes any block list respect them.

Templates cut the text they write; :func:`fit_blocks` runs after every template (custom ones
too), so a message is never refused with ``invalid_blocks`` or ``msg_too_long``.
"""

from __future__ import annotations

from typing import Any

from services.notifier.slack.text import cut

MAX_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
BLOCK_ID = 255
ACTION_ID = 255
#: The top-level ``text`` (notification fallback); Slack truncates past 40,000 and advises 4,000.
FALLBACK_TEXT = 3000

Block = dict[str, Any]


def _text(obj: Any, limit: int) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return {**obj, "text": cut(obj["text"], limit)}
    return obj


def _element(element: Any) -> Any:
    if not isinstance(element, dict):
        return element
    element = dict(element)
    if element.get("type") in ("button", "static_select", "overflow"):
        element["text"] = _text(element.get("text"), BUTTON_TEXT)
        if isinstance(element.get("value"), str):
            element["value"] = element["value"][:BUTTON_VALUE]
        if isinstance(element.get("action_id"), str):
            element["action_id"] = element["action_id"][:ACTION_ID]
        if isinstance(element.get("options"), list):
            element["options"] = [
                {
                    **o,
                    "text": _text(o.get("text"), OPTION_TEXT),
                    "value": str(o["value"])[:OPTION_VALUE],
                }
                for o in element["options"][:100]
                if isinstance(o, dict) and "value" in o
            ]
    if element.get("type") == "mrkdwn" or element.get("type") == "plain_text":
        element = _text(element, CONTEXT_TEXT)
    return element


def fit_block(block: Block) -> Block:
    """One block cut to its type's limits."""
    block = dict(block)
    kind = block.get("type")
    if kind == "header":
        block["text"] = _text(block.get("text"), HEADER_TEXT)
    elif kind == "section":
        block["text"] = _text(block.get("text"), SECTION_TEXT)
        if block["text"] is None:
            del block["text"]
        if isinstance(block.get("fields"), list):
            block["fields"] = [_text(f, FIELD_TEXT) for f in block["fields"][:SECTION_FIELDS]]
        if "accessory" in block:
            block["accessory"] = _element(block["accessory"])
    elif kind == "context" and isinstance(block.get("elements"), list):
        block["elements"] = [_element(e) for e in block["elements"][:CONTEXT_ELEMENTS]]
    elif kind == "actions" and isinstance(block.get("elements"), list):
        block["elements"] = [_element(e) for e in block["elements"][:ACTIONS_ELEMENTS]]
    if isinstance(block.get("block_id"), str):
        block["block_id"] = block["block_id"][:BLOCK_ID]
    return block


def fit_blocks(blocks: list[Block]) -> list[Block]:
    """Every block cut to its limits, and at most :data:`MAX_BLOCKS` blocks.

    Past the limit the last kept block says how many were left out; an ``actions`` block at the
    end (the buttons) is kept.
    """
    fitted = [fit_block(b) for b in blocks]
    if len(fitted) <= MAX_BLOCKS:
        return fitted
    tail = [fitted[-1]] if fitted[-1].get("type") == "actions" else []
    room = MAX_BLOCKS - 1 - len(tail)
    left_out = len(fitted) - room - len(tail)
    note = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"_{left_out} more blocks left out_"}],
    }
    return [*fitted[:room], note, *tail]
