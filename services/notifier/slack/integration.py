"""The Slack delivery target: one root message per problem and channel (or per incident and
channel: its problems share one card), later notifications shown on it, storms coalesced into
digests at a bounded rate.

:class:`SlackIntegration` holds what both modes share (the state, the channel limiter, the
renderer, coalescing, the digest tick); :class:`~services.notifier.slack.bot.SlackBotIntegration`
(``SLACK_BOT_TOKEN``) and :class:`~services.notifier.slack.webhook.SlackWebhookIntegration`
(``SLACK_WEBHOOK_URL``) hold how each posts and redraws, and
:func:`~services.notifier.slack.factory.slack_integration` builds the one the settings ask for.
Either way nothing is dropped: a notification that cannot be sent now answers
:meth:`DeliveryResult.later`, and occurrences folded into a digest reach Slack on a later
:meth:`SlackIntegration.tick`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from services.notifier.delivery.base import SEND_LEASE_SECONDS, DeliveryResult
from services.notifier.delivery.folding import fold_updates
from services.notifier.locks import KeyedLocks
from services.notifier.slack.limits import Block
from services.notifier.slack.message_data import message_data, says_resolved, status_after
from services.notifier.slack.outcomes import failure, retry_after
from services.notifier.slack.ratelimit import ChannelLimiter
from services.notifier.slack.rendering import Renderer, post_body
from services.notifier.slack.state import PostedMessage, Root, SlackState
from services.notifier.slack.text import mentions, safe
from shared.clock import ReadTime
from shared.config.notification_templates import NotificationTemplatesSection
from shared.config.slack import SlackSection
from shared.events import REPORT_KINDS, NotificationData, Target
from shared.oncall import MentionLookup
from shared.slack.api import SlackAnswer
from shared.storage import Database

log = structlog.get_logger(__name__)

#: Kinds folded into the root (count, latest text) and shown at the digest rate.
COALESCED = frozenset({"new_alert", "update", "digest"})
PRUNE_EVERY = 3600.0
#: How long a replica's claim on a root it is redrawing keeps other replicas' ticks off it.
DIGEST_CLAIM_SECONDS = 30.0
#: How long a problem waits for its incident's card to be posted before posting its own.
CARD_POST_WAIT_SECONDS = 30.0
#: How often a root whose post a stop cut short is looked up in Slack again while it may land.
ROOT_LOOKUP_SECONDS = 10.0
TEXT_LIMIT = 500


@dataclass(frozen=True, kw_only=True)
class SlackSetup:
    """What either mode is built from: the Slack state's database, the ``slack:`` settings,
    the clock, who ``@oncall`` is per service now (the on-call schedules; None:
    ``mention_groups``), and ``formats`` (``notification_templates``: the headlines of alert
    cards and fix outcomes)."""

    database: Database
    settings: SlackSection
    clock: ReadTime = time.time
    oncall: MentionLookup | None = None
    formats: NotificationTemplatesSection | None = None


class SlackIntegration:
    """``send_notification``/``handle_escalation`` for targets of type ``slack``, and ``tick``.
    ``buttons``: whether cards carry action buttons (only a bot token receives their presses)."""

    #: Whether a send a stop cut short may be sent again (see the dispatcher).
    resend_safe = False

    def __init__(self, setup: SlackSetup, *, buttons: bool) -> None:
        settings = self.settings = setup.settings
        self.state = SlackState(setup.database)
        self.clock = setup.clock
        self.oncall = setup.oncall
        self.limiter = ChannelLimiter(
            per_second=settings.per_channel_messages_per_second,
            per_hour=settings.rate_limiting.max_messages_per_hour,
        )
        self.renderer = Renderer.of(settings, buttons=buttons, formats=setup.formats)
        self._locks = KeyedLocks()
        self._pruned_at = 0.0

    @property
    def interval(self) -> float:
        """How often a root shows what was coalesced into it."""
        raise NotImplementedError

    def channel_of(self, notification: NotificationData, target: Target) -> str:
        raise NotImplementedError

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self._deliver(notification, target, updates=1)

    async def send_updates(
        self, notifications: Sequence[NotificationData], target: Target
    ) -> DeliveryResult:
        """A run of one problem's updates, folded: the card shows the latest, and its digest
        counts every one of them."""
        folded = fold_updates(notifications)
        return await self._deliver(folded, target, updates=len(notifications))

    async def _deliver(
        self, notification: NotificationData, target: Target, *, updates: int
    ) -> DeliveryResult:
        channel = self.channel_of(notification, target)
        if notification.kind in REPORT_KINDS:
            return await self._post_report(notification, channel)
        incident = notification.summary.incident
        # The problems of one incident are placed on its card one at a time (then each alone).
        key = incident.id if incident and self._shares_cards else notification.fingerprint
        async with self._locks.hold(("incident", key, channel)):
            return await self._deliver_problem(notification, target, channel, updates)

    async def _deliver_problem(
        self, notification: NotificationData, target: Target, channel: str, updates: int
    ) -> DeliveryResult:
        async with self._locks.hold((notification.fingerprint, channel)):
            root = await self.state.root(notification.fingerprint, channel)
            reopened = notification.kind == "new_alert" and root and says_resolved(root.status)
            if reopened and root and self._flapping(root):
                # back within the cooldown: the same card opens again, no new post
                return await self._coalesce(root.with_(status="Open"), notification, updates)
            if reopened:
                await self.state.forget_root(notification.fingerprint, channel)
            elif root is not None:
                recorded = await self._recorded(root)
                if isinstance(recorded, DeliveryResult):
                    return recorded  # Slack cannot say whether the root's post landed
                age = self.clock() - root.posted_at
                if recorded is None and age < SEND_LEASE_SECONDS:
                    # A stopped process's post of this root is not in Slack yet, but may still
                    # land (its request outlives the process): wait for it rather than post a
                    # second root; past the lease it never will, and this posts the root.
                    wait = min(ROOT_LOOKUP_SECONDS, SEND_LEASE_SECONDS - age)
                    return DeliveryResult.limited(wait, "the root's post may still land")
                if recorded is not None and not root.ts and notification.kind == "new_alert":
                    # The root a stop cut short, found: it is this alert's own post (sent
                    # again after the stop), not to be told again in its thread.
                    return DeliveryResult.ok(
                        recorded.ts, channel=recorded.channel_id, thread_ts=recorded.ts, found=True
                    )
                root = recorded
            if root is None or reopened:
                joined = await self._join_incident(notification, channel)
                return joined or await self._post_root(notification, target, channel)
            if notification.kind in COALESCED:
                if says_resolved(root.status):
                    # an update to a resolved card: its problem is back (a duplicate of itself,
                    # not announced again), and the card opens again
                    root = root.with_(status="Open")
                return await self._coalesce(root, notification, updates)
            return await self._post_event(root, notification, target)

    # -- the root ------------------------------------------------------------------------------

    @property
    def _shares_cards(self) -> bool:
        """Whether the problems of an incident share one card per channel."""
        return False

    async def _join_incident(
        self, notification: NotificationData, channel: str
    ) -> DeliveryResult | None:
        """A new problem whose incident has a card in ``channel`` joins it (no post of its own;
        the card is redrawn at the next tick the digest interval allows); None when it is to be
        posted."""
        incident = notification.summary.incident
        if not (self._shares_cards and incident and notification.kind == "new_alert"):
            return None
        card = await self.state.incident_root(incident.id, channel)
        if card is None:
            return None
        now = self.clock()
        if not card.ts:
            # Its post is under way on another replica, or a stop cut it short: wait a little
            # for it, then post this problem's own card.
            if now - card.posted_at < CARD_POST_WAIT_SECONDS:
                return DeliveryResult.limited(1.0, f"incident {incident.id}'s card is posting")
            return None
        root = self._new_root(notification, channel, now).with_(
            channel_id=card.channel_id, ts=card.ts, dirty=True
        )
        await self.state.save(root)
        log.info("slack problem joined its incident's card", incident=incident.id, channel=channel)
        return DeliveryResult.ok(root.ts, channel=root.channel_id, thread_ts=root.ts, joined=True)

    def _new_root(self, notification: NotificationData, channel: str, now: float) -> Root:
        """The root of a problem first told in ``channel`` (not posted yet)."""
        return Root(
            fingerprint=notification.fingerprint,
            channel=channel,
            channel_id="",
            ts="",
            count=notification.summary.count,
            status=status_after(notification.kind, notification.level, "Open"),
            summary=notification.summary,
            actions=tuple(notification.actions),
            attempt_id=notification.attempt_id,
            level=notification.level,
            posted_at=now,
            updated_at=now,
            latest="" if notification.kind == "new_alert" else safe(notification.text, TEXT_LIMIT),
            incident=notification.summary.incident.id if notification.summary.incident else "",
        )

    async def _recorded(self, root: Root) -> Root | DeliveryResult | None:
        """The root as recorded; None when it is to be posted (again); the send's result (to
        try again later, or failed) when Slack cannot say whether a post a stop cut short
        landed."""
        raise NotImplementedError

    def _flapping(self, root: Root) -> bool:
        """A problem back within ``slack.rate_limiting.cooldown_seconds`` of its resolution."""
        return self.clock() - root.updated_at < self.settings.rate_limiting.cooldown_seconds

    async def _post_root(
        self, notification: NotificationData, target: Target, channel: str
    ) -> DeliveryResult:
        now = self.clock()
        if wait := self.limiter.take(channel, now):
            return DeliveryResult.limited(wait, f"slack rate limit for {channel}")
        root = self._new_root(notification, channel, now)
        data = message_data(
            notification, root=root, mentions=await self._mentions(notification, target)
        )
        blocks, text = self.renderer.card(data)
        answer = await self._send_root(root, post_body(channel, blocks, text), now)
        if not answer.ok:
            return failure(answer, "chat.postMessage")
        root = root.with_(
            channel_id=str(answer.data.get("channel", "")), ts=str(answer.data.get("ts", ""))
        )
        await self.state.save(root)
        await self._remember(root, root.ts, now)
        log.info("slack root posted", fingerprint=root.fingerprint, channel=channel, ts=root.ts)
        return DeliveryResult.ok(root.ts or None, channel=root.channel_id, thread_ts=root.ts)

    async def _send_root(self, root: Root, body: dict[str, object], now: float) -> SlackAnswer:
        """Post a new root message (``body``) for ``root``."""
        raise NotImplementedError

    async def _coalesce(
        self, root: Root, notification: NotificationData, updates: int
    ) -> DeliveryResult:
        """Fold ``updates`` occurrences (the latest: ``notification``) into the root: the next
        tick past the interval shows them."""
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
                pending_updates=root.pending_updates + updates,
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
        body = self._report_body(notification, channel, blocks, text)
        answer = await self._send(channel, body, now)
        if not answer.ok:
            return failure(answer, "chat.postMessage")
        return DeliveryResult.ok(str(answer.data.get("ts", "")) or None)

    def _report_body(
        self, notification: NotificationData, channel: str, blocks: list[Block], text: str
    ) -> dict[str, object]:
        raise NotImplementedError

    # -- later notifications of a problem ------------------------------------------------------

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
        if self._posts_events:
            if wait := self.limiter.take(root.channel, now):
                return DeliveryResult.limited(wait, f"slack rate limit for {root.channel}")
            data = message_data(
                notification, root=changed, mentions=await self._mentions(notification, target)
            )
            body = self._event_body(root, notification, data)
            answer = await self._send(root.channel, body, now)
            if not answer.ok:
                return failure(answer, "chat.postMessage")
            reference = str(answer.data.get("ts", ""))
            if reference:
                await self._remember(root, reference, now, notification.attempt_id)
        # A change of status is shown at the next redraw the digest interval allows: only a
        # card whose count alone moves waits longer (see _flushed).
        dirty = self._dirty_after_event(changed)
        await self.state.save(
            changed.with_(dirty=dirty, not_before=0.0 if dirty else root.not_before)
        )
        return DeliveryResult.ok(reference or None, thread_ts=root.ts)

    @property
    def _posts_events(self) -> bool:
        """Whether a later notification gets a message of its own."""
        raise NotImplementedError

    def _event_body(
        self, root: Root, notification: NotificationData, data: dict[str, Any]
    ) -> dict[str, object]:
        """The message showing a later notification of ``root``'s problem."""
        raise NotImplementedError

    def _dirty_after_event(self, changed: Root) -> bool:
        """Whether the root still has something for the next digest to show."""
        raise NotImplementedError

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
        """Show what was coalesced into ``root``."""
        raise NotImplementedError

    def _flushed(self, root: Root, now: float) -> Root:
        """``root`` once everything pending is shown. Its next redraw waits as long as the card
        has been up (at least the digest interval, at most ``digest_max_interval_seconds``)."""
        shown_for = now - root.posted_at
        wait = min(self.settings.digest_max_interval_seconds, max(self.interval, shown_for))
        return root.with_(
            dirty=False, updated_at=now, not_before=now + wait, pending_updates=0, pending_text=""
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
        """Post a message; a 429 holds the channel for ``Retry-After``, and a post Slack
        refused does not count against the channel's hourly budget."""
        answer = await self._post(dict(body))
        if not answer.ok:
            self.limiter.refund(channel, now)
        if answer.status == 429 and answer.retry_after is not None:
            self.limiter.hold(channel, now + answer.retry_after)
        return answer

    async def _post(self, body: dict[str, object]) -> SlackAnswer:
        """One message to Slack, as this mode posts it."""
        raise NotImplementedError

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
