"""``alertorch dev --demo``: a realistic, varied stream into ingest, so a newcomer who types
``make run`` sees alerts, decisions and notifications in the console within a minute.

Everything goes in the way real sources send it, over HTTP to ingest: signed Sentry issue
webhooks, custom alerts and Alertmanager webhooks with the bearer token. The scenes, about a
minute in all:

- a database that refuses connections (Sentry): its fix waits for an operator's approval;
- a payment provider answering 502 (custom alert) and a front-end ReferenceError (Sentry);
- a storm: one Redis timeout 200 times in ten seconds, folded into one problem;
- a recurring regression: the same KeyError every few seconds;
- a disk filling up (Alertmanager), firing, then resolved by the source.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from services.ingest.signature import sign

log = structlog.get_logger("alertorch.demo")

STORM_COPIES = 200
REGRESSION_REPEATS = 6


@dataclass(frozen=True)
class DemoTarget:
    """Where the demo sends, and the secrets ingest was started with."""

    ingest_url: str
    webhook_token: str
    sentry_secret: str


#: The demo's database fix: the pattern's strategy bound to a pod restart, which waits for an
#: operator's approval (restarts are above ``auto_approve_up_to: safe``).
DEMO_STRATEGIES = {
    "restart_database_service": {
        "executor": "restart_service",
        "target": {"namespace": "demo", "deployment": "postgres-primary"},
    }
}


def demo_environment() -> dict[str, str]:
    """What the services get for the demo where the environment sets nothing: fresh secrets
    for ingest's webhooks, and a strategy catalog with the database fix."""
    return {
        "ALERT_WEBHOOK_TOKEN": "demo-" + secrets.token_urlsafe(16),
        "SENTRY_CLIENT_SECRET": "demo-" + secrets.token_hex(16),
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES": json.dumps(DEMO_STRATEGIES),
    }


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def sentry_issue(issue_id: str, project: str, kind: str, value: str, culprit: str) -> bytes:
    """A Sentry ``issue`` webhook (``created``), as Sentry's integration platform sends it."""
    now = _now()
    body = {
        "action": "created",
        "actor": {"id": "sentry", "name": "Sentry", "type": "application"},
        "data": {
            "issue": {
                "id": issue_id,
                "shortId": f"{project.upper()}-{issue_id[-3:]}",
                "title": f"{kind}: {value}",
                "culprit": culprit,
                "level": "error",
                "status": "unresolved",
                "count": "1",
                "userCount": 1,
                "firstSeen": now,
                "lastSeen": now,
                "platform": "python",
                "type": "error",
                "metadata": {"type": kind, "value": value, "filename": culprit},
                "project": {"id": issue_id[:3], "name": project, "slug": project},
                "permalink": f"https://sentry.example.com/issues/{issue_id}/",
            }
        },
        "installation": {"uuid": "00000000-0000-4000-8000-00000000de00"},
    }
    return json.dumps(body).encode()


def alertmanager(status: str, starts_at: str) -> dict[str, Any]:
    alert = {
        "status": status,
        "labels": {"alertname": "DiskAlmostFull", "instance": "db-2:9100", "severity": "warning"},
        "annotations": {
            "summary": "Disk usage above 90% on db-2",
            "description": "/var/lib/postgresql is 93% full",
        },
        "startsAt": starts_at,
        "endsAt": _now() if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=disk_used_ratio",
        "fingerprint": "d15c0fu11",
    }
    return {
        "version": "4",
        "receiver": "alertorch",
        "status": status,
        "groupKey": '{}:{alertname="DiskAlmostFull"}',
        "groupLabels": {"alertname": "DiskAlmostFull"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager:9093",
        "alerts": [alert],
    }


class Demo:
    """Plays the scenes against ingest; ``say`` reports each one."""

    def __init__(
        self,
        target: DemoTarget,
        client: httpx.AsyncClient,
        *,
        say: Callable[[str], None] = print,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.target = target
        self.client = client
        self.say = say
        self.pause = pause
        self.sent = 0

    async def _post(self, path: str, *, headers: dict[str, str], content: bytes) -> None:
        answer = await self.client.post(
            self.target.ingest_url + path,
            content=content,
            headers={"Content-Type": "application/json", **headers},
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"ingest answered {answer.status_code} to {path}: {answer.text}")
        self.sent += 1

    async def sentry(self, body: bytes) -> None:
        await self._post(
            "/webhooks/sentry",
            content=body,
            headers={
                "Sentry-Hook-Resource": "issue",
                "Sentry-Hook-Signature": sign(body, self.target.sentry_secret),
                "Request-ID": secrets.token_hex(16),
            },
        )

    async def bearer(self, path: str, document: dict[str, Any]) -> None:
        await self._post(
            path,
            content=json.dumps(document).encode(),
            headers={"Authorization": f"Bearer {self.target.webhook_token}"},
        )

    async def custom_alert(self, title: str, severity: str, source: str, **more: str) -> None:
        """A custom alert from production, as a monitoring script posts it."""
        alert = {"title": title, "severity": severity, "source": source}
        await self.bearer("/webhooks/alert", {**alert, "environment": "production", **more})

    async def play(self) -> int:
        """Every scene once; returns how many requests ingest accepted."""
        disk_since = _now()
        self.say("demo: a database refuses connections (Sentry); its fix will wait for approval")
        await self.sentry(
            sentry_issue(
                "4100000001",
                "checkout",
                "OperationalError",
                "could not connect to server: Connection refused (postgres-primary:5432)",
                "checkout/db.py in connect",
            )
        )
        await self.pause(2)
        self.say("demo: the payment provider answers 502 (custom alert)")
        await self.custom_alert(
            "Payment provider returned 502 for card authorisations",
            "high",
            "billing",
            dedup_key="demo-billing-502",
            message="3 of the last 20 authorisation calls failed with HTTP 502",
        )
        await self.pause(2)
        self.say("demo: a front-end ReferenceError (Sentry)")
        await self.sentry(
            sentry_issue(
                "4100000002",
                "storefront",
                "ReferenceError",
                "cartTotal is not defined",
                "app/cart.js in render",
            )
        )
        self.say("demo: the disk of db-2 fills up (Alertmanager, firing)")
        await self.bearer("/webhooks/alertmanager", alertmanager("firing", disk_since))
        await self.pause(2)
        self.say(f"demo: a storm: one Redis timeout {STORM_COPIES} times in ten seconds")
        for _ in range(STORM_COPIES):
            await self.custom_alert(
                "Redis timeout on cache-01 after 2000 ms",
                "medium",
                "sessions",
                dedup_key="demo-redis-timeout",
            )
            await self.pause(10 / STORM_COPIES)
        self.say(f"demo: a recurring regression: the same KeyError {REGRESSION_REPEATS} times")
        for _ in range(REGRESSION_REPEATS):
            await self.custom_alert(
                "KeyError: 'user_id' in GET /api/orders",
                "high",
                "orders",
                dedup_key="demo-orders-keyerror",
                message="Traceback (most recent call last): ... KeyError: 'user_id'",
            )
            await self.pause(4)
        self.say("demo: the disk of db-2 is resolved by the source (Alertmanager, resolved)")
        await self.bearer("/webhooks/alertmanager", alertmanager("resolved", disk_since))
        return self.sent
