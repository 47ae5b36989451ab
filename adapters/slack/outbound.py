"""Delivering a rendered reply: in a thread, privately (ephemeral or DM), or via a response URL.

Rate limits are handled by the Web API client's retry handler (it waits as long as Slack's
Retry-After says). What is handled here is where a reply can go: a public channel the bot is not
in is joined once, and a slash command answered where the bot cannot post (a private channel, a
DM between two people) gets its answer through the command's response URL.

A reply's file (a chart) is shared after its message, in the same conversation or thread
(:mod:`adapters.slack.files`); an ephemeral reply with a file goes to the person's DM instead,
since ephemeral messages cannot carry files.

Every post of a keyed reply carries the key as message metadata. A reply sent again after a
delivery that may have landed unrecorded (``attempt`` > 1) is first looked for, by that key, in
the recent history of its channel or DM, and not posted twice. Thread replies are not looked for:
the spec and its supplement give ``include_all_metadata`` to ``conversations.history`` only, and
the history lists a thread's parent, not its replies — so a thread reply whose delivery was cut may
still be posted twice. So may a post the look back no longer reaches (more than ``LOOK_BACK``
messages since), and when the history cannot be read the reply is posted: at least once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.directory import Directory
from adapters.slack.files import Files
from adapters.slack.render import Rendered
from bot.chat.events import Reply, Sent

log = logging.getLogger("entraide.slack")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_NOT_THERE = {"not_in_channel", "channel_not_found"}
METADATA_TYPE = "entraide_message"  # the event_type of the metadata every keyed post carries
LOOK_BACK = 100  # messages of a channel's history searched for an earlier post of a resent reply


class Outbound:
    def __init__(self, client: AsyncWebClient, directory: Directory, bot_user: str, bot_id: str = "") -> None:
        self.client = client
        self.directory = directory
        # Only the bot's own messages count as earlier posts (its user id, or its bot id).
        self._own = {bot_user, bot_id} - {""}
        self.files = Files(client, self._own)

    async def send(self, reply: Reply, rendered: Rendered, response_url: str | None = None) -> Sent | None:
        """Post ``reply``, then its file if it has one; where the message landed (channel and
        ts), or None when it has no ts (ephemeral…)."""
        file = reply.attachment
        if file is not None and reply.ephemeral and reply.to is not None:
            # An ephemeral message cannot carry a file: the whole answer goes to the person's DM,
            # where they see it with its file (and only they do, as they would have).
            reply = replace(reply, ephemeral=False, conversation=None, thread=None)
        sent = await self._send_message(reply, rendered, response_url)
        if file is None:
            return sent
        if sent is None:
            # Answered through a response URL (a channel the bot cannot post in): no file there.
            log.warning("file not shared: nowhere to share it", extra={"file": file.filename})
            return None
        thread = None if reply.to is not None else reply.thread
        if (
            thread is None
            and reply.attempt > 1
            and await self.files.shared_after(sent.conversation, sent.message_id, file)
        ):
            log.info("resent reply's file found already shared", extra={"key": (reply.key or "")[:80]})
            return sent
        await self.files.share(sent.conversation, thread, file)
        return sent

    async def _send_message(self, reply: Reply, rendered: Rendered, response_url: str | None) -> Sent | None:
        if reply.to is not None and not _USER_ID.match(reply.to.handle):
            log.info("reply to someone without a Slack account dropped", extra={"to": reply.to.handle})
            return None
        if reply.ephemeral and reply.to is not None and reply.conversation:
            if response_url:
                await self._respond(response_url, rendered, "ephemeral")
                return None
            ts = await self._ephemeral(reply, rendered)
            return Sent(reply.conversation, ts) if ts else None
        metadata = _metadata(reply)
        if reply.to is not None:
            channel = await self.directory.dm_channel(reply.to.handle)
            earlier = await self._earlier_post(channel, reply)
            if earlier:
                return Sent(channel, earlier)
            return Sent(channel, await self._post(channel, None, rendered, metadata))
        if not reply.conversation:
            log.warning("reply with nowhere to go dropped")
            return None
        if reply.thread is None:
            earlier = await self._earlier_post(reply.conversation, reply)
            if earlier:
                return Sent(reply.conversation, earlier)
        try:
            ts = await self._post_joining(reply.conversation, reply.thread, rendered, metadata)
            return Sent(reply.conversation, ts)
        except SlackApiError as error:
            if response_url and error.response.get("error") in _NOT_THERE:
                await self._respond(response_url, rendered, "in_channel")
                return None
            raise

    async def _earlier_post(self, channel: str, reply: Reply) -> str | None:
        """The ts of the bot's top-level message in ``channel`` carrying ``reply``'s key, when this
        is a resend (an earlier attempt may have landed); None when there is none to be found."""
        if reply.attempt <= 1 or not reply.key:
            return None
        try:
            response = await self.client.conversations_history(
                channel=channel, limit=LOOK_BACK, include_all_metadata=True
            )
        except SlackApiError as error:
            # Not in the channel (joined when posting), a scope missing…: post, at least once.
            log.info(
                "cannot look for an earlier post: posting",
                extra={"channel": channel, "error": error.response.get("error")},
            )
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                {message.get("user"), message.get("bot_id")} & self._own
                and metadata.get("event_type") == METADATA_TYPE
                and payload.get("key") == reply.key
            ):
                log.info("resent reply found already posted", extra={"key": reply.key[:80]})
                return str(message["ts"])
        return None

    async def _post(
        self, channel: str, thread: str | None, rendered: Rendered, metadata: Metadata | None
    ) -> str:
        response = await self.client.chat_postMessage(
            channel=channel, text=rendered.text, blocks=rendered.blocks, thread_ts=thread, metadata=metadata
        )
        ts = str(response["ts"])
        self.directory.remember_thread(channel, ts, thread)
        return ts

    async def _post_joining(
        self, channel: str, thread: str | None, rendered: Rendered, metadata: Metadata | None
    ) -> str:
        try:
            return await self._post(channel, thread, rendered, metadata)
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel" or not await self._join(channel):
                raise
        return await self._post(channel, thread, rendered, metadata)

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


def _metadata(reply: Reply) -> Metadata | None:
    """What identifies a keyed reply's post to a later look (ephemeral messages and response
    URL answers cannot carry it)."""
    return Metadata(event_type=METADATA_TYPE, event_payload={"key": reply.key}) if reply.key else None
