"""Events API payloads → events, with the lookups a payload leaves to the receiver.

Which channel is a help channel and whether it is private, who is who, which thread a reacted-to
message is in: each is asked of :class:`Directory` (cached), then the pure functions of
:mod:`translate` do the rest.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.directory import Directory
from adapters.slack.translate import mention_event, message_event, reaction_event, user_ids_in
from bot.chat.events import Event
from bot.chat.reactions import NO, SOLVED, YES, emoji_name
from bot.commands import registry

MEANINGFUL = {emoji_name(e) for e in SOLVED | YES | NO}
SOLVING = {emoji_name(e) for e in SOLVED}


async def event_from(body: dict[str, Any], directory: Directory, bot: str) -> Event | None:
    """The event for a ``message``, ``app_mention`` or ``reaction_added`` payload, if it is one."""
    payload = body.get("event") or {}
    kind = payload.get("type")
    event: Event | None = None
    channel = str(payload.get("channel") or (payload.get("item") or {}).get("channel") or "")
    if kind == "message":
        # Only help channels and DMs are read: other chatter is none of the bot's business.
        is_dm = payload.get("channel_type") == "im"
        if not is_dm and not await directory.is_help_channel(channel):
            return None
        text = str(payload.get("text") or "")
        names = await directory.names([str(payload.get("user") or ""), *user_ids_in(text)])
        event = message_event(body, bot_user_id=bot, names=names, in_help_channel=not is_dm)
        if payload.get("ts"):
            directory.remember_thread(channel, str(payload["ts"]), payload.get("thread_ts"))
    elif kind == "app_mention":
        text = str(payload.get("text") or "")
        names = await directory.names([str(payload.get("user") or ""), *user_ids_in(text)])
        event = mention_event(
            body,
            bot_user_id=bot,
            names=names,
            in_help_channel=await directory.is_help_channel(channel),
            is_command=lambda word: registry().get(word) is not None,
            is_private=await directory.is_private(channel),
        )
    elif kind == "reaction_added":
        name = emoji_name(str(payload.get("reaction") or ""))
        if name not in MEANINGFUL:
            return None  # most reactions mean nothing to the bot: no lookups, no database write
        item_ts = str((payload.get("item") or {}).get("ts") or "")
        thread = await directory.thread_of(channel, item_ts) if name in SOLVING and item_ts else None
        names = await directory.names([str(payload.get("user") or ""), str(payload.get("item_user") or "")])
        event = reaction_event(body, names=names, thread=thread)
    return event
