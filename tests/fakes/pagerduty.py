"""A fake PagerDuty Events API v2 (``POST /v2/enqueue``) that answers as the real one does:
202 with ``{"status": "success", "message": "Event processed", "dedup_key": ...}``, 400 with
``errors`` for a body that is not JSON or not a valid event (routing key of 32 characters, event
action, trigger payload with summary, source and severity), 429 when told to throttle, 500 when
told to fail, the ``outage``'s 5xx while it is down. It keeps each incident's state by
``dedup_key`` and counts calls."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.outage import Outage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
STATES = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}


def _fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


def _invalid(*errors: str) -> JSONResponse:
    body = _fixture(
        "pagerduty_events_v2_response_400_invalid_event.laravel-notification-channels.json"
    )
    return JSONResponse({**body, "errors": list(errors)}, status_code=400)


def validate(event: Any) -> list[str]:
    """What the real API would list in ``errors`` for ``event`` (empty: valid)."""
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    errors = []
    if len(str(event.get("routing_key", ""))) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*errors, "'payload' is missing or invalid"]
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary or len(summary) > 1024:
            errors.append("'payload.summary' is missing, blank or longer than 1024 characters")
        if not isinstance(payload.get("source"), str) or not payload["source"]:
            errors.append("'payload.source' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' is invalid (must be critical, error, warning, info)")
        if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
            errors.append("'payload.custom_details' must be an object")
        for link in event.get("links", []):
            if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                errors.append("'links' entries need an 'href'")
    return errors


class FakePagerDuty:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.incidents: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.throttle_next = 0
        self.fail_next = 0
        #: periods PagerDuty answers every event with a 5xx
        self.outage = Outage()

    def app(self) -> Starlette:
        async def enqueue(request: Request) -> JSONResponse:
            self.calls["enqueue"] += 1
            if self.throttle_next > 0:
                self.throttle_next -= 1
                self.calls["throttled"] += 1
                return JSONResponse(
                    {"status": "throttle event", "message": "Too many requests, retry later"},
                    status_code=429,
                )
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"status": "error"}, status_code=500)
            if (down := self.outage.answer()) is not None:
                return JSONResponse({"status": "error"}, status_code=down)
            try:
                event = json.loads(await request.body())
            except ValueError:
                return JSONResponse(
                    _fixture("pagerduty_events_v2_response_error.openapi.json"), status_code=400
                )
            if errors := validate(event):
                self.calls["invalid"] += 1
                return _invalid(*errors)
            action = event["event_action"]
            self.calls[action] += 1
            dedup = event.get("dedup_key") or uuid.uuid4().hex
            self.events.append(event)
            self.incidents[dedup] = STATES[action]
            body = _fixture("pagerduty_events_v2_response_202.openapi.json")
            return JSONResponse({**body, "dedup_key": dedup}, status_code=202)

        return Starlette(routes=[Route("/v2/enqueue", enqueue, methods=["POST"])])
