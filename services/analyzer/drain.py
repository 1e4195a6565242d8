"""Drain, with two changes to how it compares a message with a template.

1. **Constant words that differ keep messages apart.** Where a template and a message have two
   different capitalised or upper-case words at one position (``VM Started`` / ``VM Paused``,
   ``from NEW to INITED`` / ``from INITED to SETUP``, ``User … not found`` /
   ``Order … not found``), they are two shapes, however similar the rest: such words name
   states, outcomes and entities, not values. Lower-case words may still vary (user names).
2. **Dotted names route like numbers.** In the prefix tree a token with a digit goes down the
   wildcard branch, so values at the start of a message do not split its shape; so does a
   dotted name (``com.apple.cts.heartbeat: …``, ``org.example.Foo …``), whose similarity with
   the rest of the template still decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from drain3.drain import Drain as _Drain3

_CONSTANT = re.compile(r"[A-Z][a-z]+|[A-Z][A-Z_]+")
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*){2,}:?")
_PUNCTUATION = ".,:;!?()[]{}\"'"


def _constant(token: str) -> bool:
    return _CONSTANT.fullmatch(token.strip(_PUNCTUATION)) is not None


class Drain(_Drain3):  # type: ignore[misc]
    def get_seq_distance(
        self, seq1: Sequence[str], seq2: Sequence[str], include_params: bool
    ) -> tuple[float, int]:
        for template_token, token in zip(seq1, seq2, strict=True):
            if template_token != token and _constant(template_token) and _constant(token):
                return -1.0, 0
        distance: tuple[float, int] = super().get_seq_distance(seq1, seq2, include_params)
        return distance

    @staticmethod
    def has_numbers(s: str) -> bool:
        return any(char.isdigit() for char in s) or _DOTTED.fullmatch(s) is not None
