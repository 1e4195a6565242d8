"""Talking to Slack, for every service that does: the Web API and webhook clients, user-group
members, and who may take which action (``slack.authorized_users``,
``slack.action_permissions``)."""
