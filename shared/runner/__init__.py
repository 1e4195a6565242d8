"""The service runner every service is built on: consumers, producer, HTTP surface, shutdown."""

from shared.kafka.consumed import Consumed
from shared.runner.batch import BatchHandler, Handler, PartialBatch, each
from shared.runner.service import Service, Subscription
from shared.runner.typed import decoder, decoding

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
]
