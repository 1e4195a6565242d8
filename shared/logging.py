"""structlog set-up: JSON lines off a TTY, readable console output on a TTY.

Per-message context (event id, correlation id, topic, partition, offset) is bound with
:func:`bound_context` and appears on every log line emitted while handling that message.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from pydantic import SecretStr

_SECRET_WORDS = ("token", "secret", "password", "authorization", "api_key", "webhook_url")


MASK = "**********"


def secret_key(name: str) -> bool:
    """Whether a key's value is a secret by its name (token, password, webhook URL, ...)."""
    return any(word in name.lower() for word in _SECRET_WORDS)


def _redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """Mask values of keys that look secret, and any SecretStr, before rendering."""
    for key, value in list(event_dict.items()):
        if isinstance(value, SecretStr) or (value and secret_key(key)):
            event_dict[key] = MASK
    return event_dict


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure structlog and the stdlib root logger once per process."""
    use_json = (not sys.stderr.isatty()) if json is None else json
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = max(logging.getLevelName(level), logging.WARNING)
    # aiokafka reports every refused connection during broker start-up at ERROR.
    logging.getLogger("aiokafka").setLevel(quiet)
    # httpx and httpcore log every request's full URL at INFO and DEBUG: addresses that are
    # secrets (an incoming-webhook URL, a private calendar feed) must never reach a log.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(quiet)


@contextmanager
def bound_context(**values: Any) -> Iterator[None]:
    """Bind ``values`` to every log line within the block (per message, per request)."""
    with structlog.contextvars.bound_contextvars(**values):
        yield
