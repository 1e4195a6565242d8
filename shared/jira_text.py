"""Jira issue text with untrusted content made harmless, one renderer for every service.

Two dialects, one per API: :class:`AdfText` builds Atlassian Document Format (Jira Cloud,
REST v3), :class:`WikiText` builds wiki markup (Jira Data Center, REST v2). In ADF every text
node is literal: untrusted text (titles, messages, services, environments) goes in ``code``
marks and ``codeBlock`` nodes, and only a plain http(s) URL gets a link mark. In wiki markup it
goes in ``{noformat}`` blocks, where Jira renders no ``[~mention]``, link or macro; a
``{noformat}`` inside the text is defused so it cannot close the block early. The summary is a
plain-text field: one line, at most 255 characters (Jira refuses longer ones and line breaks).
"""

from __future__ import annotations

import re
from typing import Any, Final, Protocol

from shared.github_markdown import cut
from shared.issue_parts import IssueParts

SUMMARY_LIMIT: Final = 255
#: Jira's text fields hold 32,767 characters; each untrusted part is cut well within that.
TITLE_LIMIT: Final = 4_000
TEXT_LIMIT: Final = 16_000
SAFE_URL: Final = re.compile(r"^https?://[^\s<>`\[\]|{}]+$")
_NOFORMAT: Final = re.compile(r"\{noformat", re.IGNORECASE)


def summary(severity: str, title: str) -> str:
    """``[severity] title`` on one line, cut to Jira's limit."""
    return cut(" ".join(f"[{severity}] {title}".split()), SUMMARY_LIMIT)


class JiraText(Protocol):
    """A description or comment body in one API's dialect."""

    def description(self, parts: IssueParts) -> Any: ...

    def names(self, document: Any, name: str, value: str) -> bool:
        """Whether ``document`` (a description or a comment, as Jira gives it back) has the line
        ``name: value`` this dialect writes (``fingerprint`` in a description, ``notification``
        in a comment)."""
        ...

    def comment(self, head: str, text: str | None = None, *, notification: str = "") -> Any:
        """A comment: ``head`` (ours), ``text`` (untrusted) and the line naming the
        ``notification`` it shows, when given."""
        ...


def _facts(parts: IssueParts) -> list[tuple[str, str]]:
    facts = parts.facts.items()
    found = [(name, " ".join(str(v).split())) for name, v in facts if v is not None]
    return [*found, ("fingerprint", parts.fingerprint)]


class AdfText:
    """Atlassian Document Format (``{"type": "doc", "version": 1, ...}``), for REST v3."""

    def description(self, parts: IssueParts) -> dict[str, Any]:
        items = [
            _item([_text(f"{name}: "), _text(value or "-", "code")])
            for name, value in _facts(parts)
        ]
        if url := parts.url:
            link = _link(url) if SAFE_URL.match(url) else _text(url, "code")
            items.insert(-1, _item([_text("details: "), link]))
        content = [
            _paragraph([_text(parts.intro)]),
            {"type": "bulletList", "content": items},
            _paragraph([_text("Title:")]),
            _code_block(cut(parts.title, TITLE_LIMIT)),
        ]
        if text := parts.text:
            content += [_paragraph([_text("Notification:")]), _code_block(cut(text, TEXT_LIMIT))]
        return _doc(content)

    def names(self, document: Any, name: str, value: str) -> bool:
        wanted = [f"{name}: ", value]
        return any(_texts(node) == wanted for node in _nodes(document, "paragraph"))

    def comment(
        self, head: str, text: str | None = None, *, notification: str = ""
    ) -> dict[str, Any]:
        content = [_paragraph([_text(head)])]
        if text:
            content.append(_code_block(cut(text, TEXT_LIMIT)))
        if notification:
            content.append(_paragraph([_text("notification: "), _text(notification, "code")]))
        return _doc(content)


class WikiText:
    """Jira wiki markup, for REST v2."""

    def description(self, parts: IssueParts) -> str:
        lines = [f"{name}: {value}" for name, value in _facts(parts)]
        out = [parts.intro, "", _noformat("\n".join(lines))]
        if url := parts.url:
            out += ["", f"Details: [{url}]" if SAFE_URL.match(url) else _noformat(url)]
        out += ["", "Title:", _noformat(cut(parts.title, TITLE_LIMIT))]
        if text := parts.text:
            out += ["", "Notification:", _noformat(cut(text, TEXT_LIMIT))]
        return "\n".join(out)

    def names(self, document: Any, name: str, value: str) -> bool:
        return isinstance(document, str) and f"{name}: {value}" in document.splitlines()

    def comment(self, head: str, text: str | None = None, *, notification: str = "") -> str:
        parts = [head]
        if text:
            parts += ["", _noformat(cut(text, TEXT_LIMIT))]
        if notification:
            parts += ["", f"notification: {notification}"]
        return "\n".join(parts)


def _nodes(node: Any, kind: str) -> list[Any]:
    """The ADF nodes of type ``kind`` in ``node``, at any depth."""
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("type") == kind else []
    for child in node.get("content") or []:
        found += _nodes(child, kind)
    return found


def _texts(node: dict[str, Any]) -> list[str]:
    return [str(c.get("text", "")) for c in node.get("content") or [] if isinstance(c, dict)]


def _noformat(text: str) -> str:
    return "{noformat}\n" + _NOFORMAT.sub("{ noformat", text) + "\n{noformat}"


def _doc(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": content}


def _text(value: str, mark: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value or " "}
    if mark:
        node["marks"] = [{"type": mark}]
    return node


def _link(url: str) -> dict[str, Any]:
    return {"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]}


def _paragraph(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "paragraph", "content": content}


def _item(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "listItem", "content": [_paragraph(content)]}


def _code_block(text: str) -> dict[str, Any]:
    return {"type": "codeBlock", "content": [_text(text)]}
