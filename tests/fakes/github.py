"""A fake GitHub REST API for issues: create (201 with GitHub's real body shape, 410 when issues
are disabled, 401 without a token, 403 on the primary rate limit) and close."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "resolver"


class FakeGitHub:
    def __init__(self, token: str = "ghp_test") -> None:
        self.token = token
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.disabled: set[str] = set()
        self.remaining = 5000
        self.calls: Counter[str] = Counter()
        self._template = json.loads(
            (FIXTURES / "github_rest_create_issue_response_201.octokit-fixtures.json").read_text()
        )

    def app(self) -> Starlette:
        async def create(request: Request) -> JSONResponse:
            self.calls["create"] += 1
            if (refused := self._refuse(request)) is not None:
                return refused
            repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
            if repo in self.disabled:
                body = json.loads(
                    (
                        FIXTURES / "github_rest_create_issue_response_410_issues_"
                        "disabled.pygithub.json"
                    ).read_text()
                )
                return JSONResponse(body, status_code=410)
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
                }
            )
            self.issues[(repo, number)] = issue
            return JSONResponse(
                issue, status_code=201, headers={"location": issue["url"], **self._rate_headers()}
            )

        async def update(request: Request) -> JSONResponse:
            self.calls["update"] += 1
            if (refused := self._refuse(request)) is not None:
                return refused
            repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
            issue = self.issues.get((repo, int(request.path_params["number"])))
            if issue is None:
                return JSONResponse({"message": "Not Found"}, status_code=404)
            issue.update(await request.json())
            return JSONResponse(issue, headers=self._rate_headers())

        return Starlette(
            routes=[
                Route("/repos/{owner}/{repo}/issues", create, methods=["POST"]),
                Route("/repos/{owner}/{repo}/issues/{number:int}", update, methods=["PATCH"]),
            ]
        )

    def _rate_headers(self) -> dict[str, str]:
        return {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(self.remaining)}

    def _refuse(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if self.remaining <= 0:
            return JSONResponse(
                {"message": "API rate limit exceeded"},
                status_code=403,
                headers=self._rate_headers(),
            )
        self.remaining -= 1
        return None
