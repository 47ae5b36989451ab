"""A reply's file (a chart), shared after its message: Slack's upload flow since files.upload.

``files.upload`` was retired (closed to new apps in 2024, to all in November 2025). The flow that
replaced it is three steps: ``files.getUploadURLExternal`` (name, length, alt text) gives an
upload URL, the bytes are POSTed there, and ``files.completeUploadExternal`` shares the file in a
conversation (a thread, when given). slack_sdk's ``files_upload_v2`` does exactly these three
(since 3.23 it no longer calls ``files.info`` after them), so it is used as is; it needs the
``files:write`` scope.

A file carries no message metadata, so a resend (``attempt`` > 1) whose message was found
already posted looks, among the messages after it, for the bot's file of the same name and size
before uploading again: a delivery cut between the message and the file shares the file then,
and one cut after both shares nothing twice. Files in threads are not looked for (a channel's
history lists no thread replies), as for thread replies themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.events import Attachment

log = logging.getLogger("entraide.slack")
LOOK_AFTER = 20  # messages after a resent reply's post searched for its file


class Files:
    def __init__(self, client: AsyncWebClient, own: set[str]) -> None:
        self.client = client
        self._own = own  # the bot's user id and bot id: only its own files count

    async def share(self, channel: str, thread: str | None, file: Attachment) -> str | None:
        """Upload ``file`` into ``channel`` (in ``thread`` if given); its file id, or None when
        Slack refused it (a scope missing, uploads disabled): the message stands without it."""
        try:
            response = await self.client.files_upload_v2(
                filename=file.filename,
                content=file.data,
                title=file.alt or file.filename,
                alt_txt=file.alt or None,
                channel=channel,
                thread_ts=thread,
            )
        except SlackApiError as error:
            log.warning(
                "file not shared",
                extra={"channel": channel, "file": file.filename, "error": error.response.get("error")},
            )
            return None
        shared = response.get("files") or []
        return str(shared[0].get("id")) if shared else None

    async def shared_after(self, channel: str, ts: str, file: Attachment) -> bool:
        """Whether the bot already shared ``file`` (same name and size) in ``channel`` after the
        message ``ts``; False when it cannot tell (the history cannot be read): share, at least once."""
        try:
            response = await self.client.conversations_history(channel=channel, oldest=ts, limit=LOOK_AFTER)
        except SlackApiError as error:
            log.info(
                "cannot look for an earlier file: sharing",
                extra={"channel": channel, "error": error.response.get("error")},
            )
            return False
        return any(
            _same_file(shared, file)
            for message in response.get("messages") or []
            if {message.get("user"), message.get("bot_id")} & self._own
            for shared in message.get("files") or []
        )


def _same_file(shared: dict[str, Any], file: Attachment) -> bool:
    return shared.get("name") == file.filename and shared.get("size") == len(file.data)
