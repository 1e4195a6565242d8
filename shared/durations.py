"""Durations as people write them on a command line: ``90s``, ``30m``, ``24h``, ``7d``, ``2w``."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; :class:`ValueError` (naming the accepted forms) otherwise."""
    found = _DURATION.match(text.lower())
    if not found or float(found[1]) <= 0:
        raise ValueError(f"{text!r} is not a duration: write a number and s, m, h, d or w (7d)")
    return float(found[1]) * _UNITS[found[2]]
