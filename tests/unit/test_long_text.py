"""Over-long text is cut in the middle with a visible marker, never refused."""

from __future__ import annotations

import pytest

from shared.events import RawErrorData, keep_ends


@pytest.mark.parametrize("length", [0, 10, 999, 1000])
def test_text_that_fits_is_kept_as_it_is(length: int) -> None:
    text = "x" * length
    assert keep_ends(text, 1000) is text


@pytest.mark.parametrize(("length", "limit"), [(1001, 1000), (100_000, 32768), (50, 40)])
def test_long_text_keeps_its_head_and_tail_and_says_how_much_was_cut(
    length: int, limit: int
) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(length))
    out = keep_ends(text, limit)
    assert len(out) <= limit
    head, _, rest = out.partition("\n… [")
    cut_text, _, tail = rest.partition(" characters cut] …\n")
    assert text.startswith(head)
    assert text.endswith(tail)
    assert len(head) + int(cut_text) + len(tail) == length


def test_a_raw_error_with_a_long_trace_is_kept_not_refused() -> None:
    trace = "Traceback (most recent call last):\n" + "  frame\n" * 20_000 + "ValueError: boom"
    data = RawErrorData.model_validate(
        {
            "fingerprint": "fp",
            "origin": "custom",
            "title": "t" * 5000,
            "message": trace,
            "severity": "high",
        }
    )
    assert data.message is not None
    assert data.message.startswith("Traceback")
    assert data.message.endswith("ValueError: boom")
    assert "characters cut" in data.message
    assert len(data.title) == 1000
