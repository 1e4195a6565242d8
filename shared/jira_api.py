"""Talking to one Jira site, one definition for every service.

Two flavours, two small classes: :class:`CloudSite` (Jira Cloud: REST v3, Atlassian Document
Format text, basic auth with an account's e-mail address and an API token) and
:class:`DataCenterSite` (Jira Data Center: REST v2, wiki-markup text, a personal access token
sent as a Bearer token). :func:`jira_site` picks one from the settings, or raises
:class:`JiraSetupError` naming what is missing.

The requests: ``POST /rest/api/{2|3}/issue`` with ``fields`` (project key, summary, issue type
name, description, labels), answered 201 ``{id, key, self}``; ``POST .../issue/{key}/comment``
with ``body``, answered 201; ``GET .../issue/{key}/transitions`` (``{"transitions": [{id, name,
to}]}``) and ``POST`` of ``{"transition": {"id"}}``, answered 204. Errors come as
``{"errorMessages": [...], "errors": {field: message}}``.

:func:`jira_call` makes one request, :func:`close_issue` moves an issue through a named
transition and :func:`searched` lists what a JQL query finds (Cloud: ``POST /rest/api/3/search/jql``
paged by ``nextPageToken``; Data Center: ``POST /rest/api/2/search`` paged by ``startAt``); each
answers a :class:`JiraRefusal` instead of raising, and each service turns that into its own
result (a delivery to retry or fail, a failed strategy).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from shared.config.integrations import JiraIntegration
from shared.errors import AlertorchError
from shared.http_answer import json_body, unanswered
from shared.jira_text import AdfText, JiraText, WikiText


class JiraSetupError(AlertorchError):
    """The Jira settings are incomplete: no site, no token, or (Cloud) no account e-mail."""


@dataclass(frozen=True)
class _Site:
    url: str
    token: str
    version: ClassVar[int]
    text: ClassVar[JiraText]

    def api(self, path: str) -> str:
        """The REST URL of ``path`` (e.g. ``/issue``) in this site's API version."""
        return f"{self.url}/rest/api/{self.version}{path}"

    def browse(self, key: str) -> str:
        """Where people read the issue."""
        return f"{self.url}/browse/{key}"

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Authorization": self.authorization()}

    def authorization(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class CloudSite(_Site):
    user_email: str = ""
    version: ClassVar[int] = 3
    text: ClassVar[JiraText] = AdfText()

    def authorization(self) -> str:
        pair = f"{self.user_email}:{self.token}".encode()
        return f"Basic {base64.b64encode(pair).decode()}"


@dataclass(frozen=True)
class DataCenterSite(_Site):
    version: ClassVar[int] = 2
    text: ClassVar[JiraText] = WikiText()

    def authorization(self) -> str:
        return f"Bearer {self.token}"


JiraSite = CloudSite | DataCenterSite
#: Issues a search asks for in one request.
SEARCH_PAGE = 100


def jira_site(config: JiraIntegration, *, url: str | None, token: str | None) -> JiraSite:
    """The site the settings name: ``integrations.jira.url``, else ``url`` (env JIRA_URL)."""
    site = (config.url or url or "").rstrip("/")
    if not site.startswith(("https://", "http://")):
        raise JiraSetupError(
            "Jira needs its site: set integrations.jira.url or JIRA_URL "
            "(e.g. https://example.atlassian.net)"
        )
    if not token:
        raise JiraSetupError("Jira needs a token: set JIRA_TOKEN")
    if config.flavour == "data_center":
        return DataCenterSite(site, token)
    if not config.user_email:
        raise JiraSetupError(
            "Jira Cloud signs in with the API token's account: set integrations.jira.user_email"
        )
    return CloudSite(site, token, config.user_email)


def issue_fields(
    *, project: str, issue_type: str, summary: str, description: Any, labels: list[str]
) -> dict[str, Any]:
    """The body of a create request."""
    fields: dict[str, Any] = {
        "project": {"key": project},
        "summary": summary,
        "issuetype": {"name": issue_type},
        "description": description,
    }
    if labels:
        fields["labels"] = labels
    return {"fields": fields}


def transition_id(answer: Mapping[str, Any], name: str) -> str | None:
    """The id of the transition called ``name`` (any case) in a transitions answer."""
    wanted = name.casefold()
    for transition in answer.get("transitions") or []:
        if isinstance(transition, Mapping) and str(transition.get("name", "")).casefold() == wanted:
            found = transition.get("id")
            return str(found) if found is not None else None
    return None


def error_text(response: httpx.Response) -> str:
    """``Jira answered 400: <errorMessages>; <field>: <message>`` from an error answer."""
    body = json_body(response)
    found = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        found += [f"{field}: {message}" for field, message in errors.items()]
    if not found and body.get("message"):
        found.append(str(body["message"]))
    if not found:
        found.append(" ".join(response.text.split())[:200] or response.reason_phrase)
    return f"Jira answered {response.status_code}: {'; '.join(found)}"


@dataclass(frozen=True)
class JiraRefusal:
    """A request Jira did not carry out: ``reason`` for people, and Jira's ``response``
    (``None`` after a network error, which never reached an answer)."""

    reason: str
    response: httpx.Response | None = None
    #: The request went out and got no answer: it may have been carried out.
    unsure: bool = False


async def jira_call(
    http: httpx.AsyncClient,
    site: JiraSite,
    method: str,
    path: str,
    payload: dict[str, Any] | None = None,
    *,
    timeout: float,
) -> dict[str, Any] | JiraRefusal:
    """One REST request to ``path`` (e.g. ``/issue``): the answer's JSON object (``{}`` for a
    204), or why it was not done."""
    try:
        response = await http.request(
            method, site.api(path), json=payload, headers=site.headers(), timeout=timeout
        )
    except httpx.HTTPError as exc:
        return JiraRefusal(f"Jira: {exc!r}", unsure=unanswered(exc))
    if response.status_code not in (200, 201, 204):
        return JiraRefusal(error_text(response), response)
    return json_body(response)


async def close_issue(
    http: httpx.AsyncClient, site: JiraSite, key: str, transition: str, *, timeout: float
) -> bool | JiraRefusal:
    """Moves issue ``key`` through the transition called ``transition``: ``True`` when done,
    ``False`` when the issue's status offers no such transition."""
    path = f"/issue/{key}/transitions"
    offered = await jira_call(http, site, "GET", path, timeout=timeout)
    if isinstance(offered, JiraRefusal):
        return offered
    found = transition_id(offered, transition)
    if found is None:
        return False
    done = await jira_call(http, site, "POST", path, {"transition": {"id": found}}, timeout=timeout)
    return done if isinstance(done, JiraRefusal) else True


async def searched(
    http: httpx.AsyncClient,
    site: JiraSite,
    jql: str,
    fields: list[str],
    *,
    limit: int,
    timeout: float,
) -> list[dict[str, Any]] | JiraRefusal:
    """The issues ``jql`` finds, in its order, up to ``limit``, each with ``fields``."""
    found: list[dict[str, Any]] = []
    page_token: str | None = None
    while len(found) < limit:
        query: dict[str, Any] = {"jql": jql, "fields": fields}
        query["maxResults"] = min(SEARCH_PAGE, limit - len(found))
        if isinstance(site, CloudSite):
            query |= {"nextPageToken": page_token} if page_token else {}
            page = await jira_call(http, site, "POST", "/search/jql", query, timeout=timeout)
        else:
            query["startAt"] = len(found)
            page = await jira_call(http, site, "POST", "/search", query, timeout=timeout)
        if isinstance(page, JiraRefusal):
            return page
        issues = page.get("issues")
        if not isinstance(issues, list):
            return JiraRefusal("Jira's search answered without issues")
        found += [issue for issue in issues if isinstance(issue, dict)]
        if isinstance(site, CloudSite):
            page_token = str(page.get("nextPageToken") or "") or None
            last = page_token is None
        else:
            last = len(found) >= int(page.get("total") or 0)
        if not issues or last:
            break
    return found[:limit]
