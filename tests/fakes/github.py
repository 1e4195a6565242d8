"""A fake GitHub REST API for issues: create (201 with GitHub's real body shape, 410 when issues
are disabled, 401 without a token, 403 on the primary rate limit with ``x-ratelimit-reset``, 429
with ``retry-after`` on a secondary limit, 422 when told a request is invalid, GitHub's
``Server Error`` while the ``outage`` says it is down; or made, with its answer held past the
client's timeout), list (newest first, paged by ``per_page`` and ``page``), comment (or made,
its answer held), list an issue's comments (oldest first, ``since``, paged), and close."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.outage import Outage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "resolver"
DELIVERY_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"


class FakeGitHub:
    def __init__(self, token: str = "ghp_test") -> None:
        #: Repositories the token can see (``GET /repos/{owner}/{repo}``).
        self.repositories: set[str] = {"acme/web"}
        self.token = token
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.disabled: set[str] = set()
        self.remaining = 5000
        #: Epoch seconds sent as ``x-ratelimit-reset``.
        self.reset_at = 4102444800
        self.rate_limit_message = "API rate limit exceeded"
        #: Answer the next N requests 429 with ``retry-after`` (a secondary rate limit).
        self.secondary_limited = 0
        self.retry_after = 60
        #: Answer the next N creations 422 ``Validation Failed``.
        self.invalid_next = 0
        #: Make the next N issues or comments but hold each answer this long (past a client's
        #: timeout).
        self.answers_held = 0
        self.hold_seconds = 2.0
        #: Periods GitHub answers every request with a 5xx (``Server Error``).
        self.outage = Outage()
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.calls: Counter[str] = Counter()
        self._template = json.loads(
            (FIXTURES / "github_rest_create_issue_response_201.octokit-fixtures.json").read_text()
        )

    def app(self) -> Starlette:
        async def create(request: Request) -> JSONResponse:
            repo = self._begin(request, "create")
            if isinstance(repo, JSONResponse):
                return repo
            if repo in self.disabled:
                body = json.loads(
                    (
                        FIXTURES / "github_rest_create_issue_response_410_issues_"
                        "disabled.pygithub.json"
                    ).read_text()
                )
                return JSONResponse(body, status_code=410)
            if self.invalid_next > 0:
                self.invalid_next -= 1
                exchange = json.loads(
                    (
                        DELIVERY_FIXTURES / "github_rest_422_validation_failed_exchange."
                        "octokit-fixtures.json"
                    ).read_text()
                )
                return JSONResponse(exchange["response"], status_code=422)
            payload = await request.json()
            number = 1 + sum(1 for r, _ in self.issues if r == repo)
            issue = dict(self._template)
            issue.update(
                {
                    "number": number,
                    "title": payload["title"],
                    "body": payload.get("body"),
                    "state": "open",
                    "labels": [{"name": n} for n in payload.get("labels", [])],
                    "html_url": f"https://github.com/{repo}/issues/{number}",
                    "url": f"https://api.github.com/repos/{repo}/issues/{number}",
                    "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
            self.issues[(repo, number)] = issue
            if self.answers_held > 0:
                self.answers_held -= 1
                await asyncio.sleep(self.hold_seconds)
            return JSONResponse(
                issue, status_code=201, headers={"location": issue["url"], **self._rate_headers()}
            )

        async def listed(request: Request) -> JSONResponse:
            repo = self._begin(request, "list")
            if isinstance(repo, JSONResponse):
                return repo
            query = request.query_params
            assert (query.get("state"), query.get("sort")) == ("all", "created"), query
            assert query.get("direction") == "desc", query
            per_page, page = int(query.get("per_page", "30")), int(query.get("page", "1"))
            newest = sorted((n for r, n in self.issues if r == repo), reverse=True)
            chosen = newest[(page - 1) * per_page : page * per_page]
            body = [self.issues[(repo, n)] for n in chosen]
            return JSONResponse(body, headers=self._rate_headers())

        async def update(request: Request) -> JSONResponse:
            repo = self._begin(request, "update")
            if isinstance(repo, JSONResponse):
                return repo
            issue = self.issues.get((repo, int(request.path_params["number"])))
            if issue is None:
                return JSONResponse({"message": "Not Found"}, status_code=404)
            issue.update(await request.json())
            return JSONResponse(issue, headers=self._rate_headers())

        async def comment(request: Request) -> JSONResponse:
            issue = self._issue(request, "comment")
            if isinstance(issue, JSONResponse):
                return issue
            repo, number = issue
            thread = self.comments.setdefault((repo, number), [])
            comment_id = 1 + sum(len(c) for c in self.comments.values())
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            created = {
                "id": comment_id,
                "body": (await request.json())["body"],
                "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}",
                "issue_url": f"https://api.github.com/repos/{repo}/issues/{number}",
                "created_at": now,
                "updated_at": now,
            }
            thread.append(created)
            if self.answers_held > 0:
                self.answers_held -= 1
                await asyncio.sleep(self.hold_seconds)
            return JSONResponse(created, status_code=201, headers=self._rate_headers())

        async def comments(request: Request) -> JSONResponse:
            issue = self._issue(request, "comments")
            if isinstance(issue, JSONResponse):
                return issue
            query = request.query_params
            since = query.get("since", "")
            per_page, page = int(query.get("per_page", "30")), int(query.get("page", "1"))
            thread = [c for c in self.comments.get(issue, []) if c["updated_at"] >= since]
            body = thread[(page - 1) * per_page : page * per_page]
            return JSONResponse(body, headers=self._rate_headers())

        async def repository(request: Request) -> JSONResponse:
            if refused := self._refuse(request):
                return refused
            owner, name = request.path_params["owner"], request.path_params["repo"]
            if f"{owner}/{name}" not in self.repositories:
                return JSONResponse({"message": "Not Found"}, status_code=404)
            body = {
                "id": 1296269,
                "name": name,
                "full_name": f"{owner}/{name}",
                "private": True,
                "has_issues": True,
                "html_url": f"https://github.com/{owner}/{name}",
                "permissions": {"admin": False, "maintain": False, "push": True, "pull": True},
            }
            return JSONResponse(body, headers=self._rate_headers())

        return Starlette(
            routes=[
                Route("/repos/{owner}/{repo}", repository, methods=["GET"]),
                Route("/repos/{owner}/{repo}/issues", create, methods=["POST"]),
                Route("/repos/{owner}/{repo}/issues", listed, methods=["GET"]),
                Route("/repos/{owner}/{repo}/issues/{number:int}", update, methods=["PATCH"]),
                Route(
                    "/repos/{owner}/{repo}/issues/{number:int}/comments", comment, methods=["POST"]
                ),
                Route(
                    "/repos/{owner}/{repo}/issues/{number:int}/comments", comments, methods=["GET"]
                ),
            ]
        )

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    def _begin(self, request: Request, call: str) -> str | JSONResponse:
        """A request counted as ``call``: its repository (``owner/name``), or the answer
        refusing it."""
        self.calls[call] += 1
        if (refused := self._refuse(request)) is not None:
            return refused
        return f"{request.path_params['owner']}/{request.path_params['repo']}"

    def _issue(self, request: Request, call: str) -> tuple[str, int] | JSONResponse:
        """A request about the issue in the path, counted as ``call``: its repository and
        number, or the answer refusing it (404 for an issue it does not have)."""
        repo = self._begin(request, call)
        if isinstance(repo, JSONResponse):
            return repo
        number = int(request.path_params["number"])
        if (repo, number) not in self.issues:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return repo, number

    def _refuse(self, request: Request) -> JSONResponse | None:
        if (down := self.outage.answer()) is not None:
            body = DELIVERY_FIXTURES / "github_rest_502_server_error_body.octokit-request-js.json"
            return JSONResponse(json.loads(body.read_text()), status_code=down)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if self.secondary_limited > 0:
            self.secondary_limited -= 1
            return JSONResponse(
                {"message": "You have exceeded a secondary rate limit."},
                status_code=429,
                headers={"retry-after": str(self.retry_after)},
            )
        if self.remaining <= 0:
            return JSONResponse(
                {"message": self.rate_limit_message},
                status_code=403,
                headers=self._rate_headers(),
            )
        self.remaining -= 1
        return None
