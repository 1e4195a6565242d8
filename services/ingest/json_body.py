"""JSON from a sender we do not trust: bounded nesting, precise 400s, never a 500.

``json.loads`` recurses once per nesting level: 100 KB of ``[`` would raise ``RecursionError``
(a 500) and deeply nested values strain every step after it. Nesting deeper than
:data:`MAX_DEPTH` is refused as a bad request; no real payload comes near it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from services.ingest.errors import BadRequest

MAX_DEPTH: Final = 64


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests containers more than ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(data: bytes, *, field: str = "(body)", what: str = "the body") -> Any:
    """Parse ``data`` as JSON; :class:`BadRequest` naming ``field`` when it is not UTF-8, not
    JSON, or nested deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(data)
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"{what} is not UTF-8", details=[{"field": field, "error": str(exc)}]
        ) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"{what} is not valid JSON",
            details=[
                {"field": field, "error": f"{exc.msg} at line {exc.lineno} column {exc.colno}"}
            ],
        ) from None
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = _depth_exceeds(value, MAX_DEPTH)
    if too_deep:
        raise BadRequest(
            f"{what} is nested too deeply",
            details=[{"field": field, "error": f"more than {MAX_DEPTH} levels of arrays/objects"}],
        )
    return value
