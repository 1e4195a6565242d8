"""A log entry's ``message % params``, formatted without trusting the sender.

SDKs send a ``logentry`` as a printf-style template plus its parameters. Python's ``%`` operator
would run a template such as ``%1000000000d`` as written and allocate a gigabyte: the sender
chooses the width. Here each conversion is formatted on its own, with its width and precision
capped at :data:`MAX_FIELD`, and the result is cut at the caller's limit. A template whose
conversions do not fit its parameters (too few, too many, a ``*`` width, a value of the wrong
type) is kept verbatim: the text is never lost, only left unformatted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

MAX_FIELD: Final = 64

_SPEC: Final = re.compile(
    r"%(?:\((?P<key>[^)]{0,100})\))?(?P<flags>[#0 +-]{0,5})(?P<width>\*|\d+)?"
    r"(?:\.(?P<precision>\*|\d+))?[hlL]?(?P<conversion>[diouxXeEfFgGcrsa%])"
)


class _Unformattable(Exception):
    """The template and its parameters do not fit together."""


def _capped(number: str | None) -> str:
    if number is None:
        return ""
    if number == "*":
        raise _Unformattable
    return str(min(int(number), MAX_FIELD))


def format_logentry(
    template: str, params: Sequence[object] | Mapping[str, object], limit: int
) -> str:
    """``template % params`` with every field width and precision bounded; at most ``limit``
    characters; the template itself when the two do not fit together."""
    positional = list(params) if not isinstance(params, Mapping) else []
    used = 0

    def one(match: re.Match[str]) -> str:
        nonlocal used
        conversion = match["conversion"]
        if conversion == "%":
            return "%"
        key = match["key"]
        if key is not None:
            if not isinstance(params, Mapping) or key not in params:
                raise _Unformattable
            value = params[key]
        else:
            if used >= len(positional):
                raise _Unformattable
            value = positional[used]
            used += 1
        precision = match["precision"]
        spec = f"%{match['flags']}{_capped(match['width'])}"
        if precision is not None:
            spec += f".{_capped(precision)}"
        try:
            return (spec + conversion) % (value,)
        except (TypeError, ValueError, OverflowError) as exc:
            raise _Unformattable from exc

    try:
        formatted = _SPEC.sub(one, template)
    except _Unformattable:
        return template[:limit]
    if used != len(positional):
        return template[:limit]
    return formatted[:limit]
