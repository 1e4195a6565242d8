"""Silences end to end: the console, the resolver and the notifier as processes on a broker of
their own. A silence made through the console's API holds back the resolver's fix and the
notifier's notifications for what it matches (each recorded on ``audit``, and the console shows
when it was last used), not for anything else; ended, it holds back nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.api import tokens
from services.api.tables import SCHEMA
from shared.events import AuditRecord, Resolution
from shared.kafka.lag import consumer_groups
from shared.storage import Database
from shared.topics import AUDIT, ERRORS_CLASSIFIED, NOTIFICATIONS, RESOLUTIONS, topic
from tests.kafka_helpers import produce_keyed, read_all, read_until
from tests.notifications import unfixed
from tests.procs import running_service
from tests.unit.test_api_projection import classified

pytestmark = pytest.mark.broker
PREFIX = "silences-test"


async def _caught_up(bootstrap: str, groups: tuple[str, ...], timeout: float = 30) -> None:
    """Until each of ``groups`` has read everything on its topics."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {g.group: g for g in await consumer_groups(bootstrap, PREFIX)}
        if all(f"{PREFIX}-{g}" in found and not found[f"{PREFIX}-{g}"].total for g in groups):
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{groups} did not catch up")


async def _decision(bootstrap: str, fp: str) -> dict[str, Any]:
    [record] = await read_until(
        bootstrap, RESOLUTIONS, lambda r: len(r) >= 1, match=lambda r: r.key == fp.encode()
    )
    event = topic(RESOLUTIONS).decode(record.value)
    assert isinstance(event, Resolution)
    return event.data.model_dump(mode="json")


async def test_a_silence_holds_back_fixes_and_notifications_until_it_ends(
    own_broker: str, tmp_path: Path
) -> None:
    env = {
        "ALERTORCH_STORAGE__DATA_DIRECTORY": str(tmp_path),
        "ALERTORCH_KAFKA__GROUP_PREFIX": PREFIX,
    }
    with (
        running_service("api", bootstrap=own_broker, env=env) as console,
        running_service("resolver", bootstrap=own_broker, env=env),
        running_service("notifier", bootstrap=own_broker, env=env),
    ):
        # the console has migrated its read model: a token, as `alertorch tokens create` makes
        database = Database(f"sqlite:///{tmp_path / 'api.db'}", schemas=[SCHEMA])
        try:
            made = await tokens.create_token(database, role="operator", name="Ana")
        finally:
            await database.close()
        auth = {"Authorization": f"Bearer {made.token}"}
        async with httpx.AsyncClient(base_url=console.url, headers=auth, timeout=10) as api:
            answer = await api.post(
                "/api/v1/silences",
                json={
                    "matchers": {"service": "checkout-db", "environment": "Production"},
                    "reason": "maintenance window: PostgreSQL upgrade",
                    "duration_seconds": 3600,
                },
            )
            assert answer.status_code == 202, answer.text
            silence_id = answer.json()["silence"]["silence_id"]
            bad = await api.post(
                "/api/v1/silences", json={"matchers": {}, "reason": "x", "duration_seconds": 60}
            )
            assert bad.status_code == 422
            assert "at least one matcher" in bad.text
            await _caught_up(own_broker, ("resolver-silences", "notifier-silences"))

            now = time.time()
            held = classified("fp-held", at=now, service="checkout-db")
            other = classified("fp-other", at=now, service="search")
            await produce_keyed(
                own_broker,
                ERRORS_CLASSIFIED,
                [(e.subject.encode(), e.to_json_bytes()) for e in (held, other)],
            )
            decision = await _decision(own_broker, "fp-held")
            assert decision["status"] == "suppressed"
            assert decision["reason"].startswith("silenced (service=checkout-db, environment=")
            assert decision["details"] == {"silence_id": silence_id}
            assert (await _decision(own_broker, "fp-other"))["status"] == "no_strategy"

            quiet = unfixed(
                "fp-quiet", "Database connection refused on checkout-db", service="checkout-db"
            )
            loud = unfixed("fp-loud", "Database connection refused on web", service="web")
            await produce_keyed(
                own_broker,
                RESOLUTIONS,
                [(e.subject.encode(), e.to_json_bytes()) for e in (quiet, loud)],
            )
            await read_until(
                own_broker,
                NOTIFICATIONS,
                lambda r: len(r) >= 1,
                match=lambda r: r.key == b"fp-loud",
            )
            audits = await read_until(
                own_broker,
                AUDIT,
                lambda r: len(r) >= 1,
                match=lambda r: r.key == b"fp-quiet",
            )
            record = topic(AUDIT).decode(audits[0].value)
            assert isinstance(record, AuditRecord)
            assert (record.data.action, record.data.details["silence_id"]) == (
                "silenced",
                silence_id,
            )
            assert not await read_all(
                own_broker, NOTIFICATIONS, match=lambda r: r.key == b"fp-quiet"
            )
            listed = (await api.get("/api/v1/silences", params={"state": "active"})).json()
            [shown] = [s for s in listed["items"] if s["silence_id"] == silence_id]
            assert shown["created_by"]["name"] == "Ana"

            # ended: nothing is held back any more
            ended = await api.post(f"/api/v1/silences/{silence_id}/expire")
            assert ended.status_code == 202
            assert ended.json()["silence"]["ended_reason"] == "ended by Ana"
            await _caught_up(own_broker, ("resolver-silences", "notifier-silences", "api-events"))
            again = await api.post(f"/api/v1/silences/{silence_id}/expire")
            assert again.status_code == 409
            after = classified("fp-after", at=time.time(), service="checkout-db")
            await produce_keyed(
                own_broker, ERRORS_CLASSIFIED, [(b"fp-after", after.to_json_bytes())]
            )
            assert (await _decision(own_broker, "fp-after"))["status"] == "no_strategy"
            used = (await api.get("/api/v1/silences")).json()["items"]
            [gone] = [s for s in used if s["silence_id"] == silence_id]
            assert gone["state"] == "expired"
            assert gone["last_used_at"] is not None
