"""The exception tree shared by every service.

Two error channels matter on a consumer: :class:`InvalidMessage` is permanent (the bytes
can never be processed, so they go to the topic's ``.dlq`` twin); anything else is
treated as transient (retried a bounded number of times, then dead-lettered).
"""

from __future__ import annotations


class AlertorchError(Exception):
    """Base of every error this project raises on purpose."""


class InvalidMessage(AlertorchError):
    """A message that can never be processed: bad JSON, unknown type or version, invalid fields.

    Consumers send it to the DLQ with ``reason`` and acknowledge it; it is never retried.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(AlertorchError):
    """A configuration file is missing, unreadable or invalid. ``problems`` lists each finding."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class BrokerUnavailable(AlertorchError):
    """The Kafka broker did not answer in time."""


class BrokerStartError(AlertorchError):
    """The embedded broker could not be started."""
