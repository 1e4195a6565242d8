"""The delivery half of the notifier: each ``Notification`` to each of its targets, once.

The consumer only queues: a batch's (notification, target) pairs become outbox rows in one
transaction (a pair seen before, by any replica, is not queued again), and the offsets are
committed. The sends happen off the consumer, in :meth:`Dispatcher.work`: the rows this replica
queued are claimed (a lease of ``CLAIM_LEASE_SECONDS``, renewed while they wait for a slot) and
sent, at most ``concurrency`` sends at once, each started under a lease of
``SEND_LEASE_SECONDS``; each problem's notifications to each target go in the order they were
made, across replicas (the outbox claims no row behind an unfinished earlier one); their
outcomes are recorded in one transaction and their audit records published together. A run
of updates of one problem to a target that shows only the latest (a Slack card,
``send_updates``) is folded into one delivery, so a storm costs a few sends, not one per
occurrence.

A queued row its replica did not claim within ``QUEUED_GRACE_SECONDS`` (the replica stopped) is
claimed by any replica's :meth:`Dispatcher.send_due`, with the retries, and so is a claim its
replica stopped before starting, once the claim's lease runs out; a row held back behind an
earlier one of its problem is let go at once, and follows that one as soon as it is due. A send
a crash cut short (its lease ran out) is sent again where the target deduplicates (PagerDuty's
``dedup_key``, the console) or can be asked whether it arrived (``reconcile``: Slack with a bot
token finds the message by its metadata, GitHub and Jira the issue by its fingerprint), and is
otherwise marked ``unknown``, never repeated; a send that got no answer is retried, and such a
target is asked first whether it arrived. A target that answers "later" is retried when due, by
whichever replica claims the row: after an error (a 5xx, a network error) the try counts, and
after ``MAX_ATTEMPTS`` such tries the delivery is failed; a rate-limit wait (a 429, our own
limiter) never counts, so a storm delays deliveries but never drops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from services.notifier.delivery.base import (
    SEND_LEASE_SECONDS,
    DeliveryResult,
    FoldsUpdates,
    Integration,
)
from services.notifier.delivery.folding import FOLDED_KIND, runs
from services.notifier.metrics import DELIVERIES
from services.notifier.outbox import (
    INTERRUPTED,
    RETRY,
    Key,
    Outbox,
    OutboxRow,
    Queued,
    unsure,
)
from shared.clock import SYSTEM_CLOCK, Clock
from shared.events import (
    Actor,
    AuditRecord,
    AuditRecordData,
    Notification,
    NotificationData,
    Target,
    derived_event_id,
)
from shared.kafka.producer import Output, Publisher
from shared.topics import AUDIT

log = structlog.get_logger(__name__)

SOURCE = "/alertorch/notifier/delivery"
ACTOR = Actor(kind="service", id="notifier", via="system")
MAX_ATTEMPTS = 50
CONSOLE = "console"  # the inbox is ours: it is delivered to in a dry run too
ERROR_BACKOFF = 30.0
#: Why a send was not tried: an earlier notification of its problem to its target waits.
HELD_BEHIND = "held behind an earlier notification of this problem to this target"
#: A queued row its replica has not claimed this long after queueing is anyone's to send.
QUEUED_GRACE_SECONDS = 10.0
#: A claim holds its rows this long unless renewed: its replica renews it every third of it
#: while the rows wait for a slot, so the rows of a replica that stopped before starting them
#: are anyone's to send this long after.
CLAIM_LEASE_SECONDS = 15.0
#: Rows claimed and sent in one step.
CLAIM_LIMIT = 1000
#: The retries loop looks for due rows at least this often (rows another replica set to retry,
#: or queued and left), sooner when a retry this replica set falls due sooner, and at once
#: while its last step found a full claim's worth due (``due_in``).
RETRY_STEP_SECONDS = 1.0
#: Rows queued here and not yet claimed, at most, in claims (then the consumer waits for the
#: sends). One: a row waits about two steps for its claim, well within ``QUEUED_GRACE_SECONDS``
#: on a loaded machine. With four claims' worth, a storm's rows outlived the grace, the retries
#: loop took them as left by a stopped replica, and the delivery loop's claims found theirs
#: held behind them.
MAX_PENDING_CLAIMS = 1


@dataclass
class _Send:
    row: OutboxRow
    event: Notification
    target: Target | None


def target_key(target: Target) -> str:
    return f"{target.type}:{target.channel or ''}"


class Dispatcher:
    def __init__(
        self,
        *,
        outbox: Outbox,
        integrations: Mapping[str, Integration],
        publisher: Publisher,
        clock: Clock = SYSTEM_CLOCK,
        dry_run: bool = False,
        concurrency: int = 8,
        claim_limit: int = CLAIM_LIMIT,
    ) -> None:
        """``dry_run`` (``operation.dry_run``): nothing reaches an outside target; each delivery
        is logged and audited as what would have been sent. ``concurrency``
        (``notifier.delivery_concurrency``): sends in flight at once. ``claim_limit``: rows
        claimed and sent in one step."""
        self.outbox = outbox
        self.integrations = integrations
        self.publisher = publisher
        self.clock = clock
        self.dry_run = dry_run
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: list[Key] = []
        self._ready = asyncio.Event()  # something is pending
        self._room = asyncio.Event()  # fewer than _max_pending are pending
        self._room.set()
        #: When the retries this replica set that fall due within a step fall due (a heap).
        self._soon: list[float] = []
        self._claim_limit = claim_limit
        self._max_pending = MAX_PENDING_CLAIMS * claim_limit
        #: The retries loop's last step claimed all it could: more may be due behind them.
        self._backlog = False

    async def enqueue(self, events: Sequence[Notification]) -> int:
        """Queue each event's sends (the consumer's part); how many were new."""
        wanted: list[Queued] = []
        seen: set[Key] = set()
        for event in events:
            body = event.model_dump_json()
            made_at = event.time.timestamp()
            for target in event.data.targets:
                key = (event.id, target_key(target))
                if key not in seen:
                    seen.add(key)
                    wanted.append(Queued(*key, event.data.fingerprint, made_at, body))
        await self._room.wait()
        due_at = self.clock.time() + QUEUED_GRACE_SECONDS
        new = await self.outbox.enqueue(wanted, due_at=due_at)
        if len(new) < len(wanted):
            log.info("already handled; not sending again", count=len(wanted) - len(new))
        self._pending.extend(key for row in wanted if (key := row[:2]) in new)
        if self._pending:
            self._ready.set()
        if len(self._pending) >= self._max_pending:
            self._room.clear()
        return len(new)

    async def work(self, wait: float = 1.0) -> int:
        """The worker's step: wait up to ``wait`` seconds for queued sends, then send them."""
        if not self._pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), wait)
        return await self.send_queued()

    async def send_queued(self) -> int:
        """Claim and send what this replica queued (up to ``claim_limit``); how many."""
        limit = self._claim_limit
        keys, self._pending = self._pending[:limit], self._pending[limit:]
        if not self._pending:
            self._ready.clear()
        if len(self._pending) < self._max_pending:
            self._room.set()
        now = self.clock.time()
        rows = await self.outbox.claim(keys, lease_until=now + CLAIM_LEASE_SECONDS)
        return await self._send_rows(rows)

    def due_in(self) -> float | None:
        """Seconds until the retries loop's next step (its pause), when sooner than
        ``RETRY_STEP_SECONDS``: none while its last step claimed all it could (a backlog
        drains back to back, not one claim a second), else until the soonest retry this
        replica set falls due, if one falls due within the step (a send a target's rate limit
        held for a fraction of a second, as our own limiter does to the sends to a Slack
        channel beyond its ``per_channel_messages_per_second``, is tried again when allowed,
        and a channel's backlog drains at that rate, not at one send a step)."""
        if self._backlog:
            return 0.0
        return self._soon[0] - self.clock.time() if self._soon else None

    async def send_due(self) -> int:
        """Give up on sends cut short, then send the retries that are due (and queued rows
        their replica left); how many."""
        now = self.clock.time()
        self._backlog = False  # a step that fails does not make the loop spin
        while self._soon and self._soon[0] <= now:
            heapq.heappop(self._soon)
        freed, again, unknown = await self.outbox.interrupted(now, self._resend_safe)
        if freed:
            log.warning("sends a stopped replica claimed and never started are sent", count=freed)
        if again:
            log.warning(
                "sends cut short by a stop are sent again (the target deduplicates)", count=again
            )
        if unknown:
            log.warning("sends cut short by a stop are not repeated", count=unknown)
        rows = await self.outbox.claim_due(
            now, lease_until=now + CLAIM_LEASE_SECONDS, limit=self._claim_limit
        )
        sent = await self._send_rows(rows)
        self._backlog = len(rows) >= self._claim_limit
        return sent

    async def _send_rows(self, rows: Sequence[OutboxRow]) -> int:
        """Send claimed rows: each problem's to each target in order, folded where the target
        folds; then record every outcome in one transaction and publish their audit."""
        if not rows:  # an idle step touches no table
            return 0
        sends = sorted(
            (self._prepared(row) for row in rows),
            key=lambda send: send.event.time,
        )
        groups: dict[tuple[str, str], list[_Send]] = {}
        for send in sends:
            groups.setdefault((send.event.data.fingerprint, send.row.target), []).append(send)
        audits: list[Output] = []
        sent = asyncio.Event()
        renewing = asyncio.create_task(self._renew(rows, sent))
        try:
            await asyncio.gather(*(self._send_group(group, audits) for group in groups.values()))
        finally:
            sent.set()
            await renewing
        await self.outbox.finish(rows)
        if audits:
            await self.publisher.publish_many(audits)
        return len(rows)

    async def _renew(self, rows: Sequence[OutboxRow], sent: asyncio.Event) -> None:
        """Until ``sent``: renew the claim on the rows still waiting for a slot."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sent.wait(), CLAIM_LEASE_SECONDS / 3)
            if sent.is_set():
                return
            try:
                lease = self.clock.time() + CLAIM_LEASE_SECONDS
                await self.outbox.renew(rows, lease_until=lease)
            except Exception as exc:  # noqa: BLE001 - a claim not renewed is sent by another
                log.error("renewing a claim failed", error=repr(exc))

    @staticmethod
    def _prepared(row: OutboxRow) -> _Send:
        event = Notification.model_validate_json(row.body)
        target = next((t for t in event.data.targets if target_key(t) == row.target), None)
        return _Send(row, event, target)

    async def _send_group(self, group: list[_Send], audits: list[Output]) -> None:
        target = group[0].target
        integration = self.integrations.get(target.type) if target else None
        folds = isinstance(integration, FoldsUpdates)
        held: DeliveryResult | None = None
        for run in runs(
            group,
            lambda s: folds and s.event.data.kind == FOLDED_KIND and not unsure(s.row),
        ):
            if held is not None:  # an earlier notification waits: the later ones wait behind it
                result = held
            else:
                async with self._slots:
                    lease = self.clock.time() + SEND_LEASE_SECONDS
                    if not await self.outbox.start([send.row for send in run], lease_until=lease):
                        log.warning("a claim ran out before its send; left to whoever has it")
                        return  # this run and the later ones: another replica may have them
                    result = await self._deliver(integration, run)
            for send in run:
                audit = self._settle(send, result, folded=len(run))
                if audit is not None:
                    audits.append(audit)
            if held is None and run[-1].row.status == RETRY:
                wait = (run[-1].row.due_at or 0.0) - self.clock.time()
                held = DeliveryResult.limited(wait, HELD_BEHIND)

    async def _deliver(self, integration: Integration | None, run: list[_Send]) -> DeliveryResult:
        first = run[0]
        target, data = first.target, first.event.data
        if target is None:
            return DeliveryResult.failed("target vanished")
        if integration is None:
            return DeliveryResult.failed(f"no integration delivers target type {target.type!r}")
        if self.dry_run and target.type != CONSOLE:
            log.info("dry run: would deliver", target=first.row.target, kind=data.kind, n=len(run))
            return DeliveryResult.ok(None, dry_run=True, would=f"notify:{data.kind}")
        if len(run) > 1 and isinstance(integration, FoldsUpdates):
            updates = [send.event.data for send in run]
            return await self._call(integration.send_updates, updates, target)
        found = await self._arrived(integration, first.row, data, target)
        if found is not None:
            return found
        escalates = data.kind == "escalation"
        send = integration.handle_escalation if escalates else integration.send_notification
        return await self._call(send, data, target)

    def _settle(self, send: _Send, result: DeliveryResult, *, folded: int) -> Output | None:
        """Apply ``result`` to ``send``'s row; the audit record it gets, if any."""
        row, event = send.row, send.event
        if not result.rate_limited:
            row.attempts += 1
        DELIVERIES.labels(row.target.split(":", 1)[0], _outcome(result)).inc()
        if result.delivered:
            row.status, row.reference, row.error = "sent", result.reference, None
            outcome: Literal["succeeded", "failed", "dry_run"] = (
                "dry_run" if result.details.get("dry_run") else "succeeded"
            )
            return self._audit(event, row, outcome, result, folded)
        if result.permanent or row.attempts >= MAX_ATTEMPTS:
            row.status, row.error = "failed", result.error
            log.error("delivery failed", target=row.target, error=result.error)
            return self._audit(event, row, "failed", result, folded)
        delay = result.retry_after if result.retry_after is not None else ERROR_BACKOFF
        error = f"{INTERRUPTED}: {result.error}" if result.unsure else result.error
        row.status, row.due_at, row.error = "retry", self.clock.time() + delay, error
        if delay < RETRY_STEP_SECONDS:
            heapq.heappush(self._soon, row.due_at)
        return None

    def _resend_safe(self, target: str) -> bool:
        integration = self.integrations.get(target.split(":", 1)[0])
        return bool(getattr(integration, "resend_safe", False))

    async def tick_integrations(self) -> None:
        now = self.clock.time()
        for name, integration in self.integrations.items():
            tick = getattr(integration, "tick", None)
            if tick is None:
                continue
            try:
                await tick(now)
            except Exception as exc:  # noqa: BLE001 - one integration must not stop the others
                log.error("integration tick failed", integration=name, error=repr(exc))

    @staticmethod
    async def _arrived(
        integration: Integration, row: OutboxRow, data: NotificationData, target: Target
    ) -> DeliveryResult | None:
        """For a send a stop cut short, or that got no answer: what the target says it
        received of it (integrations that can look have ``reconcile``); None when it did not
        arrive or nobody can tell. A target that cannot say yet is asked again next time."""
        reconcile = getattr(integration, "reconcile", None)
        if not unsure(row) or reconcile is None:
            return None
        try:
            found: DeliveryResult | None = await reconcile(data, target)
        except Exception as exc:  # noqa: BLE001 - a broken lookup is retried, then failed
            log.error("looking up an interrupted send failed", target=row.target, error=repr(exc))
            reason = f"looking up whether it arrived raised {exc!r}"
            return DeliveryResult.later(ERROR_BACKOFF, reason, unsure=True)
        if found is not None and not found.delivered and found.retry_after is not None:
            return dataclasses.replace(found, unsure=True)
        return found

    @staticmethod
    async def _call(
        send: Callable[[Any, Target], Awaitable[DeliveryResult]], data: Any, target: Target
    ) -> DeliveryResult:
        try:
            return await send(data, target)
        except Exception as exc:  # noqa: BLE001 - a broken integration is retried, then failed
            log.error("integration raised", target=target.type, error=repr(exc))
            return DeliveryResult.later(ERROR_BACKOFF, f"integration raised {exc!r}")

    @staticmethod
    def _audit(
        event: Notification,
        row: OutboxRow,
        outcome: Literal["succeeded", "failed", "dry_run"],
        result: DeliveryResult,
        folded: int,
    ) -> Output:
        details = {"reference": result.reference, "error": result.error, "attempts": row.attempts}
        if folded > 1:
            details["folded"] = folded  # delivered together with the run's other updates
        record = AuditRecord(
            id=derived_event_id(event.id, "delivery", row.target, outcome),
            source=SOURCE,
            subject=event.subject,
            correlationid=event.correlationid,
            data=AuditRecordData(
                fingerprint=event.data.fingerprint,
                actor=ACTOR,
                action=f"notify:{event.data.kind}",
                target=row.target,
                outcome=outcome,
                details={**details, **result.details},
            ),
        )
        return Output(AUDIT, record, event.data.fingerprint)


def _outcome(result: DeliveryResult) -> str:
    if result.delivered:
        return "sent"
    if result.permanent:
        return "failed"
    return "rate_limited" if result.rate_limited else "retry"
