"""Slack with a bot token (``SLACK_BOT_TOKEN``): roots posted with ``chat.postMessage`` and
redrawn in place with ``chat.update``, later notifications as replies in the root's thread, and
every message carrying metadata by which a send a stop cut short is found again in the
channel's history or the thread."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import structlog

from services.notifier.delivery.base import DeliveryResult
from services.notifier.delivery.identity import notification_key
from services.notifier.slack.integration import (
    COALESCED,
    ROOT_LOOKUP_SECONDS,
    SlackIntegration,
    SlackSetup,
)
from services.notifier.slack.limits import Block
from services.notifier.slack.message_data import root_data
from services.notifier.slack.outcomes import GONE_ERRORS, failure, retry_after
from services.notifier.slack.rendering import post_body, update_body
from services.notifier.slack.state import Root
from shared.events import REPORT_KINDS, NotificationData, Target
from shared.slack.api import TRANSIENT_RETRY_SECONDS, SlackAnswer, SlackApi

log = structlog.get_logger(__name__)

#: How far back a channel's history is searched for a root a stop left unrecorded.
HISTORY_LIMIT = 200
#: How many pages of a thread or a channel are searched for a send a stop cut short (and of
#: the workspace's channels for a channel's id).
LOOKUP_PAGES = 5
#: Channels listed a page when a channel's id is looked up by its name.
CHANNELS_LIMIT = 1000


def root_metadata(fingerprint: str) -> dict[str, object]:
    """What a root message carries (Slack message metadata), to be found again by it."""
    return {"event_type": "alertorch_root", "event_payload": {"fingerprint": fingerprint}}


def message_metadata(notification: NotificationData) -> dict[str, object]:
    """What a reply or a report carries: the notification it shows (a digest of its data, the
    same on every send of one notification), to be found again after a stop cut its send
    short."""
    payload = {
        "fingerprint": notification.fingerprint,
        "notification": notification_key(notification),
    }
    return {"event_type": "alertorch_message", "event_payload": payload}


def digest_metadata(fingerprint: str, text: str) -> dict[str, object]:
    """What a digest reply carries: its problem and (a digest of) its text."""
    key = hashlib.sha256(text.encode()).hexdigest()[:32]
    return {
        "event_type": "alertorch_digest",
        "event_payload": {"fingerprint": fingerprint, "text": key},
    }


@dataclass(frozen=True, slots=True)
class _Search:
    """Where a message was found (``ts``), or why not: Slack could not be asked (``failed``),
    or it is not within the pages searched (``exhausted``)."""

    ts: str = ""
    failed: SlackAnswer | None = None
    exhausted: bool = False


def _not_found_out(channel: str, why: str) -> DeliveryResult:
    """A send cut short whose arrival Slack cannot tell: failed, never posted twice."""
    log.warning("slack send cut short, not known whether it arrived", channel=channel, why=why)
    return DeliveryResult.failed(f"interrupted while sending; whether it arrived is unknown: {why}")


def _unanswered(channel: str, answer: SlackAnswer, method: str) -> DeliveryResult:
    """Slack did not answer whether a send a stop cut short arrived: asked again later when
    its error passes by itself, else failed (never posted twice)."""
    if retry_after(answer) is not None:
        return failure(answer, method)
    return _not_found_out(channel, f"{method} answered {answer.error}")


def _next_cursor(answer: SlackAnswer) -> str:
    return str((answer.data.get("response_metadata") or {}).get("next_cursor") or "")


class SlackBotIntegration(SlackIntegration):
    """Slack through the Web API (``api``): threads, redraws in place, action buttons."""

    #: Every message posted carries metadata by which :meth:`reconcile` (replies, reports) or
    #: the next send (roots) finds it: a send a stop cut short may be sent again.
    resend_safe = True

    def __init__(self, setup: SlackSetup, *, api: SlackApi) -> None:
        super().__init__(setup, buttons=setup.settings.message_settings.include_actions)
        self.api = api
        #: Posts of a digest tick (a digest reply, a root posted again) that got no answer, by
        #: (fingerprint, channel, what): the next try looks for them before posting. Kept in
        #: memory: a stop in that window loses the lookup, not the post.
        self._posts_unanswered: set[tuple[str, str, str]] = set()

    @property
    def interval(self) -> float:
        return self.settings.digest_interval_seconds

    def channel_of(self, notification: NotificationData, target: Target) -> str:
        if target.channel:
            return target.channel
        channels = self.settings.notification_channels
        return channels.escalations if notification.kind == "escalation" else channels.alerts

    async def reconcile(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult | None:
        """The message a send cut short by a stop posted after all, found in Slack by its
        metadata; None when it is not there (so it is sent now). Roots are found by the send
        itself (their placeholder), and so is a reply whose root was never recorded. When Slack
        cannot be asked (a missing scope, a channel it does not list), the send fails rather
        than risk posting twice."""
        if notification.kind in COALESCED:
            return None
        channel = self.channel_of(notification, target)
        if notification.kind in REPORT_KINDS:
            channel_id = await self._channel_id(channel)
            if isinstance(channel_id, DeliveryResult):
                return channel_id
            where = {"channel": channel_id}
            method = "conversations.history"
        else:
            root = await self.state.root(notification.fingerprint, channel)
            if root is None or not root.ts:
                return None
            where = {"channel": root.channel_id, "ts": root.ts}
            method = "conversations.replies"
        search = await self._search(method, where, message_metadata(notification))
        if search.failed is not None:
            return _unanswered(channel, search.failed, method)
        if search.ts:
            log.info("slack message found after a stop", channel=channel, ts=search.ts)
            return DeliveryResult.ok(search.ts, channel=where["channel"], found=True)
        if search.exhausted:
            return _not_found_out(channel, f"not within {LOOKUP_PAGES * HISTORY_LIMIT} messages")
        return None

    async def _search(
        self, method: str, where: dict[str, str], wanted: dict[str, object], *, after: str = ""
    ) -> _Search:
        """The message carrying ``wanted`` as its metadata in a channel's history or a thread
        (``method``, ``where``), posted after ``after`` (a ts) if given."""
        cursor = ""
        for _ in range(LOOKUP_PAGES):
            page = {"cursor": cursor} if cursor else {}
            answer = await self.api.call(
                method, {**where, **page, "include_all_metadata": True, "limit": HISTORY_LIMIT}
            )
            if not answer.ok:
                return _Search(failed=answer)
            for message in answer.data.get("messages", []):
                ts = str(message.get("ts") or "")
                if (
                    ts
                    and message.get("metadata") == wanted
                    and (not after or float(ts) > float(after))
                ):
                    return _Search(ts=ts)
            cursor = _next_cursor(answer)
            if not cursor:
                return _Search()
        return _Search(exhausted=True)

    async def _posted_unanswered(
        self,
        key: tuple[str, str, str],
        method: str,
        where: dict[str, str],
        wanted: dict[str, object],
        *,
        after: str = "",
    ) -> str | None:
        """Where a post of a digest tick that got no answer (``key``) landed after all: its ts;
        "" when it did not (or got its answer), so it is posted; None when Slack cannot say
        now (asked again next time)."""
        if key not in self._posts_unanswered:
            return ""
        search = await self._search(method, where, wanted, after=after)
        if search.failed is not None and retry_after(search.failed) is not None:
            return None
        self._posts_unanswered.discard(key)
        if search.ts:
            log.info("slack post found after it got no answer", channel=key[1], ts=search.ts)
        return search.ts

    async def _channel_id(self, channel: str) -> str | DeliveryResult:
        """The Slack id of ``channel`` (a name or an id) as a recorded root knows it, or else as
        ``conversations.list`` answers (``channels:read``; ``groups:read`` for private
        channels); the send's result when Slack cannot say."""
        if known := await self.state.channel_id(channel):
            return known
        wanted = channel.removeprefix("#")
        cursor = ""
        for _ in range(LOOKUP_PAGES):
            page = {"cursor": cursor} if cursor else {}
            answer = await self.api.call(
                "conversations.list",
                {
                    **page,
                    "types": "public_channel,private_channel",
                    "exclude_archived": True,
                    "limit": CHANNELS_LIMIT,
                },
            )
            if not answer.ok:
                return _unanswered(channel, answer, "conversations.list")
            for listed in answer.data.get("channels", []):
                if wanted in (listed.get("id"), listed.get("name")) and listed.get("id"):
                    return str(listed["id"])
            cursor = _next_cursor(answer)
            if not cursor:
                break
        return _not_found_out(channel, "conversations.list does not list the channel")

    # -- the root ------------------------------------------------------------------------------

    async def _recorded(self, root: Root) -> Root | DeliveryResult | None:
        if root.ts:
            return root
        return await self._recover_root(root)  # a post a stop may have cut short

    async def _send_root(self, root: Root, body: dict[str, object], now: float) -> SlackAnswer:
        # Recorded before the post: if this process stops between the post and the save that
        # follows it, the next delivery finds this placeholder and looks the root up in Slack
        # (by the metadata the post carries) instead of posting it twice.
        body["metadata"] = root_metadata(root.fingerprint)
        await self.state.save(root)
        answer = await self._send(root.channel, body, now)
        if not answer.ok and not answer.unsure:
            # Not posted. A post that got no answer may still land: its placeholder stays, so
            # the next try looks it up before posting again.
            await self.state.forget_root(root.fingerprint, root.channel)
        return answer

    async def _recover_root(self, placeholder: Root) -> Root | DeliveryResult | None:
        """The root a stopped process posted but did not record: found in the channel's
        history by its metadata, and recorded now; None when it is not there (so it is
        posted, once it can no longer land); the send's result when Slack cannot say."""
        channel_id = placeholder.channel_id or await self._channel_id(placeholder.channel)
        if isinstance(channel_id, DeliveryResult):
            return channel_id
        answer = await self.api.call(
            "conversations.history",
            {"channel": channel_id, "include_all_metadata": True, "limit": HISTORY_LIMIT},
        )
        if not answer.ok:
            return _unanswered(placeholder.channel, answer, "conversations.history")
        wanted = root_metadata(placeholder.fingerprint)
        for message in answer.data.get("messages", []):
            if message.get("metadata") == wanted and message.get("ts"):
                root = placeholder.with_(channel_id=channel_id, ts=str(message["ts"]))
                await self.state.save(root)
                await self._remember(root, root.ts, self.clock())
                log.info("slack root found after a stop", fingerprint=root.fingerprint, ts=root.ts)
                return root
        return None

    # -- messages of their own -----------------------------------------------------------------

    def _report_body(
        self, notification: NotificationData, channel: str, blocks: list[Block], text: str
    ) -> dict[str, object]:
        body = post_body(channel, blocks, text)
        body["metadata"] = message_metadata(notification)
        return body

    @property
    def _posts_events(self) -> bool:
        return self.settings.message_settings.thread_responses

    def _event_body(
        self, root: Root, notification: NotificationData, data: dict[str, Any]
    ) -> dict[str, object]:
        blocks, text = self.renderer.reply(notification.kind, data)
        body = post_body(
            root.channel_id,
            blocks,
            text,
            thread_ts=root.ts,
            broadcast=notification.kind == "escalation",
        )
        body["metadata"] = message_metadata(notification)
        return body

    def _dirty_after_event(self, changed: Root) -> bool:
        return True  # the root card is redrawn to show the change

    @property
    def _shares_cards(self) -> bool:
        return self.settings.incident_cards

    # -- digests -------------------------------------------------------------------------------

    async def _flush(self, root: Root, now: float) -> None:
        if not root.ts:
            # Its post was cut short by a stop (or is still landing): the root is looked up in
            # Slack, never redrawn blind (an update of no message would read as a deleted root
            # and post a second one). Not there yet: looked up again later; the send that posts
            # it is retried once its lease runs out.
            found = await self._recorded(root)
            if not isinstance(found, Root):
                await self.state.hold(root.fingerprint, root.channel, now + ROOT_LOOKUP_SECONDS)
                return
            root = found
        card = await self.state.card(root)
        if len(card) > 1:
            await self._redraw_card(root, card, now)
            return
        shown = root  # as read: what this redraw takes off the row when it lands
        data = root_data(root)
        data["coalesced"] = root.pending_updates
        if root.pending_text == root.latest:
            # Nothing new to say in the thread (a storm repeats one text): the card shows the count.
            root = root.with_(pending_text="")
        if root.pending_text and self.settings.message_settings.thread_responses:
            key = (root.fingerprint, root.channel, "digest")
            wanted = digest_metadata(root.fingerprint, root.pending_text)
            thread = {"channel": root.channel_id, "ts": root.ts}
            ts = await self._posted_unanswered(key, "conversations.replies", thread, wanted)
            if ts is None:
                await self.state.hold(root.fingerprint, root.channel, now + TRANSIENT_RETRY_SECONDS)
                return
            if not ts:
                if self.limiter.take(root.channel, now):
                    # The channel is busy: try again next tick, nothing is lost.
                    await self.state.hold(root.fingerprint, root.channel, 0.0)
                    return
                blocks, text = self.renderer.reply("digest", {**data, "text": root.pending_text})
                body = post_body(root.channel_id, blocks, text, thread_ts=root.ts)
                body["metadata"] = wanted
                answer = await self._send(root.channel, body, now)
                if not answer.ok:
                    if answer.unsure:
                        self._posts_unanswered.add(key)
                    await self._flush_failed(root, answer, now, "digest reply", shown)
                    return
                ts = str(answer.data.get("ts", ""))
            await self._remember(root, ts, now)
            # The reply is in Slack: recorded before the redraw, so a redraw that fails is
            # tried again alone and the reply is never posted twice.
            await self.state.save_drawn(
                root.with_(latest=root.pending_text, pending_text=""), shown
            )
            recorded = await self.state.root(root.fingerprint, root.channel)
            if recorded is None:
                return
            root = shown = recorded
            data = root_data(root)
        blocks, text = self.renderer.card(data)
        answer = await self.api.call(
            "chat.update", update_body(root.channel_id, root.ts, blocks, text)
        )
        if answer.ok:
            await self.state.save_drawn(self._flushed(root, now), shown)
        elif answer.error in GONE_ERRORS and answer.error != "channel_not_found":
            await self._repost([root], [shown], now)
        else:
            await self._flush_failed(root, answer, now, "chat.update", shown)

    async def _redraw_card(self, claimed: Root, card: list[Root], now: float) -> None:
        """Redraw an incident's card (``card``: the roots it shows, as read): every problem's
        count and status. What was folded into them is shown by their counts; their updates'
        texts are not repeated in the thread."""
        first = card[0]
        blocks, text = self.renderer.drawn(card)
        answer = await self.api.call(
            "chat.update", update_body(first.channel_id, first.ts, blocks, text)
        )
        if answer.ok:
            for root in card:
                await self.state.save_drawn(self._flushed(root, now), root)
        elif answer.error in GONE_ERRORS and answer.error != "channel_not_found":
            await self._repost(card, card, now)
        else:
            await self._flush_failed(claimed, answer, now, "chat.update", claimed)

    async def _repost(self, card: list[Root], shown: list[Root], now: float) -> None:
        """The root message was deleted: post a new one carrying everything we know (``card``:
        the roots it showed; ``shown``: them as read)."""
        first = card[0]
        key = (first.fingerprint, first.channel, "root")
        wanted = root_metadata(first.fingerprint)
        history = {"channel": first.channel_id}
        found = await self._posted_unanswered(
            key, "conversations.history", history, wanted, after=first.ts
        )
        if found is None:
            await self.state.hold(first.fingerprint, first.channel, now + TRANSIENT_RETRY_SECONDS)
            return
        if found:
            # Posted after all: the roots move to it, still to be redrawn (it shows the card
            # as it was when posted).
            for root, read in zip(card, shown, strict=True):
                await self.state.save_drawn(root.with_(ts=found), read)
            await self.state.move_card(first, first.channel_id, found)
            await self._remember(first, found, now)
            return
        if self.limiter.take(first.channel, now):
            await self.state.hold(first.fingerprint, first.channel, 0.0)
            return
        blocks, text = self.renderer.drawn(card)
        body = post_body(first.channel, blocks, text)
        body["metadata"] = wanted
        answer = await self._send(first.channel, body, now)
        if not answer.ok:
            if answer.unsure:
                self._posts_unanswered.add(key)
            await self._flush_failed(first, answer, now, "chat.postMessage", shown[0])
            return
        channel_id, ts = str(answer.data.get("channel", "")), str(answer.data["ts"])
        for root, read in zip(card, shown, strict=True):
            await self.state.save_drawn(
                self._flushed(root, now).with_(channel_id=channel_id, ts=ts), read
            )
        # roots that joined the card meanwhile (or whose row moved on) follow it too
        await self.state.move_card(first, channel_id, ts)
        await self._remember(first.with_(channel_id=channel_id), ts, now)

    # -- plumbing ------------------------------------------------------------------------------

    async def _post(self, body: dict[str, object]) -> SlackAnswer:
        return await self.api.call("chat.postMessage", body)
