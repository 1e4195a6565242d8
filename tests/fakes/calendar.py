"""A fake iCalendar feed host (a calendar service's secret iCal address): ``GET
/calendar/<secret>/basic.ics`` answers the feed as ``text/calendar``; 404 for an unknown secret,
500 when told to fail, 429 with ``Retry-After`` when told to throttle. It counts the fetches."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oncall"
SECRET = "private-5f1c0a9e"


class FakeCalendarHost:
    def __init__(self, feed: bytes | None = None) -> None:
        self.feed = feed if feed is not None else (FIXTURES / "platform_oncall.ics").read_bytes()
        self.calls: Counter[str] = Counter()
        self.fail_next = 0
        self.throttle_next = 0
        self.retry_after = 120

    def path(self, secret: str = SECRET) -> str:
        return f"/calendar/{secret}/basic.ics"

    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            self.calls["get"] += 1
            if request.path_params["secret"] != SECRET:
                return PlainTextResponse("Not Found", status_code=404)
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return PlainTextResponse(
                    "Too Many Requests",
                    status_code=429,
                    headers={"Retry-After": str(self.retry_after)},
                )
            if self.fail_next > 0:
                self.fail_next -= 1
                return PlainTextResponse("Internal Server Error", status_code=500)
            self.calls["served"] += 1
            return Response(self.feed, media_type="text/calendar; charset=UTF-8")

        return Starlette(routes=[Route("/calendar/{secret}/basic.ics", feed, methods=["GET"])])
