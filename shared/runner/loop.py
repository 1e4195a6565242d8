"""The event loop a service runs on: uvloop where it is installed (Linux and macOS, a
dependency there), the standard loop elsewhere. Much of a service's fixed cost per batch is the
event loop's and the Kafka client's hand-offs, which uvloop makes somewhat cheaper
(docs/performance.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, or None for asyncio's own."""
    try:
        import uvloop  # optional: not built on Windows
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the loop of :func:`loop_factory`."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
