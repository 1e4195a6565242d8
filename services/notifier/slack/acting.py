"""After a press: find the problem it is about, tell the user (ephemeral), and show who acted on
the pressed message and on the problem's root card."""

from __future__ import annotations

import structlog

from services.notifier.slack.presses import Press, acted_blocks
from services.notifier.slack.rendering import Renderer, update_body
from services.notifier.slack.state import Root, SlackState
from shared.slack.api import SlackApi

log = structlog.get_logger(__name__)


class Acting:
    def __init__(
        self,
        *,
        client: SlackApi | None,
        state: SlackState,
        renderer: Renderer | None = None,
    ) -> None:
        self.client = client
        self.state = state
        self.renderer = renderer or Renderer()

    async def find(self, press: Press) -> tuple[str, str | None] | None:
        """The fingerprint and attempt id a press is about: from the button's value, else from
        our record of the message (the snooze select carries no value)."""
        if press.value is not None:
            return press.value.fingerprint, press.value.attempt_id
        if press.channel_id and press.message_ts:
            message = await self.state.message(press.channel_id, press.message_ts)
            if message is not None:
                return message.fingerprint, message.attempt_id
        return None

    async def incident_problems(self, press: Press, incident: str) -> list[tuple[str, str | None]]:
        """The problems (fingerprint, attempt id) of ``incident`` on the pressed card."""
        if not press.channel_id or not press.message_ts:
            return []
        message = await self.state.message(press.channel_id, press.message_ts)
        if message is None:
            return []
        root = await self.state.root(message.fingerprint, message.channel)
        if root is None or root.ts != press.message_ts:
            return []
        card = await self.state.card(root)
        return [(r.fingerprint, r.attempt_id) for r in card if r.incident == incident]

    async def tell(self, press: Press, text: str) -> None:
        """An ephemeral message only the user who pressed sees."""
        if self.client is None or not press.channel_id:
            return
        answer = await self.client.call(
            "chat.postEphemeral", {"channel": press.channel_id, "user": press.user_id, "text": text}
        )
        if not answer.ok:
            log.warning("slack ephemeral not sent", error=answer.error, user=press.user_id)

    async def show(self, press: Press, *fingerprints: str) -> None:
        """Record who acted on each problem, and show it on the pressed message and the root
        card."""
        text = press.done_text()
        root = None
        for fingerprint in fingerprints:
            root = await self._record(press, fingerprint, text) or root
        if self.client is None or not press.channel_id or not press.message_ts:
            return
        on_root = root is not None and root.ts == press.message_ts
        if not on_root and press.blocks:
            body = update_body(
                press.channel_id, press.message_ts, acted_blocks(press.blocks, text), text
            )
            answer = await self.client.call("chat.update", body)
            if not answer.ok:
                log.warning("slack message not updated", error=answer.error)
        if root is not None and root.ts:
            blocks, fallback = self.renderer.drawn(await self.state.card(root))
            answer = await self.client.call(
                "chat.update", update_body(root.channel_id, root.ts, blocks, fallback)
            )
            if not answer.ok:
                log.warning("slack root not updated", error=answer.error, ts=root.ts)

    async def _record(self, press: Press, fingerprint: str, text: str) -> Root | None:
        if not press.channel_id or not press.message_ts:
            return None
        message = await self.state.message(press.channel_id, press.message_ts)
        if message is None:
            return None
        if message.fingerprint != fingerprint:  # on an incident's card: one of its problems
            root = await self.state.root(fingerprint, message.channel)
            if root is None or root.ts != press.message_ts:
                return None
        return await self.state.set_acted_by(fingerprint, message.channel, text)
