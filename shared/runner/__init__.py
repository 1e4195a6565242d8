"""The service runner every service is built on: consumers, producer, HTTP surface, shutdown."""

from shared.runner.inbound import Handler, Inbound
from shared.runner.service import Service, Subscription
from shared.runner.typed import event_handler

__all__ = ["Handler", "Inbound", "Service", "Subscription", "event_handler"]
