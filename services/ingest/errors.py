"""The ingest service's exception tree.

``IngestError`` and its subclasses are answers: each carries the HTTP status, a short error text,
optional ``details`` (``[{"field": ..., "error": ...}]``) and the ``outcome`` label counted in the
metrics. Handlers raise them; :mod:`services.ingest.http` turns them into JSON responses. Nothing
is published when one is raised before the publish step.

``SentryApiError`` is raised by the Sentry API client when a call fails for good (after retries);
``PollerLeaseLost`` by the poller when another replica may have taken the poll over.
"""

from __future__ import annotations

from typing import ClassVar

from shared.errors import AlertorchError

Details = list[dict[str, str]]


class IngestError(AlertorchError):
    """A request that is answered with an error status."""

    status: ClassVar[int] = 400
    outcome: ClassVar[str] = "bad_request"

    def __init__(
        self, error: str, *, details: Details | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.details = details or []
        self.headers = headers or {}


class BadRequest(IngestError):
    """The body cannot be read: not JSON, not an envelope, bad compression."""


class Unauthorized(IngestError):
    status = 401
    outcome = "unauthorized"


class Forbidden(IngestError):
    status = 403
    outcome = "forbidden"


class PayloadTooLarge(IngestError):
    status = 413
    outcome = "too_large"


class UnsupportedMediaType(IngestError):
    status = 415
    outcome = "unsupported_media_type"


class InvalidPayload(IngestError):
    """Readable, but a field is missing or wrong; ``details`` names each field."""

    status = 422
    outcome = "invalid"


class NotAcknowledged(IngestError):
    """The broker did not acknowledge in time: nothing is promised, the sender should retry
    (answered 503; :class:`shared.errors.BrokerUnavailable` is the broker not answering at all)."""

    status = 503
    outcome = "unavailable"


class SentryApiError(AlertorchError):
    """A Sentry API call failed for good (after the retries its cause allows)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PollerLeaseLost(AlertorchError):
    """This replica's lease on the Sentry poller ran out during a poll: it stops publishing."""
