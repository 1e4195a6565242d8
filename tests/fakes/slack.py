"""A fake Slack: the Web API methods the notifier calls (``chat.postMessage``, ``chat.update``,
``chat.postEphemeral``, ``auth.test``, ``usergroups.users.list``) and an incoming webhook,
speaking Slack's wire format.

Web API: JSON or form bodies, ``Authorization: Bearer xoxb-...``; errors are HTTP 200 with
``{"ok": false, "error": "..."}`` (``not_authed``, ``invalid_auth``, ``channel_not_found``,
``not_in_channel``, ``message_not_found``, ``invalid_blocks``, ``no_text``); rate limits are
HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``; while ``outage``
says Slack is down, every Web API call gets that 429 or a 5xx with Slack's server error page
(HTML). Messages are kept with ``ts`` and ``thread_ts``; every call is counted. The webhook
answers ``ok`` or an error word as text, as Slack's incoming webhooks do.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.outage import Outage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
#: How a card shows its count (``*Occurrences:* 10,000``).
_OCCURRENCES = re.compile(r"Occurrences:\*? ([\d,]+)")
#: A problem's line on an incident card: ``*title*``, then ``N occurrences · status``.
_LISTED = re.compile(r"\*(.+?)\*\n([\d,]+) occurrences · ")
WEBHOOK_PATH = "/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"


def texts(blocks: Any) -> Iterator[str]:
    """Every string anywhere in the blocks (or any JSON-like value)."""
    if isinstance(blocks, str):
        yield blocks
    elif isinstance(blocks, dict):
        for value in blocks.values():
            yield from texts(value)
    elif isinstance(blocks, list):
        for value in blocks:
            yield from texts(value)


def _fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edits: int = 0
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def occurrences(self) -> int:
        """The count a root card shows (0 when it shows none)."""
        found = _OCCURRENCES.search(json.dumps(self.blocks))
        return int(found.group(1).replace(",", "")) if found else 0

    @property
    def problems(self) -> dict[str, int]:
        """An incident card's problems: each listed title and the count shown beside it."""
        lines = (
            block["text"]["text"]
            for block in self.blocks
            if block.get("type") == "section" and "text" in block
        )
        return {
            found.group(1): int(found.group(2).replace(",", ""))
            for line in lines
            if (found := _LISTED.search(line))
        }


class FakeSlack:
    def __init__(self, token: str = "xoxb-test-token") -> None:
        self.token = token
        #: channel name or id -> (id, the bot is a member)
        self.channels: dict[str, tuple[str, bool]] = {}
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.webhook_posts: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        #: method -> Retry-After seconds of the answers still to refuse with 429
        self.rate_limited: dict[str, list[int]] = {}
        self._ts = itertools.count(1)
        #: seconds chat.postMessage waits before answering (a slow Slack), for the posts whose
        #: text holds ``slow_posts`` (every post while that is empty)
        self.post_delay = 0.0
        self.slow_posts = ""
        #: while set, chat.postMessage waits before it is answered (set from any thread): a
        #: test holds Slack still until it is ready to watch the posts land
        self.posts_held = threading.Event()
        #: user group id (``S…``) -> member user ids
        self.usergroups: dict[str, list[str]] = {}
        #: methods the token has no scope for: answered ``missing_scope``
        self.missing_scopes: dict[str, str] = {}
        #: periods Slack is down (429 ``ratelimited`` or a 5xx) for every Web API call
        self.outage = Outage()
        self.add_channel("#alerts", "C0ALERTS")
        self.add_channel("#oncall", "C0ONCALL")
        self.add_channel("#devops", "C0DEVOPS")

    # -- set-up --------------------------------------------------------------------------------

    def env(self, url: str, **more: str) -> dict[str, str]:
        """The environment of a service that talks to this fake served at ``url`` (its bot
        token and API address), plus ``more``."""
        return {"SLACK_BOT_TOKEN": self.token, "ALERTORCH_SLACK__API_URL": url + "/api/", **more}

    def add_channel(self, name: str, channel_id: str, *, member: bool = True) -> None:
        self.channels[name] = (channel_id, member)
        self.channels[channel_id] = (channel_id, member)

    def rate_limit(self, method: str, retry_after: int = 30, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` (or the webhook) with 429."""
        self.rate_limited.setdefault(method, []).extend([retry_after] * times)

    # -- what tests look at --------------------------------------------------------------------

    def posted(self, channel_id: str | None = None) -> list[Message]:
        return [m for m in self.messages.values() if channel_id in (None, m.channel)]

    def roots(self, channel_id: str | None = None) -> list[Message]:
        return [m for m in self.posted(channel_id) if m.thread_ts is None]

    def replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        return [m for m in self.posted(channel_id) if m.thread_ts == thread_ts]

    def message(self, channel_id: str, ts: str) -> Message:
        return self.messages[(channel_id, ts)]

    # -- the server ----------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["POST", "GET"]),
                Route(WEBHOOK_PATH, self._webhook, methods=["POST"]),
            ]
        )

    async def _args(self, request: Request) -> dict[str, Any]:
        raw = (await request.body()).decode()
        if request.headers.get("content-type", "").startswith("application/json"):
            args: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            args = dict(parse_qsl(raw, keep_blank_values=True))
            if isinstance(args.get("blocks"), str):
                args["blocks"] = json.loads(args["blocks"])
        return args

    def _throttled(self, method: str) -> Response | None:
        waits = self.rate_limited.get(method)
        if not waits:
            return None
        return _ratelimited(waits.pop(0))

    def _down(self, status: int) -> Response:
        if status == 429:
            return _ratelimited(self.outage.retry_after)
        page = FIXTURES / "slack_web_api_5xx_server_error_page.python-slack-sdk.html"
        return HTMLResponse(page.read_text(encoding="utf-8"), status_code=status)

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        self.calls[method] += 1
        args = await self._args(request)
        self.requests.append((method, args))
        if (down := self.outage.answer()) is not None:
            return self._down(down)
        if (throttled := self._throttled(method)) is not None:
            return throttled
        auth = request.headers.get("authorization")
        if auth is None:
            return _error("not_authed")
        if auth != f"Bearer {self.token}":
            return _error("invalid_auth")
        if method in self.missing_scopes:
            needed = self.missing_scopes[method]
            answer = {"ok": False, "error": "missing_scope", "needed": needed}
            return JSONResponse({**answer, "provided": "chat:write"})
        handler = {
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "auth.test": self._auth_test,
            "usergroups.users.list": self._usergroup_users,
            "conversations.history": self._history,
            "conversations.list": self._list_channels,
            "conversations.replies": self._replies,
        }.get(method)
        if handler is None:
            return _error("unknown_method")
        if method == "chat.postMessage":
            # set and cleared from the test's thread: an asyncio.Event is not thread-safe
            while self.posts_held.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.slow_posts in str(args.get("text", "")):
                await asyncio.sleep(self.post_delay)
        return handler(args)

    def _channel(self, name: Any) -> tuple[str | None, Response | None]:
        found = self.channels.get(str(name or ""))
        if found is None:
            return None, _error("channel_not_found")
        channel_id, member = found
        if not member:
            return None, _error("not_in_channel")
        return channel_id, None

    def _new_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _post_message(self, args: dict[str, Any]) -> Response:
        channel_id, refused = self._channel(args.get("channel"))
        if refused is not None:
            return refused
        assert channel_id is not None
        blocks = args.get("blocks") or []
        if not args.get("text") and not blocks:
            return _error("no_text")
        if (invalid := _invalid_blocks(blocks)) is not None:
            return invalid
        thread_ts = args.get("thread_ts") or None
        ts = self._new_ts()
        self.messages[(channel_id, ts)] = Message(
            channel_id, ts, str(args.get("text", "")), blocks, thread_ts, body=args
        )
        answer = _fixture("slack_chat_postMessage_response_ok.docs.json")
        answer.update({"channel": channel_id, "ts": ts})
        answer["message"] = {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0ALERTORCH",
            "text": args.get("text", ""),
            "blocks": blocks,
            "ts": ts,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        }
        return JSONResponse(answer)

    def _update(self, args: dict[str, Any]) -> Response:
        channel_id = str(args.get("channel", ""))
        if channel_id not in self.channels or self.channels[channel_id][0] != channel_id:
            return _error("channel_not_found")  # chat.update takes ids, not names
        message = self.messages.get((channel_id, str(args.get("ts", ""))))
        if message is None:
            return _error("message_not_found")
        blocks = args.get("blocks") or []
        if (invalid := _invalid_blocks(blocks)) is not None:
            return invalid
        message.blocks = copy.deepcopy(blocks)
        message.text = str(args.get("text", message.text))
        message.edits += 1
        answer = _fixture("slack_chat_update_response_ok.docs.json")
        answer.update({"channel": channel_id, "ts": message.ts, "text": message.text})
        answer["message"] = {"text": message.text, "blocks": blocks}
        return JSONResponse(answer)

    def _history(self, args: dict[str, Any]) -> Response:
        """A channel's messages, newest first, without thread replies (as Slack answers);
        message metadata only with ``include_all_metadata``."""
        channel_id = str(args.get("channel", ""))
        if channel_id not in self.channels or self.channels[channel_id][0] != channel_id:
            return _error("channel_not_found")  # takes ids, not names
        found = sorted(
            (
                m
                for (channel, _), m in self.messages.items()
                if channel == channel_id and m.thread_ts in (None, m.ts)
            ),
            key=lambda m: m.ts,
            reverse=True,
        )
        return self._listed(found, args)

    def _list_channels(self, args: dict[str, Any]) -> Response:
        """The workspace's channels, ``limit`` a page (``cursor``: where the page starts), as
        Slack answers: names without their ``#``."""
        listed = sorted({(name, ids[0]) for name, ids in self.channels.items() if name[0] == "#"})
        start = int(args.get("cursor") or 0)
        end = start + int(args.get("limit") or 100)
        channels = [
            {"id": channel_id, "name": name[1:], "is_channel": True, "is_archived": False}
            for name, channel_id in listed[start:end]
        ]
        cursor = str(end) if end < len(listed) else ""
        return JSONResponse(
            {"ok": True, "channels": channels, "response_metadata": {"next_cursor": cursor}}
        )

    def _replies(self, args: dict[str, Any]) -> Response:
        """A thread: its parent, then its replies, oldest first (as Slack answers)."""
        channel_id = str(args.get("channel", ""))
        if channel_id not in self.channels or self.channels[channel_id][0] != channel_id:
            return _error("channel_not_found")
        parent = self.messages.get((channel_id, str(args.get("ts", ""))))
        if parent is None:
            return _error("thread_not_found")
        thread = sorted(
            (
                m
                for (channel, _), m in self.messages.items()
                if channel == channel_id and m.thread_ts == parent.ts
            ),
            key=lambda m: m.ts,
        )
        return self._listed([parent, *thread], args)

    @staticmethod
    def _listed(found: list[Message], args: dict[str, Any]) -> Response:
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        messages = []
        for m in found[: int(args.get("limit") or 100)]:
            item: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if m.thread_ts:
                item["thread_ts"] = m.thread_ts
            if with_metadata and isinstance(m.body.get("metadata"), dict):
                item["metadata"] = m.body["metadata"]
            messages.append(item)
        return JSONResponse({"ok": True, "messages": messages, "has_more": False})

    def _usergroup_users(self, args: dict[str, Any]) -> Response:
        members = self.usergroups.get(str(args.get("usergroup", "")))
        if members is None:
            return _error("no_such_subteam")
        return JSONResponse({"ok": True, "users": list(members)})

    def _post_ephemeral(self, args: dict[str, Any]) -> Response:
        channel_id, refused = self._channel(args.get("channel"))
        if refused is not None:
            return refused
        if not args.get("user"):
            return _error("user_not_in_channel")
        self.ephemerals.append({**args, "channel": channel_id})
        return JSONResponse({"ok": True, "message_ts": self._new_ts()})

    def _auth_test(self, _args: dict[str, Any]) -> Response:
        return JSONResponse(
            {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "alertorch",
                "team_id": "T0000",
                "user_id": "U0ALERTORCH",
                "bot_id": "B0ALERTORCH",
            }
        )

    async def _webhook(self, request: Request) -> Response:
        self.calls["webhook"] += 1
        waits = self.rate_limited.get("webhook")
        if waits:
            return PlainTextResponse(
                "rate_limited", status_code=429, headers={"Retry-After": str(waits.pop(0))}
            )
        try:
            body = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return PlainTextResponse("no_text", status_code=400)
        if _invalid_blocks(body.get("blocks") or []) is not None:
            return PlainTextResponse("invalid_blocks", status_code=400)
        self.webhook_posts.append(body)
        return PlainTextResponse("ok")


def _error(error: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error})


def _ratelimited(retry_after: int) -> JSONResponse:
    return JSONResponse(
        _fixture("slack_web_api_429_ratelimited_body.python-slack-sdk.json"),
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


def _invalid_blocks(blocks: Any) -> Response | None:
    """Slack's own checks of the limits our templates must respect."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return _error("invalid_blocks")
    for block in blocks:
        kind = block.get("type")
        text = block.get("text") or {}
        if kind == "header" and len(text.get("text", "")) > 150:
            return _error("invalid_blocks")
        if kind == "section" and len(text.get("text", "")) > 3000:
            return _error("invalid_blocks")
        for element in block.get("elements", []) if kind == "actions" else []:
            if len(element.get("value", "")) > 2000:
                return _error("invalid_blocks")
    return None


def sign(signing_secret: str, timestamp: str, body: str) -> str:
    """``X-Slack-Signature`` as Slack computes it: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    digest = hmac.new(
        signing_secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"v0={digest}"
