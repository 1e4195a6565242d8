"""What an issue about one problem says, whichever tracker renders it: the keyword arguments of
:meth:`shared.jira_text.JiraText.description` and :func:`shared.github_markdown.issue_body`,
filled once by each service (the notifier's targets, the resolver's strategies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict


class IssueParts(TypedDict):
    intro: str
    facts: Mapping[str, object | None]
    url: str | None
    fingerprint: str
    title: str
    text: NotRequired[str | None]
