"""The service runner every service is built on: consumers, producer, HTTP surface, shutdown."""

from shared.runner.inbound import Handler, Inbound
from shared.runner.service import Service, Subscription

__all__ = ["Handler", "Inbound", "Service", "Subscription"]
