"""A local fake of Sentry's organisation API that speaks the real wire format: Bearer auth,
``Link`` cursor pagination, rate-limit headers, one 429 with ``Retry-After`` and one 500."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
TOKEN = "sntrys-test-token"
ORG = "acme"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeSentry:
    """Projects and issues of one organisation; the test changes them between polls."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lock = threading.Lock()
        self.projects: list[dict[str, Any]] = []
        for pid, slug in (("11", "web"), ("12", "api")):
            project = fixture("sentry_api_project.sentry-mcp.json")
            project.update(id=pid, slug=slug, name=slug)
            self.projects.append(project)
        self.issues: dict[str, dict[str, Any]] = {}
        self.project_calls = 0
        self.auth_failures = 0
        self.failures = ["429", "500"]

    def set_issue(self, name: str, project: str, count: int, minutes_ago: float) -> None:
        template = fixture("sentry_api_project_issues_list.openapi-example.json")[0]
        with self.lock:
            issue = copy.deepcopy(self.issues.get(name, template))
            pid = next(p["id"] for p in self.projects if p["slug"] == project)
            issue.update(
                id=f"{self.prefix}{name}",
                title=f"{name} failed ({self.prefix})",
                count=str(count),
                lastSeen=stamp(datetime.now(UTC) - timedelta(minutes=minutes_ago)),
                project={"id": pid, "name": project, "slug": project},
                shortId=f"{project.upper()}-{name}",
            )
            self.issues[name] = issue

    def link(self, path: str, query: dict[str, str], offset: int, limit: int, more: bool) -> str:
        def one(rel: str, cursor: str, results: bool) -> str:
            params = "&".join(f"{k}={v}" for k, v in {**query, "cursor": cursor}.items())
            return (
                f'<http://sentry.invalid{path}?{params}>; rel="{rel}"; '
                f'results="{str(results).lower()}"; cursor="{cursor}"'
            )

        previous = one("previous", f"0:{max(offset - limit, 0)}:1", offset > 0)
        return previous + ", " + one("next", f"0:{offset + limit}:0", more)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        limit = int(query.get("limit", "100"))
        offset = int(query.get("cursor", "0:0:0").split(":")[1])
        if path == f"/api/0/organizations/{ORG}/projects/":
            with self.lock:
                if offset == 0:
                    self.project_calls += 1
                items = self.projects
            limit = 1
        elif path == f"/api/0/organizations/{ORG}/issues/":
            with self.lock:
                if self.failures:
                    failure = self.failures.pop(0)
                    if failure == "429":
                        return 429, {"Retry-After": "1"}, {"detail": "You are being rate limited"}
                    return 500, {}, {"detail": "Internal Error"}
                assert query.get("sort") == "date"
                items = sorted(
                    (i for i in self.issues.values() if i["project"]["id"] == query["project"]),
                    key=lambda i: i["lastSeen"],
                    reverse=True,
                )
        else:
            return 404, {}, {"detail": "The requested resource does not exist"}
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        base = {k: v for k, v in query.items() if k != "cursor"}
        headers = {
            "Link": self.link(path, base, offset, limit, more),
            "X-Sentry-Rate-Limit-Limit": "40",
            "X-Sentry-Rate-Limit-Remaining": "39",
            "X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 1),
            "X-Sentry-Rate-Limit-ConcurrentLimit": "25",
            "X-Sentry-Rate-Limit-ConcurrentRemaining": "24",
        }
        return 200, headers, page


def serve(fake: FakeSentry) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query).items()}
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                fake.auth_failures += 1
                status, headers, body = 401, {"WWW-Authenticate": "Bearer"}, {"detail": "no"}
            else:
                status, headers, body = fake.answer(split.path, query)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@contextmanager
def serving_sentry(fake: FakeSentry) -> Iterator[str]:
    """Serve ``fake`` on a free port; yields its base URL."""
    server = serve(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
