"""A fake Jira REST API for issues, in one of two flavours.

``cloud`` serves ``/rest/api/3`` (and ``/rest/api/2``) and checks basic auth (an account's
e-mail and API token); ``data_center`` serves only ``/rest/api/2`` and checks a personal access
token sent as ``Authorization: Bearer``. Both: create an issue (201 with Jira's body; 400 with
``errorMessages``/``errors`` when a field is missing or wrong, as Jira validates it: project,
summary, issue type, an ADF description on v3, labels without spaces), comment (201), list an
issue's comments (``startAt``, ``maxResults``, ``orderBy=-created``), list and perform
transitions (200, 204), search (Cloud: ``POST /rest/api/3/search/jql`` paged by
``nextPageToken``; Data Center: ``POST /rest/api/2/search`` paged by ``startAt``; a project's
issues, newest first), 401 with each flavour's body, 404 for an unknown issue, and 429 with
``Retry-After`` (plus Cloud's ``X-RateLimit-*`` headers) for the next N requests when told. An
issue or a comment can be made with its answer held past the client's timeout. Every request is
recorded."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
Flavour = Literal["cloud", "data_center"]


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _errors(messages: list[str] | None = None, errors: dict[str, str] | None = None) -> Any:
    """Jira's ``ErrorCollection``."""
    return {"errorMessages": messages or [], "errors": errors or {}}


class FakeJira:
    def __init__(
        self,
        flavour: Flavour = "cloud",
        *,
        email: str = "ops@example.com",
        token: str = "jira-token",
    ) -> None:
        self.flavour = flavour
        self.email = email
        self.token = token
        self.projects: dict[str, set[str]] = {"OPS": {"Bug", "Task"}, "WEB": {"Bug"}}
        #: Issues by key: ``fields`` as created, ``status``, ``comments``.
        self.issues: dict[str, dict[str, Any]] = {}
        #: Transitions offered from any status: the documented example, plus "Done".
        example = _fixture("jira_cloud_v3_transitions_response_200.atlassian-openapi.json")
        done = {**example["transitions"][1], "id": "31", "name": "Done"}
        self.transitions: list[dict[str, Any]] = [*example["transitions"], done]
        #: Answer the next N requests 429 with ``Retry-After: retry_after``.
        self.rate_limited = 0
        self.retry_after = 30
        #: Answer the next N requests with this status (e.g. 503), no body.
        self.failing = 0
        self.failure_status = 503
        #: Make the next N issues or comments but hold each answer this long (past a client's
        #: timeout).
        self.answers_held = 0
        self.hold_seconds = 2.0
        self.calls: Counter[str] = Counter()
        #: (method, path, JSON body or None) of every request, in order.
        self.requests: list[tuple[str, str, Any]] = []
        self._next_id = 10000

    @property
    def versions(self) -> tuple[str, ...]:
        return ("3", "2") if self.flavour == "cloud" else ("2",)

    def app(self) -> Starlette:
        routes = []
        for version in self.versions:
            base = f"/rest/api/{version}/issue"
            routes += [
                Route(base, self._create, methods=["POST"]),
                Route(base + "/{key}/comment", self._comment, methods=["POST"]),
                Route(base + "/{key}/comment", self._comments, methods=["GET"]),
                Route(base + "/{key}/transitions", self._transitions, methods=["GET", "POST"]),
            ]
        search = "/rest/api/3/search/jql" if self.flavour == "cloud" else "/rest/api/2/search"
        routes.append(Route(search, self._search, methods=["POST"]))
        return Starlette(routes=routes)

    # --- handlers ---------------------------------------------------------------------------

    async def _create(self, request: Request) -> Response:
        self.calls["create"] += 1
        payload = await self._record(request)
        if (refused := self._refuse(request)) is not None:
            return refused
        fields = (payload or {}).get("fields") or {}
        invalid = self._invalid(fields, self._version(request))
        if invalid is not None:
            return JSONResponse(invalid, status_code=400)
        project = fields["project"]["key"]
        number = 1 + sum(1 for k in self.issues if k.startswith(f"{project}-"))
        key, issue_id = f"{project}-{number}", str(self._next_id)
        self._next_id += 1
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        self.issues[key] = {
            "id": issue_id,
            "fields": {**fields, "created": created},
            "status": "To Do",
            "comments": [],
        }
        if self._version(request) == "3":
            body = _fixture("jira_cloud_v3_create_issue_response_201.atlassian-openapi.json")
            body.pop("transition", None)  # only sent when a transition was requested
        else:
            body = _fixture("jira_dc_v2_create_issue_response_201.atlassian-developer-docs.json")
        body.update(
            {"id": issue_id, "key": key, "self": f"{request.base_url}{request.url.path[1:]}/{key}"}
        )
        if self.answers_held > 0:
            self.answers_held -= 1
            await asyncio.sleep(self.hold_seconds)
        return JSONResponse(body, status_code=201)

    async def _search(self, request: Request) -> Response:
        self.calls["search"] += 1
        query = await self._record(request)
        if (refused := self._refuse(request)) is not None:
            return refused
        jql = str(query["jql"])
        project = re.search(r'project = "?(\w+)"?', jql)
        assert project is not None, jql
        assert jql.endswith("ORDER BY created DESC"), jql
        keys = [k for k in self.issues if k.startswith(f"{project.group(1)}-")]
        newest = sorted(keys, key=lambda k: int(k.split("-")[1]), reverse=True)
        start = int(
            query.get("nextPageToken") or 0 if self.flavour == "cloud" else query["startAt"]
        )
        chosen = newest[start : start + int(query["maxResults"])]
        wanted = set(query["fields"])
        found = [
            {
                "id": self.issues[k]["id"],
                "key": k,
                "fields": {n: v for n, v in self.issues[k]["fields"].items() if n in wanted},
            }
            for k in chosen
        ]
        more = start + len(chosen) < len(newest)
        if self.flavour == "cloud":
            page: dict[str, Any] = {"issues": found, "isLast": not more}
            page |= {"nextPageToken": str(start + len(chosen))} if more else {}
        else:
            page = {"startAt": start, "maxResults": len(chosen), "total": len(newest)}
            page["issues"] = found
        return JSONResponse(page)

    async def _comment(self, request: Request) -> Response:
        started = await self._about_an_issue(request, "comment")
        if isinstance(started, Response):
            return started
        payload, issue = started
        text = (payload or {}).get("body")
        if self._version(request) == "3" and not _is_adf(text):
            return JSONResponse(
                _errors(errors={"comment": "Operation value must be an Atlassian Document"}),
                status_code=400,
            )
        if not text:
            return JSONResponse(
                _errors(errors={"comment": "Comment body can not be empty!"}), status_code=400
            )
        if self._version(request) == "3":
            body = _fixture("jira_cloud_v3_add_comment_response_201.atlassian-openapi.json")
        else:
            body = _fixture("jira_dc_v2_add_comment_response_201.atlassian-rest-docs.json")
        comment_id = str(self._next_id)
        self._next_id += 1
        body.update({"id": comment_id, "body": text})
        issue["comments"].append(body)
        if self.answers_held > 0:
            self.answers_held -= 1
            await asyncio.sleep(self.hold_seconds)
        return JSONResponse(body, status_code=201)

    async def _comments(self, request: Request) -> Response:
        """An issue's comments, a page (``startAt``, ``maxResults``), oldest first or newest
        first (``orderBy=-created``), as both flavours answer."""
        started = await self._about_an_issue(request, "comments")
        if isinstance(started, Response):
            return started
        _, issue = started
        query = request.query_params
        listed = list(issue["comments"])
        if query.get("orderBy") == "-created":
            listed.reverse()
        start, size = int(query.get("startAt", "0")), int(query.get("maxResults", "50"))
        page = listed[start : start + size]
        return JSONResponse(
            {"startAt": start, "maxResults": size, "total": len(listed), "comments": page}
        )

    async def _transitions(self, request: Request) -> Response:
        started = await self._about_an_issue(request, f"transitions:{request.method}")
        if isinstance(started, Response):
            return started
        payload, issue = started
        offered = [t for t in self.transitions if t["to"]["name"] != issue["status"]]
        if request.method == "GET":
            return JSONResponse({"transitions": offered})
        wanted = str(((payload or {}).get("transition") or {}).get("id", ""))
        match = next((t for t in offered if t["id"] == wanted), None)
        if match is None:
            message = f"Transition id '{wanted}' is not valid for this issue."
            return JSONResponse(_errors([message]), status_code=400)
        issue["status"] = match["to"]["name"]
        issue["transitioned"] = match["name"]
        return Response(status_code=204)

    # --- checks -----------------------------------------------------------------------------

    async def _about_an_issue(
        self, request: Request, call: str
    ) -> tuple[Any, dict[str, Any]] | Response:
        """A request about the issue in the path, counted as ``call`` and recorded: its payload
        and the issue, or the answer refusing it (a rate limit, bad credentials, no issue)."""
        self.calls[call] += 1
        payload = await self._record(request)
        if (refused := self._refuse(request)) is not None:
            return refused
        issue = self.issues.get(request.path_params["key"])
        if issue is None:
            return self._no_issue()
        return payload, issue

    async def _record(self, request: Request) -> Any:
        raw = await request.body()
        payload = json.loads(raw) if raw else None
        self.requests.append((request.method, request.url.path, payload))
        return payload

    @staticmethod
    def _version(request: Request) -> str:
        return request.url.path.split("/")[3]

    def _refuse(self, request: Request) -> Response | None:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            headers = {"Retry-After": str(self.retry_after)}
            if self.flavour == "cloud":
                headers |= {
                    "X-RateLimit-Limit": "350",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": "2030-01-01T00:00Z",
                    "RateLimit-Reason": "jira-quota-based",
                }
            return JSONResponse(_errors(["Rate limit exceeded."]), status_code=429, headers=headers)
        if self.failing > 0:
            self.failing -= 1
            return Response(status_code=self.failure_status)
        if request.headers.get("authorization") != self._authorization():
            if self.flavour == "cloud":
                body = _fixture("jira_cloud_response_401.node-jira-client.json")
            else:
                body = _fixture("jira_dc_response_401.laravel-jira-rest-client.json")
            return JSONResponse(body, status_code=401)
        return None

    def _authorization(self) -> str:
        if self.flavour == "data_center":
            return f"Bearer {self.token}"
        pair = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return f"Basic {pair}"

    def _invalid(self, fields: dict[str, Any], version: str) -> Any:
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            return _fixture("jira_create_issue_response_400_project.github-jira-integration.json")
        errors: dict[str, str] = {}
        summary = fields.get("summary")
        if not summary:
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        elif "\n" in summary or "\r" in summary:
            errors["summary"] = "The summary is invalid because it contains newline characters."
        if (fields.get("issuetype") or {}).get("name") not in self.projects[project]:
            errors["issuetype"] = "The issue type selected is invalid."
        description = fields.get("description")
        if version == "3" and description is not None and not _is_adf(description):
            errors["description"] = "Operation value must be an Atlassian Document"
        if version == "2" and description is not None and not isinstance(description, str):
            errors["description"] = "Operation value must be a string"
        for label in fields.get("labels") or []:
            if " " in label:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        return _errors(errors=errors) if errors else None

    def _no_issue(self) -> Response:
        return JSONResponse(
            _errors(["Issue does not exist or you do not have permission to see it."]),
            status_code=404,
        )


def _is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )
