"""Delivery of notifications to their targets (Slack, PagerDuty, GitHub, Jira, e-mail, console,
and registered integrations)."""
