"""The JSON object an HTTP answer carries, for every client that reads one (Jira, GitHub,
PagerDuty): ``{}`` when the body is not JSON or not an object, so callers read fields with
``.get`` and never fail on a proxy's HTML error page."""

from __future__ import annotations

from typing import Any

import httpx


def json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = response.json()
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
