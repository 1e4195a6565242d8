"""The services' event loop: uvloop where installed, asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import builtins
from typing import Any

import pytest
import uvloop

from shared.runner.loop import loop_factory, run


async def _loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_a_service_runs_on_uvloop_where_it_is_installed() -> None:
    assert run(_loop_type()) is uvloop.Loop


def test_without_uvloop_the_standard_loop_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_uvloop(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvloop":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    assert loop_factory() is None
    assert not issubclass(run(_loop_type()), uvloop.Loop)


def test_run_returns_what_the_coroutine_returns_and_raises_what_it_raises() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def fails() -> None:
        raise ValueError("bad")

    assert run(answer()) == 42
    with pytest.raises(ValueError, match="bad"):
        run(fails())
