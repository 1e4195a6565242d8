"""Run a fake SaaS (a Starlette app) on 127.0.0.1 in a background thread, for the length of a
test. Our own services are never faked; only outside APIs are."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import uvicorn
from starlette.applications import Starlette

from tests.procs import free_port_block


class Fake(Protocol):
    """A fake SaaS: its API as a Starlette app."""

    def app(self) -> Starlette: ...


F = TypeVar("F", bound=Fake)


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve ``app`` and yield its base URL (``http://127.0.0.1:PORT``)."""
    port = free_port_block(1)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def served(fake: F) -> Iterator[tuple[F, str]]:
    """``fake`` served (:func:`serving`) for the block; yields it and its base URL."""
    with serving(fake.app()) as url:
        yield fake, url
