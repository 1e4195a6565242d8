"""One side of a replay: the recorded errors through the analyzer, the resolver's gates and the
escalation policy, with one configuration, offline. Pure: nothing is published, and the only
clock is the history's own (each error is taken when the analyzer took it; the policy's timers
fire at their due times between recorded events, and up to the end of the window).

The analyzer is :class:`services.analyzer.core.Analyzer` keeping its states in memory; the
resolver is :class:`services.cli.replay_resolver.ResolverReplay`; the policy is
:func:`services.notifier.policy.decide`, driven by its in-memory driver. People's commands
(``ack``, ``snooze``, ``escalate``, ``resolve``) are fed to the policy when they were given.
Each service starts the window with no state: what it knew before (counts, open alerts) is
not seen, on either side of the comparison alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.analyzer.classify import PRODUCER
from services.analyzer.core import Analyzer
from services.analyzer.patterns_file import ErrorPattern
from services.cli.replay_history import History, Recorded
from services.cli.replay_resolver import ResolverReplay, ResolverSetup
from services.notifier.delivery.catalog import resolve_trackers
from services.notifier.policy import (
    CommandInput,
    Decision,
    EscalationPolicy,
    Notify,
    ResolutionInput,
    Tick,
)
from services.notifier.policy.commands import POLICY_ACTIONS
from services.notifier.policy.memory import MemoryDriver
from services.notifier.translate import delivered_to
from shared.config import Settings
from shared.events import (
    ClassifiedError,
    Command,
    Notification,
    NotificationKind,
    RawError,
    Resolution,
    Target,
)

#: How often (in the history's time) the analyzer forgets states past their TTL.
EXPIRY_SECONDS = 3600.0


@dataclass(frozen=True)
class Setup:
    """The configuration one side runs with."""

    settings: Settings
    patterns: tuple[ErrorPattern, ...]
    rules: EscalationPolicy
    resolver: ResolverSetup


@dataclass(frozen=True, slots=True)
class Sent:
    """One notification: when, about which problem, what kind, at which level, to whom."""

    at: float
    fingerprint: str
    kind: NotificationKind
    level: int
    targets: tuple[Target, ...]

    @classmethod
    def recorded(cls, item: Recorded[Notification]) -> Sent:
        data = item.event.data
        return cls(item.at, data.fingerprint, data.kind, data.level, tuple(data.targets))


@dataclass(frozen=True)
class Run:
    """What one side would have published."""

    classified: tuple[Recorded[ClassifiedError], ...]
    resolutions: tuple[Recorded[Resolution], ...]
    #: The resolver's decisions on the classified errors (``resolutions`` less what followed).
    decisions: tuple[Recorded[Resolution], ...]
    sent: tuple[Sent, ...]


def classify(
    raw: Sequence[Recorded[RawError]], setup: Setup, progress: Callable[[int], None]
) -> list[Recorded[ClassifiedError]]:
    """Each raw error through the analyzer, in time order."""
    analyzer = Analyzer(settings=setup.settings, patterns=setup.patterns)
    out: list[Recorded[ClassifiedError]] = []
    expired_at = raw[0].at if raw else 0.0
    for item in raw:
        if item.at - expired_at >= EXPIRY_SECONDS:
            analyzer.expire(item.at)
            expired_at = item.at
        outcome = analyzer.analyze(item.event.data, now=item.at)
        fields = ClassifiedError.derive_fields(item.event, source=PRODUCER, step="classify")
        event = ClassifiedError(
            **fields, time=datetime.fromtimestamp(item.at, UTC), data=outcome.classified
        )
        out.append(Recorded(event, item.at))
        progress(1)
    return out


class _TimedDriver(MemoryDriver):
    """The policy's in-memory driver, keeping when each notification was decided."""

    def __init__(self, policy: EscalationPolicy, now: datetime, settings: Settings) -> None:
        super().__init__(policy, now)
        self.resolutions_channel = settings.slack.notification_channels.resolutions
        self.trackers = resolve_trackers(settings)
        self.sent: list[Sent] = []

    def _decide(
        self, fingerprint: str, event: ResolutionInput | CommandInput | Tick
    ) -> list[Decision]:
        decisions = super()._decide(fingerprint, event)
        at = self.now.timestamp()
        status = event.data.status if isinstance(event, ResolutionInput) else None
        self.sent += [
            Sent(
                at,
                d.fingerprint,
                d.kind,
                d.level,
                tuple(
                    delivered_to(
                        d,
                        resolver_status=status,
                        resolutions_channel=self.resolutions_channel,
                        trackers=self.trackers,
                    )
                ),
            )
            for d in decisions
            if isinstance(d, Notify)
        ]
        self.log.clear()  # the decisions are kept above; the log would only grow
        return decisions

    def until(self, at: float) -> None:
        """Move the clock to ``at`` (never back), firing the timers due on the way."""
        moment = datetime.fromtimestamp(at, UTC)
        if moment > self.now:
            self.advance(moment - self.now)


def notify(
    resolutions: Sequence[Recorded[Resolution]],
    commands: Sequence[Recorded[Command]],
    setup: Setup,
    *,
    start: float,
    end: float,
) -> list[Sent]:
    """The policy's notifications for the resolver's events and people's commands."""
    driver = _TimedDriver(
        setup.rules,
        datetime.fromtimestamp(start, UTC),
        setup.settings,
    )
    roles: Mapping[str, list[str]] = setup.settings.escalation.roles
    steps: list[tuple[float, int, ResolutionInput | CommandInput]] = [
        (r.at, n, ResolutionInput(r.event.id, r.event.data)) for n, r in enumerate(resolutions)
    ]
    for n, k in enumerate(commands):
        data = k.event.data
        if data.action in POLICY_ACTIONS:
            given = CommandInput(k.event.id, data, frozenset(roles.get(data.actor.id, ())))
            steps.append((k.at, len(resolutions) + n, given))
    for at, _, step in sorted(steps, key=lambda s: (s[0], s[1])):
        driver.until(at)
        if isinstance(step, CommandInput) and step.data.fingerprint not in driver.states:
            continue  # as the service: a command for no alert is not the policy's
        driver.send(step)
    driver.until(end)
    return driver.sent


def simulate(history: History, setup: Setup, progress: Callable[[int], None]) -> Run:
    """Everything one side would have published over the window."""
    classified = classify(history.raw, setup, progress)
    replay = ResolverReplay(setup.resolver, history.resolutions)
    resolutions = replay.run(classified, history.commands)
    sent = notify(resolutions, history.commands, setup, start=history.start, end=history.end)
    return Run(tuple(classified), tuple(resolutions), tuple(replay.decided), tuple(sent))
