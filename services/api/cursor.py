"""Cursors of keyset pagination: opaque to clients, checked when they come back.

A page sorted by a column ends at a row; the cursor names the sort and that row's sort value
and key, and the next page starts strictly after it (``(value, key)`` compared as a pair, the
key breaking ties). A cursor is only valid with the sort it was made for.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from shared.errors import AlertorchError

Value = str | int | float | None


class CursorError(AlertorchError):
    """A cursor that is not one of ours, or was made for another sort."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the sort it was in, the last row's sort value and key."""

    sort: str
    value: Value
    key: str


def encode(position: Position) -> str:
    raw = json.dumps([position.sort, position.value, position.key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, *, sort: str) -> Position:
    """The position ``cursor`` stands for; :class:`CursorError` unless it is well formed and
    made for ``sort``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError("the cursor is not valid") from None
    if not (isinstance(found, list) and len(found) == 3):
        raise CursorError("the cursor is not valid")
    made_for, value, key = found
    if not isinstance(made_for, str) or not isinstance(key, str):
        raise CursorError("the cursor is not valid")
    if value is not None and not isinstance(value, str | int | float):
        raise CursorError("the cursor is not valid")
    if made_for != sort:
        raise CursorError(f"the cursor was made for sort {made_for!r}, not {sort!r}")
    return Position(made_for, value, key)
