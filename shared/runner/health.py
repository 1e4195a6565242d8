"""``/healthz`` (alive), ``/readyz`` (consuming normally, broker reachable) and ``/metrics``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.metrics import CONSUMER_READY, render


@dataclass
class HealthState:
    service: str
    started: bool = False
    stopping: bool = False
    #: What keeps the service unready, by a stable key: the message ``/readyz`` shows.
    halted_reasons: dict[str, str] = field(default_factory=dict)

    def set_problem(self, key: str, message: str | None) -> None:
        """Report a problem under ``key`` (the service is unready), or clear it (``None``)."""
        if message is None:
            self.halted_reasons.pop(key, None)
        else:
            self.halted_reasons[key] = message
        CONSUMER_READY.labels(self.service).set(0 if self.halted_reasons else 1)

    def set_halted(self, reason: str, halted: bool) -> None:
        self.set_problem(reason, reason if halted else None)

    @property
    def ready(self) -> bool:
        return self.started and not self.stopping and not self.halted_reasons


def health_routes(state: HealthState, ping: Callable[[], Awaitable[bool]]) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": state.service})

    async def readyz(_: Request) -> Response:
        problems = sorted(state.halted_reasons.values())
        if not state.started:
            problems.append("starting")
        if state.stopping:
            problems.append("stopping")
        if not problems and not await ping():
            problems.append("broker unreachable")
        status = 200 if not problems else 503
        body = {
            "status": "ready" if status == 200 else "not ready",
            "service": state.service,
            "problems": problems,
        }
        return JSONResponse(body, status_code=status)

    async def metrics(_: Request) -> Response:
        payload, content_type = render()
        return Response(payload, media_type=content_type)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
