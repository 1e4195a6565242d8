"""Sentry's cursor pagination, read from the ``Link`` response header.

::

    Link: <https://sentry.io/api/0/.../?cursor=0:0:1>; rel="previous"; results="false";
          cursor="0:0:1", <https://sentry.io/api/0/.../?cursor=0:100:0>; rel="next";
          results="true"; cursor="0:100:0"

There is a next page only while the ``next`` link says ``results="true"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

_LINK: Final = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_PARAM: Final = re.compile(r';\s*([\w-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')


@dataclass(frozen=True)
class Link:
    url: str
    rel: str | None
    results: bool | None
    cursor: str | None


def parse_link_header(value: str) -> list[Link]:
    links = []
    for match in _LINK.finditer(value):
        params = {
            name.lower(): quoted if quoted is not None else bare
            for name, quoted, bare in _PARAM.findall(match.group(2))
        }
        url = match.group(1)
        cursor = params.get("cursor")
        if cursor is None:
            found = parse_qs(urlsplit(url).query).get("cursor")
            cursor = found[0] if found else None
        results = params.get("results")
        links.append(
            Link(
                url=url,
                rel=params.get("rel"),
                results=None if results is None else results.lower() == "true",
                cursor=cursor,
            )
        )
    return links


def next_cursor(value: str | None) -> str | None:
    """The cursor of the next page, or ``None`` when this was the last page."""
    if not value:
        return None
    for link in parse_link_header(value):
        if link.rel == "next":
            return link.cursor if link.results and link.cursor else None
    return None
