"""Ingest: errors in from Sentry (API polling, webhooks, SDKs), custom alerts and Alertmanager,
out on ``errors.raw``. As a library: :class:`SentryMonitor`."""

from services.ingest.monitor import PatternGroup, PatternReport, SentryMonitor

__all__ = ["PatternGroup", "PatternReport", "SentryMonitor"]
