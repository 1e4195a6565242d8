"""Reading HTTP answers, for every client of an outside API (Slack, Jira, GitHub, PagerDuty):
the JSON object an answer carries (``{}`` when the body is not JSON or not an object, so callers
read fields with ``.get`` and never fail on a proxy's HTML error page), and whether a request
that got no answer may still have arrived."""

from __future__ import annotations

from typing import Any

import httpx

#: Errors of a request that went out and got no answer (read timed out, connection dropped
#: mid-answer): it may have arrived. A connect error is not among them: nothing was sent.
_UNANSWERED = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def unanswered(exc: httpx.HTTPError) -> bool:
    """Whether the request that raised ``exc`` may have arrived all the same."""
    return isinstance(exc, _UNANSWERED)


def json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = response.json()
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
