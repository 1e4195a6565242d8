"""The Slack delivery target: one root message per problem and channel, later notifications in
its thread, the root redrawn in place, storms coalesced into digests at a bounded rate.

Bot-token mode (``SLACK_BOT_TOKEN``) posts with ``chat.postMessage`` and redraws the root with
``chat.update``. Webhook-only mode (``SLACK_WEBHOOK_URL``) has no threads and no buttons: the
first notification of a problem is posted, later ones become digest posts at the webhook digest
interval. Either way nothing is dropped: a notification that cannot be sent now answers
:meth:`DeliveryResult.later`, and occurrences folded into a digest reach Slack on a later
:meth:`SlackIntegration.tick`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from services.notifier.delivery.base import DeliveryResult
from services.notifier.locks import KeyedLocks
from services.notifier.slack.message_data import message_data, root_data, status_after
from services.notifier.slack.outcomes import GONE_ERRORS, failure, retry_after
from services.notifier.slack.ratelimit import ChannelLimiter
from services.notifier.slack.rendering import Renderer, post_body, update_body, webhook_body
from services.notifier.slack.state import PostedMessage, Root, SlackState
from services.notifier.slack.text import mentions, safe
from shared.config.notification_templates import NotificationTemplatesSection
from shared.config.sections import SlackSection
from shared.events import REPORT_KINDS, NotificationData, Target
from shared.oncall import MentionLookup
from shared.slack.api import SlackAnswer, SlackApi, SlackWebhook
from shared.storage import Database

log = structlog.get_logger(__name__)

#: Kinds folded into the root (count, latest text) and shown at the digest rate.
COALESCED = frozenset({"new_alert", "update", "digest"})
#: The key of webhook-mode roots: a webhook posts to one channel whatever the target says.
WEBHOOK_CHANNEL = "(webhook)"
PRUNE_EVERY = 3600.0
#: How far back a channel's history is searched for a root a stop left unrecorded.
HISTORY_LIMIT = 200
#: How many pages of a thread or a channel are searched for a send a stop cut short.
LOOKUP_PAGES = 5
#: How long a replica's claim on a root it is redrawing keeps other replicas' ticks off it.
DIGEST_CLAIM_SECONDS = 30.0
TEXT_LIMIT = 500


def root_metadata(fingerprint: str) -> dict[str, object]:
    """What a root message carries (Slack message metadata), to be found again by it."""
    return {"event_type": "alertorch_root", "event_payload": {"fingerprint": fingerprint}}


def _not_found_out(channel: str, why: str) -> DeliveryResult:
    """A send cut short whose arrival Slack cannot tell: failed, never posted twice."""
    log.warning("slack send cut short, not known whether it arrived", channel=channel, why=why)
    return DeliveryResult.failed(f"interrupted while sending; whether it arrived is unknown: {why}")


def message_metadata(notification: NotificationData) -> dict[str, object]:
    """What a reply or a report carries: the notification it shows (a digest of its data, the
    same on every send of one notification), to be found again after a stop cut its send
    short."""
    key = hashlib.sha256(notification.model_dump_json().encode()).hexdigest()[:32]
    payload = {"fingerprint": notification.fingerprint, "notification": key}
    return {"event_type": "alertorch_message", "event_payload": payload}


class SlackIntegration:
    """``send_notification``/``handle_escalation`` for targets of type ``slack``, and ``tick``.
    ``formats`` (``notification_templates``) gives alert cards and fix outcomes their headline."""

    def __init__(
        self,
        *,
        database: Database,
        settings: SlackSection,
        api: SlackApi | None = None,
        webhook: SlackWebhook | None = None,
        clock: Callable[[], float] = time.time,
        oncall: MentionLookup | None = None,
        formats: NotificationTemplatesSection | None = None,
    ) -> None:
        if api is None and webhook is None:
            raise ValueError("Slack needs a bot token (api) or a webhook")
        self.settings = settings
        self.api = api
        self.webhook = webhook if api is None else None
        self.state = SlackState(database)
        self.clock = clock
        #: Who ``@oncall`` is per service now (the on-call schedules); None: mention_groups.
        self.oncall = oncall
        self.limiter = ChannelLimiter(
            per_second=settings.per_channel_messages_per_second,
            per_hour=settings.rate_limiting.max_messages_per_hour,
        )
        self.renderer = Renderer.of(
            settings,
            buttons=settings.message_settings.include_actions and api is not None,
            formats=formats,
        )
        self._locks = KeyedLocks()
        self._pruned_at = 0.0

    @property
    def resend_safe(self) -> bool:
        """A send a stop cut short may be sent again with a bot token: every message we post
        carries metadata by which :meth:`reconcile` (replies, reports) or the next send (roots)
        finds it. A webhook cannot look: such a send is left ``unknown``."""
        return self.api is not None

    async def reconcile(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult | None:
        """The message a send cut short by a stop posted after all, found in Slack by its
        metadata; None when it is not there (so it is sent now). Roots are found by the send
        itself (their placeholder), and so is a reply whose root was never recorded. When Slack
        cannot be asked (no history scope, a channel whose id is not known), the send fails
        rather than risk posting twice."""
        if self.api is None or notification.kind in COALESCED:
            return None
        channel = self.channel_of(notification, target)
        if notification.kind in REPORT_KINDS:
            where = {"channel": await self.state.channel_id(channel)}
            if not where["channel"]:
                return _not_found_out(channel, "the channel's id is not known")
            method = "conversations.history"
        else:
            root = await self.state.root(notification.fingerprint, channel)
            if root is None or not root.ts:
                return None
            where = {"channel": root.channel_id, "ts": root.ts}
            method = "conversations.replies"
        wanted = message_metadata(notification)
        cursor = ""
        for _ in range(LOOKUP_PAGES):
            page = {"cursor": cursor} if cursor else {}
            answer = await self.api.call(
                method, {**where, **page, "include_all_metadata": True, "limit": HISTORY_LIMIT}
            )
            if not answer.ok:
                return _not_found_out(channel, f"{method} answered {answer.error}")
            for message in answer.data.get("messages", []):
                if message.get("metadata") == wanted and message.get("ts"):
                    ts = str(message["ts"])
                    log.info("slack message found after a stop", channel=channel, ts=ts)
                    return DeliveryResult.ok(ts, channel=where["channel"], found=True)
            cursor = str((answer.data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return None
        return _not_found_out(channel, f"not within {LOOKUP_PAGES * HISTORY_LIMIT} messages")

    @property
    def interval(self) -> float:
        if self.api is None:
            return self.settings.webhook_digest_interval_seconds
        return self.settings.digest_interval_seconds

    def channel_of(self, notification: NotificationData, target: Target) -> str:
        if self.api is None:
            return WEBHOOK_CHANNEL
        if target.channel:
            return target.channel
        channels = self.settings.notification_channels
        return channels.escalations if notification.kind == "escalation" else channels.alerts

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        channel = self.channel_of(notification, target)
        if notification.kind in REPORT_KINDS:
            return await self._post_report(notification, channel)
        async with self._locks.hold((notification.fingerprint, channel)):
            root = await self.state.root(notification.fingerprint, channel)
            reopened = notification.kind == "new_alert" and root and root.status == "Resolved"
            if reopened and root and self._flapping(root):
                # back within the cooldown: the same card opens again, no new post
                return await self._coalesce(root.with_(status="Open"), notification)
            if reopened:
                await self.state.forget_root(notification.fingerprint, channel)
            elif root is not None and self.api is not None and not root.ts:
                root = await self._recover_root(root)  # a post a stop may have cut short
            if root is None or reopened:
                return await self._post_root(notification, target, channel)
            if notification.kind in COALESCED:
                return await self._coalesce(root, notification)
            return await self._post_event(root, notification, target)

    # -- the root ------------------------------------------------------------------------------

    def _flapping(self, root: Root) -> bool:
        """A problem back within ``slack.rate_limiting.cooldown_seconds`` of its resolution."""
        return self.clock() - root.updated_at < self.settings.rate_limiting.cooldown_seconds

    async def _post_root(
        self, notification: NotificationData, target: Target, channel: str
    ) -> DeliveryResult:
        now = self.clock()
        if wait := self.limiter.take(channel, now):
            return DeliveryResult.limited(wait, f"slack rate limit for {channel}")
        status = status_after(notification.kind, notification.level, "Open")
        latest = "" if notification.kind == "new_alert" else safe(notification.text, TEXT_LIMIT)
        root = Root(
            fingerprint=notification.fingerprint,
            channel=channel,
            channel_id="",
            ts="",
            count=notification.summary.count,
            status=status,
            summary=notification.summary,
            actions=tuple(notification.actions),
            attempt_id=notification.attempt_id,
            level=notification.level,
            posted_at=now,
            updated_at=now,
            latest=latest,
        )
        data = message_data(
            notification, root=root, mentions=await self._mentions(notification, target)
        )
        blocks, text = self.renderer.card(data)
        body = post_body(channel, blocks, text)
        if self.api is not None:
            # Recorded before the post: if this process stops between the post and the save
            # below, the next delivery finds this placeholder and looks the root up in Slack
            # (by the metadata the post carries) instead of posting it twice.
            body["metadata"] = root_metadata(notification.fingerprint)
            await self.state.save(root)
        answer = await self._send(channel, body, now)
        if not answer.ok:
            if self.api is not None:
                await self.state.forget_root(root.fingerprint, channel)
            return failure(answer, "chat.postMessage")
        root = root.with_(
            channel_id=str(answer.data.get("channel", "")), ts=str(answer.data.get("ts", ""))
        )
        await self.state.save(root)
        await self._remember(root, root.ts, now)
        log.info("slack root posted", fingerprint=root.fingerprint, channel=channel, ts=root.ts)
        return DeliveryResult.ok(root.ts or None, channel=root.channel_id, thread_ts=root.ts)

    async def _recover_root(self, placeholder: Root) -> Root | None:
        """The root a stopped process posted but did not record: found in the channel's
        history by its metadata, and recorded now; None when it was never posted (or the
        channel's id is not known yet), so it is posted now."""
        assert self.api is not None
        channel_id = placeholder.channel_id or await self.state.channel_id(placeholder.channel)
        if not channel_id:
            return None
        answer = await self.api.call(
            "conversations.history",
            {"channel": channel_id, "include_all_metadata": True, "limit": HISTORY_LIMIT},
        )
        if not answer.ok:
            log.warning(
                "slack history not readable", channel=placeholder.channel, error=answer.error
            )
            return None
        wanted = root_metadata(placeholder.fingerprint)
        for message in answer.data.get("messages", []):
            if message.get("metadata") == wanted and message.get("ts"):
                root = placeholder.with_(channel_id=channel_id, ts=str(message["ts"]))
                await self.state.save(root)
                await self._remember(root, root.ts, self.clock())
                log.info("slack root found after a stop", fingerprint=root.fingerprint, ts=root.ts)
                return root
        return None

    async def _coalesce(self, root: Root, notification: NotificationData) -> DeliveryResult:
        """Fold an occurrence into the root: the next tick past the interval shows it."""
        summary = notification.summary
        newer = summary.count >= root.count
        text = safe(notification.text, TEXT_LIMIT)
        await self.state.save(
            root.with_(
                count=max(root.count, summary.count),
                summary=summary if newer else root.summary,
                actions=tuple(notification.actions) or root.actions,
                attempt_id=notification.attempt_id or root.attempt_id,
                level=max(root.level, notification.level),
                dirty=True,
                pending_updates=root.pending_updates + 1,
                pending_text=text or root.pending_text,
            )
        )
        if summary.count > root.count:
            await self.state.raise_count(
                root.fingerprint, summary.count, summary, besides=root.channel
            )
        return DeliveryResult.ok(root.ts or None, coalesced=True, thread_ts=root.ts)

    # -- scheduled reports: a message of their own, no root, no thread ---------------------------

    async def _post_report(self, notification: NotificationData, channel: str) -> DeliveryResult:
        now = self.clock()
        if wait := self.limiter.take(channel, now):
            return DeliveryResult.limited(wait, f"slack rate limit for {channel}")
        blocks, text = self.renderer.reply(notification.kind, message_data(notification, root=None))
        if self.api is None:
            body = webhook_body(blocks, text)
        else:
            body = post_body(channel, blocks, text)
            body["metadata"] = message_metadata(notification)
        answer = await self._send(channel, body, now)
        if not answer.ok:
            return failure(answer, "chat.postMessage")
        return DeliveryResult.ok(str(answer.data.get("ts", "")) or None)

    # -- events in the thread ------------------------------------------------------------------

    async def _post_event(
        self, root: Root, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        now = self.clock()
        changed = root.with_(
            count=max(root.count, notification.summary.count),
            status=status_after(
                notification.kind, notification.level, root.status, notification.text
            ),
            latest=safe(notification.text, TEXT_LIMIT) or root.latest,
            level=max(root.level, notification.level),
            attempt_id=notification.attempt_id or root.attempt_id,
            actions=() if notification.kind == "resolved" else root.actions,
            dirty=True,
        )
        reference = root.ts
        threaded = self.settings.message_settings.thread_responses
        if self.api is None or threaded:
            if wait := self.limiter.take(root.channel, now):
                return DeliveryResult.limited(wait, f"slack rate limit for {root.channel}")
            data = message_data(
                notification, root=changed, mentions=await self._mentions(notification, target)
            )
            if self.api is None:
                blocks, text = self.renderer.card(data)
                body = webhook_body(blocks, text)
            else:
                blocks, text = self.renderer.reply(notification.kind, data)
                body = post_body(
                    root.channel_id,
                    blocks,
                    text,
                    thread_ts=root.ts,
                    broadcast=notification.kind == "escalation",
                )
                body["metadata"] = message_metadata(notification)
            answer = await self._send(root.channel, body, now)
            if not answer.ok:
                return failure(answer, "chat.postMessage")
            reference = str(answer.data.get("ts", ""))
            if reference:
                await self._remember(root, reference, now, notification.attempt_id)
        # Webhook mode: the post just made shows the change; no digest needed for it.
        await self.state.save(
            changed.with_(dirty=self.api is not None or changed.pending_updates > 0)
        )
        return DeliveryResult.ok(reference or None, thread_ts=root.ts)

    # -- digests -------------------------------------------------------------------------------

    async def tick(self, now: float) -> None:
        """Show what was coalesced: at most one redraw per root per interval, and at most
        ``digest_updates_per_tick`` redraws per tick across all roots."""
        due = await self.state.claim_due(
            now, self.interval, self.settings.digest_updates_per_tick, DIGEST_CLAIM_SECONDS
        )
        for claimed in due:
            async with self._locks.hold((claimed.fingerprint, claimed.channel)):
                root = await self.state.root(claimed.fingerprint, claimed.channel)
                if root is not None and root.dirty:
                    await self._flush(root, now)
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            await self.state.prune(now - self.settings.state_ttl_hours * 3600)
            self.limiter.forget_idle(now)

    async def _flush(self, root: Root, now: float) -> None:
        shown = root  # as read: what this redraw takes off the row when it lands
        data = root_data(root)
        data["coalesced"] = root.pending_updates
        if self.api is None:
            await self._flush_webhook(root, data, now)
            return
        if root.pending_text and self.settings.message_settings.thread_responses:
            if self.limiter.take(root.channel, now):
                # The channel is busy: try again next tick, nothing is lost.
                await self.state.hold(root.fingerprint, root.channel, 0.0)
                return
            blocks, text = self.renderer.reply("digest", {**data, "text": root.pending_text})
            answer = await self._send(
                root.channel, post_body(root.channel_id, blocks, text, thread_ts=root.ts), now
            )
            if not answer.ok:
                await self._flush_failed(root, answer, now, "digest reply", shown)
                return
            await self._remember(root, str(answer.data.get("ts", "")), now)
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
        answer = await self._call(
            "chat.update", update_body(root.channel_id, root.ts, blocks, text)
        )
        if answer.ok:
            await self.state.save_drawn(self._flushed(root, now), shown)
        elif answer.error in GONE_ERRORS and answer.error != "channel_not_found":
            await self._repost(root, now, shown)
        else:
            await self._flush_failed(root, answer, now, "chat.update", shown)

    async def _flush_webhook(self, root: Root, data: dict[str, object], now: float) -> None:
        if self.limiter.take(root.channel, now):
            await self.state.hold(root.fingerprint, root.channel, 0.0)
            return
        blocks, text = self.renderer.card({**data, "latest": root.pending_text or root.latest})
        answer = await self._send(root.channel, webhook_body(blocks, text), now)
        if answer.ok:
            await self.state.save_drawn(
                self._flushed(root.with_(latest=root.pending_text or root.latest), now), root
            )
        else:
            await self._flush_failed(root, answer, now, "webhook", root)

    async def _repost(self, root: Root, now: float, shown: Root) -> None:
        """The root message was deleted: post a new one carrying everything we know."""
        if self.limiter.take(root.channel, now):
            await self.state.hold(root.fingerprint, root.channel, 0.0)
            return
        blocks, text = self.renderer.card(root_data(root))
        answer = await self._send(root.channel, post_body(root.channel, blocks, text), now)
        if not answer.ok:
            await self._flush_failed(root, answer, now, "chat.postMessage", shown)
            return
        moved = root.with_(
            channel_id=str(answer.data.get("channel", "")), ts=str(answer.data["ts"])
        )
        await self.state.save_drawn(self._flushed(moved, now), shown)
        await self._remember(moved, moved.ts, now)

    @staticmethod
    def _flushed(root: Root, now: float) -> Root:
        return root.with_(
            dirty=False, updated_at=now, not_before=0.0, pending_updates=0, pending_text=""
        )

    async def _flush_failed(
        self, root: Root, answer: SlackAnswer, now: float, what: str, shown: Root
    ) -> None:
        wait = retry_after(answer)
        log.warning(
            "slack digest not delivered",
            fingerprint=root.fingerprint,
            channel=root.channel,
            call=what,
            error=answer.error,
            retry_after=wait,
        )
        if wait is not None:
            await self.state.hold(root.fingerprint, root.channel, now + wait)
        elif answer.error == "channel_not_found":
            await self.state.forget_root(root.fingerprint, root.channel)
        else:  # not to be shown: given up like one that was
            await self.state.save_drawn(self._flushed(root, now), shown)

    # -- plumbing ------------------------------------------------------------------------------

    async def _send(self, channel: str, body: dict[str, object], now: float) -> SlackAnswer:
        """Post a message (Web API or webhook); a 429 holds the channel for ``Retry-After``, and
        a post Slack refused does not count against the channel's hourly budget."""
        if self.api is not None:
            answer = await self.api.call("chat.postMessage", dict(body))
        else:
            assert self.webhook is not None
            answer = await self.webhook.post(dict(body))
        if not answer.ok:
            self.limiter.refund(channel, now)
        if answer.status == 429 and answer.retry_after is not None:
            self.limiter.hold(channel, now + answer.retry_after)
        return answer

    async def _call(self, method: str, body: dict[str, object]) -> SlackAnswer:
        assert self.api is not None
        return await self.api.call(method, dict(body))

    async def _mentions(self, notification: NotificationData, target: Target) -> str:
        """The target's mentions as Slack markup; ``oncall`` (and any schedule's mention) is
        whoever the on-call schedules for the problem's service have on call now, else what
        ``mention_groups`` says."""
        groups = self.settings.mention_groups
        if self.oncall is not None and target.mentions:
            now = datetime.fromtimestamp(self.clock(), UTC)
            on_call = await self.oncall.mention_groups(notification.summary.service, now)
            groups = {**groups, **on_call}
        return mentions(target.mentions, groups)

    async def _remember(
        self, root: Root, ts: str, now: float, attempt_id: str | None = None
    ) -> None:
        if root.channel_id and ts:
            message = PostedMessage(
                root.channel_id, ts, root.fingerprint, root.channel, attempt_id or root.attempt_id
            )
            await self.state.remember_message(message, now)
