"""Per-channel send budget: about one message per second per channel (Slack's own limit for
``chat.postMessage``) and at most ``max_messages_per_hour`` per channel. It never waits: it says
how long until the next send is allowed, and the caller returns ``DeliveryResult.later``.

In memory: after a restart the budget starts full, and Slack's own 429 answers (with
``Retry-After``) cover the gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.ratelimit import SlidingWindow

HOUR = 3600.0


@dataclass
class _Channel:
    next_at: float = 0.0
    sent: SlidingWindow = field(default_factory=lambda: SlidingWindow(keep=HOUR))


class ChannelLimiter:
    def __init__(self, *, per_second: float = 1.0, per_hour: int = 50) -> None:
        self.interval = 1.0 / per_second
        self.per_hour = per_hour
        self._channels: dict[str, _Channel] = {}

    def wait(self, channel: str, now: float) -> float:
        """Seconds until ``channel`` may be sent to (0: now)."""
        state = self._channels.get(channel)
        if state is None:
            return 0.0
        return max(state.next_at - now, state.sent.wait(now, HOUR, self.per_hour), 0.0)

    def take(self, channel: str, now: float) -> float:
        """Reserve a send now if allowed (returns 0), else return the wait and reserve nothing."""
        wait = self.wait(channel, now)
        if wait > 0:
            return wait
        state = self._channels.setdefault(channel, _Channel())
        state.next_at = now + self.interval
        state.sent.add(now)
        return 0.0

    def refund(self, channel: str, at: float) -> None:
        """The send reserved at ``at`` posted nothing (Slack refused it, or was down): it does
        not count against the hour, so an outage cannot use up a channel's budget."""
        state = self._channels.get(channel)
        if state is not None and at in state.sent.times:
            state.sent.times.remove(at)

    def hold(self, channel: str, until: float) -> None:
        """Slack said to wait (429 ``Retry-After``): no sends to ``channel`` before ``until``."""
        state = self._channels.setdefault(channel, _Channel())
        state.next_at = max(state.next_at, until)

    def forget_idle(self, now: float) -> None:
        """Drop channels with nothing to remember (bounded memory)."""
        for name in [
            n
            for n, s in self._channels.items()
            if s.next_at <= now and s.sent.count(now, HOUR) == 0
        ]:
            del self._channels[name]
