"""Delivery of notifications to their targets (Slack, PagerDuty, GitHub, e-mail, console, and
registered integrations)."""
