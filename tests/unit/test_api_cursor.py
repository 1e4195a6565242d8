"""Pagination cursors: round trips, and refusals of foreign or mismatched cursors."""

from __future__ import annotations

import base64

import pytest

from services.api import cursor
from services.api.cursor import CursorError, Position


@pytest.mark.parametrize("value", [1_800_000_000.25, 3, "text", None])
def test_a_cursor_round_trips(value: float | int | str | None) -> None:
    position = Position("-last_seen", value, "fp/with:odd chars")
    text = cursor.encode(position)
    assert "=" not in text
    assert cursor.decode(text, sort="-last_seen") == position


def test_a_cursor_is_valid_only_for_its_sort() -> None:
    text = cursor.encode(Position("-last_seen", 1.0, "fp"))
    with pytest.raises(CursorError, match="made for sort '-last_seen'"):
        cursor.decode(text, sort="severity")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(b'["s", 1]').decode(),
        base64.urlsafe_b64encode(b'["s", [1], "k"]').decode(),
        base64.urlsafe_b64encode(b'["s", 1, 2]').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_garbage_is_refused(text: str) -> None:
    with pytest.raises(CursorError):
        cursor.decode(text, sort="s")
