"""Background tasks and stop hooks of the service runner, on the real broker."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.config import load_settings
from shared.runner import Service

pytestmark = pytest.mark.broker


async def test_failed_task_makes_the_service_unready_and_hooks_run_on_stop(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    service = Service(name="tasktest", settings=load_settings())
    ticks: list[int] = []
    stopped: list[str] = []

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    async def broken() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("poller lost its credentials")

    async def close_store() -> None:
        stopped.append("async")

    service.add_task("ticker", ticker)
    service.add_task("poller", broken)
    service.on_stop(lambda: stopped.append("sync"))
    service.on_stop(close_store)
    app = service.asgi()
    async with service.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            assert (await client.get("/readyz")).status_code == 200
            await asyncio.sleep(0.2)
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert any("poller lost its credentials" in p for p in ready.json()["problems"])
        assert ticks
    assert stopped == ["async", "sync"]  # reverse order of registration
