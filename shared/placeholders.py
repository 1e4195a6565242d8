"""Format strings from configuration with ``{name}`` placeholders, filled safely.

A placeholder is a bare name in braces (``{title}``); ``{{`` and ``}}`` stand for ``{`` and
``}``. Nothing else is special: no attribute or index access (``{0.__class__}``), no conversions
or format specs (``{title!r}``, ``{count:>99999}``), no ``%`` formatting. A configured format
is checked once with :func:`unknown_placeholders` (``validate-config`` names what is wrong), and
:func:`fill` only ever puts the given values where their names stand; anything else in braces
is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_NAME = re.compile(r"^[a-z_]+$")


def unknown_placeholders(text: str, allowed: Collection[str]) -> list[str]:
    """The placeholders of ``text`` that are not one of the ``allowed`` names, as written
    (``{titel}``, ``{0.__class__}``), each once, in order."""
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if name is not None and name not in allowed:
            found.setdefault(match.group(0), None)
    return list(found)


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{name}`` of ``values`` replaced by its value, ``{{``/``}}`` by one
    brace; any other braces stay as they are. Values are inserted as they are: escape them first."""

    def replace(match: re.Match[str]) -> str:
        token, name = match.group(0), match.group(1)
        if name is None:
            return token[0]
        if _NAME.match(name) and name in values:
            return values[name]
        return token

    return _TOKEN.sub(replace, text)
