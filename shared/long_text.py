"""Text that may be longer than we keep: cut in the middle, never refused.

Long stack traces and log messages are real; an error must never be lost because its text is
long. A field validated by :func:`cut_to` keeps the head and the tail of an over-long value with a
visible marker between them, in at most ``limit`` characters.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import BeforeValidator

MARKER: Final = "\n… [{cut} characters cut] …\n"
#: The line the marker makes in the text it was put in.
MARKER_LINE: Final = re.compile(re.escape(MARKER.strip()).replace(r"\{cut\}", r"\d+"))


def keep_ends(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters; else its head and tail around a marker
    saying how many characters were cut (two thirds head, one third tail)."""
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    for _ in range(3):  # the marker's length depends on the number it shows
        room = limit - len(MARKER.format(cut=cut))
        if room <= 0:
            return text[:limit]
        cut = len(text) - room
    head = (room * 2) // 3
    tail = room - head
    return text[:head] + MARKER.format(cut=cut) + (text[-tail:] if tail else "")


def cut_to(limit: int) -> BeforeValidator:
    """The validator of a ``str`` field that cuts values over ``limit`` (see :func:`keep_ends`);
    pair it with ``Field(max_length=limit)`` in an ``Annotated`` type."""

    def cut(value: Any) -> Any:
        return keep_ends(value, limit) if isinstance(value, str) else value

    return BeforeValidator(cut)
