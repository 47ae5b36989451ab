"""Delivering a rendered reply: in a thread, privately (ephemeral or DM), or via a response URL.

Rate limits are handled by the Web API client's retry handler (it waits as long as Slack's
Retry-After says). What is handled here is where a reply can go: a public channel the bot is not
in is joined once, and a slash command answered where the bot cannot post (a private channel, a
DM between two people) gets its answer through the command's response URL.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.directory import Directory
from adapters.slack.render import Rendered
from bot.chat.events import Reply, Sent

log = logging.getLogger("entraide.slack")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_NOT_THERE = {"not_in_channel", "channel_not_found"}


class Outbound:
    def __init__(self, client: AsyncWebClient, directory: Directory) -> None:
        self.client = client
        self.directory = directory

    async def send(self, reply: Reply, rendered: Rendered, response_url: str | None = None) -> Sent | None:
        """Post ``reply``; where it landed (channel and ts), or None when it has no ts (ephemeral…)."""
        if reply.to is not None and not _USER_ID.match(reply.to.handle):
            log.info("reply to someone without a Slack account dropped", extra={"to": reply.to.handle})
            return None
        if reply.ephemeral and reply.to is not None and reply.conversation:
            if response_url:
                await self._respond(response_url, rendered, "ephemeral")
                return None
            ts = await self._ephemeral(reply, rendered)
            return Sent(reply.conversation, ts) if ts else None
        if reply.to is not None:
            channel = await self.directory.dm_channel(reply.to.handle)
            return Sent(channel, await self._post(channel, None, rendered))
        if not reply.conversation:
            log.warning("reply with nowhere to go dropped")
            return None
        try:
            ts = await self._post_joining(reply.conversation, reply.thread, rendered)
            return Sent(reply.conversation, ts)
        except SlackApiError as error:
            if response_url and error.response.get("error") in _NOT_THERE:
                await self._respond(response_url, rendered, "in_channel")
                return None
            raise

    async def _post(self, channel: str, thread: str | None, rendered: Rendered) -> str:
        response = await self.client.chat_postMessage(
            channel=channel, text=rendered.text, blocks=rendered.blocks, thread_ts=thread
        )
        ts = str(response["ts"])
        self.directory.remember_thread(channel, ts, thread)
        return ts

    async def _post_joining(self, channel: str, thread: str | None, rendered: Rendered) -> str:
        try:
            return await self._post(channel, thread, rendered)
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel" or not await self._join(channel):
                raise
        return await self._post(channel, thread, rendered)

    async def _ephemeral(self, reply: Reply, rendered: Rendered) -> str | None:
        assert reply.to is not None and reply.conversation is not None
        arguments: dict[str, Any] = {
            "channel": reply.conversation,
            "user": reply.to.handle,
            "text": rendered.text,
            "blocks": rendered.blocks,
            "thread_ts": reply.thread,
        }
        try:
            response = await self.client.chat_postEphemeral(**arguments)
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel" or not await self._join(reply.conversation):
                raise
            response = await self.client.chat_postEphemeral(**arguments)
        return str(response.get("message_ts") or "") or None

    async def _join(self, channel: str) -> bool:
        """Join a public channel so the bot can answer there; False where it cannot join."""
        try:
            await self.client.conversations_join(channel=channel)
        except SlackApiError as error:
            log.info("cannot join channel", extra={"channel": channel, "error": error.response.get("error")})
            return False
        return True

    async def _respond(self, url: str, rendered: Rendered, kind: str) -> None:
        webhook = AsyncWebhookClient(url, session=getattr(self.client, "session", None))
        response = await webhook.send(
            text=rendered.text, blocks=rendered.blocks, response_type=kind, replace_original=False
        )
        if response.status_code != 200:
            log.warning("response_url refused the answer", extra={"status": response.status_code})

    async def update_answered(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        """Replace a request's buttons by the answer chosen, so it cannot be answered twice."""
        try:
            await self.client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
        except SlackApiError as error:
            log.info("could not update the answered message", extra={"error": error.response.get("error")})
