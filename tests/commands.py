"""A person's command, as a Slack button or the console publishes it on ``commands``."""

from __future__ import annotations

from shared.events import Actor, Command, CommandData, new_event_id


def command(fp: str, action: str, actor: str = "U1", attempt_id: str | None = None) -> Command:
    """``actor``'s command to ``action`` problem ``fp`` (or its attempt ``attempt_id``)."""
    event_id = new_event_id()
    return Command(
        id=event_id,
        source="/test",
        subject=fp,
        correlationid=event_id,
        data=CommandData(
            fingerprint=fp,
            action=action,
            actor=Actor(kind="user", id=actor, via="slack"),
            attempt_id=attempt_id,
        ),
    )
