"""Slack's rights, applied in the console too: a person whose token names their Slack user
(``alertorch tokens create --slack-user U…``) may take an action in the console only if Slack's
rules let that user take it (``slack.authorized_users``, ``slack.action_permissions``, user
groups read from Slack with SLACK_BOT_TOKEN), on top of the token's role. A token naming no
Slack user is judged by its role alone."""

from __future__ import annotations

from services.api.errors import ApiError
from services.api.tokens import TokenInfo
from shared.config.slack import SlackSection
from shared.slack.api import SlackApi
from shared.slack.groups import GroupMembers
from shared.slack.permissions import Permissions


class SlackRights:
    def __init__(self, settings: SlackSection, client: SlackApi | None) -> None:
        self.permissions = Permissions.of(settings)
        self.groups = GroupMembers(client)

    async def refusal(self, token: TokenInfo, action: str) -> str | None:
        """Why ``token``'s Slack user may not take ``action``, or None."""
        user = token.slack_user
        if user is None:
            return None
        members = await self.groups.members(self.permissions.groups(action))
        if self.permissions.allows(user, action, members):
            return None
        return (
            f"Slack user {user} may not {action}, in Slack or here: ask someone listed in "
            f"slack.authorized_users or slack.action_permissions.{action}"
        )

    async def check(self, token: TokenInfo, action: str) -> None:
        """403 when ``token``'s Slack user may not take ``action``."""
        if (why := await self.refusal(token, action)) is not None:
            raise ApiError(403, "forbidden", why)
