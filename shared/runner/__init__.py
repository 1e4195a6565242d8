"""The service runner every service is built on: consumers, producer, HTTP surface, shutdown."""

from shared.kafka.consumed import Consumed
from shared.runner.batch import BatchHandler, Handler, PartialBatch, each
from shared.runner.service import Service, Subscription
from shared.runner.typed import decoder, decoding, event_handler

__all__ = [
    "BatchHandler",
    "Consumed",
    "Handler",
    "PartialBatch",
    "Service",
    "Subscription",
    "decoder",
    "decoding",
    "each",
    "event_handler",
]
