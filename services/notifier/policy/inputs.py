"""What the engine reacts to: a resolver event, a person's command, or the clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.events import CommandData, ResolutionData


@dataclass(frozen=True, slots=True)
class ResolutionInput:
    """An event from ``resolutions``. ``data.details`` supplies facts for conditions."""

    event_id: str
    data: ResolutionData


@dataclass(frozen=True, slots=True)
class CommandInput:
    """A ``commands`` event. ``roles`` are the actor's roles, as the caller knows them
    (checked against ``de_escalation.manual_de_escalation.approval_roles``)."""

    event_id: str
    data: CommandData
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Tick:
    """The clock: fire this alert's timers that are due."""


Input = ResolutionInput | CommandInput | Tick
