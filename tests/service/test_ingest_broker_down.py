"""When the broker does not acknowledge, the ingest service answers 503 with Retry-After: a 2xx
always means the event is safe, and a failure is never a silent drop."""

from __future__ import annotations

import httpx
import pytest

from shared.kafka.admin import ensure_topics
from shared.kafka.embedded import EmbeddedBroker, free_port
from tests.procs import running_service

pytestmark = pytest.mark.broker


async def test_broker_down_gives_503_with_retry_after() -> None:
    # A broker of its own, so stopping it leaves the session's broker alone.
    broker = EmbeddedBroker(port=free_port(), log_path=None)
    await broker.start()
    try:
        await ensure_topics(broker.bootstrap_servers, partitions=1)
        env = {
            "ALERT_WEBHOOK_TOKEN": "t",
            "ALERTORCH_INGEST__PUBLISH_TIMEOUT_SECONDS": "2",
            "ALERTORCH_INGEST__RETRY_AFTER_SECONDS": "7",
        }
        alert = {"title": "Disk full", "severity": "critical", "source": "db"}
        auth = {"Authorization": "Bearer t"}
        with running_service("ingest", bootstrap=broker.bootstrap_servers, env=env) as service:
            async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
                ok = await client.post("/webhooks/alert", json=alert, headers=auth)
                assert ok.status_code == 202, ok.text
                broker.stop()
                down = await client.post("/webhooks/alert", json=alert, headers=auth)
                assert down.status_code == 503, down.text
                assert down.headers["retry-after"] == "7"
                assert "retry" in down.json()["error"]
                metrics = (await client.get("/metrics")).text
        assert 'alertorch_ingest_requests_total{outcome="unavailable",source="custom"}' in metrics
    finally:
        broker.stop()
