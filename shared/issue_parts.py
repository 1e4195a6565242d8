"""What an issue about one problem says, whichever tracker renders it: the one argument of
:meth:`shared.jira_text.JiraText.description` and :func:`shared.github_markdown.issue_body`,
filled once by each service (the notifier's targets, the resolver's strategies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueParts:
    """``intro`` is ours (trusted); every other part is rendered as untrusted text."""

    intro: str
    facts: Mapping[str, object | None]
    url: str | None
    fingerprint: str
    title: str
    text: str | None = None
