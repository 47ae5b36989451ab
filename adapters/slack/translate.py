"""Slack payloads → :class:`bot.events.Event`, as pure functions.

Nothing here talks to Slack: the adapter looks up what a payload does not say (display names,
whether a channel is a help channel, the thread a reacted-to message lives in) and passes it in,
so these functions can be tested on recorded payloads alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.chat.events import ButtonPress, Event, EventKind, UserRef

PLATFORM = "slack"

# Slack's markup in message text: <@U123>, <@U123|name>, <#C123|general>, <!here>, <url|label>.
_TOKEN = re.compile(r"<([^<>]*)>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
# Message subtypes that are still someone talking; edits, joins, deletions and the like are not.
_TALKING_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}
# Message events from a private channel ("group") or a group DM ("mpim"): not everyone reads them.
PRIVATE_CHANNEL_TYPES = frozenset({"group", "mpim"})
# Buttons only Slack shows, mapped onto the core command they stand for: "Suggest someone else"
# declines, and declining makes the core ask the next colleague in line.
ACTION_ALIASES = {"other": "decline"}

Payload = Mapping[str, Any]


def unescape(text: str) -> str:
    """Slack escapes exactly these three in text it sends; "&amp;" last so "&amp;lt;" stays "&lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def user_ids_in(text: str) -> list[str]:
    """The user ids mentioned in Slack-formatted ``text``, in order, without repeats."""
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        inner = match.group(1)
        if inner.startswith("@"):
            user = inner[1:].split("|", 1)[0]
            if user not in found:
                found.append(user)
    return found


def parse_text(text: str, names: Mapping[str, str]) -> tuple[str, tuple[UserRef, ...]]:
    """Plain text with ``@U123`` tokens for mentions, and the people mentioned.

    A mention keeps the user id as its token: ids never collide, names do.
    """
    mentions: list[UserRef] = []
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(unescape(text[last : match.start()]))
        parts.append(_token_text(match.group(1), names, mentions))
        last = match.end()
    parts.append(unescape(text[last:]))
    return "".join(parts), tuple(mentions)


def _token_text(inner: str, names: Mapping[str, str], mentions: list[UserRef]) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        user = target[1:]
        if _USER_ID.match(user):
            ref = UserRef(PLATFORM, user, names.get(user) or label)
            if ref not in mentions:
                mentions.append(ref)
            return f"@{user}"
        return label or target
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        # <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>: keep what a reader saw.
        if label:
            return label
        return "@" + target[1:].split("^", 1)[0]
    url = unescape(target)
    return f"{label} ({url})" if label and label != url else url


def strip_leading_mention(text: str, user_id: str) -> str:
    """``<@BOT> skills add Go`` → ``skills add Go`` (the bot mention anywhere is dropped)."""
    return re.sub(rf"<@{re.escape(user_id)}(\|[^>]*)?>[:,]?", " ", text).strip()


def _sender(user: str, names: Mapping[str, str]) -> UserRef:
    return UserRef(PLATFORM, user, names.get(user, ""))


def message_event(
    envelope: Payload,
    *,
    bot_user_id: str,
    names: Mapping[str, str],
    in_help_channel: bool,
) -> Event | None:
    """A ``message`` event (channel, group, DM); None for edits, joins and what the bot ignores."""
    event = envelope["event"]
    subtype = event.get("subtype")
    if subtype not in _TALKING_SUBTYPES and subtype != "bot_message":
        return None
    channel_type = event.get("channel_type", "")
    raw = event.get("text") or ""
    if channel_type != "im" and f"<@{bot_user_id}" in raw:
        return None  # the app_mention event for the same message is the one that counts
    user = event.get("user") or event.get("bot_id") or ""
    text, mentions = parse_text(raw, names)
    ts = event.get("ts", "")
    is_direct = channel_type == "im"
    return Event(
        platform=PLATFORM,
        event_id=envelope.get("event_id") or f"message:{event.get('channel')}:{ts}",
        conversation=event.get("channel", ""),
        sender=_sender(user, names),
        text=text,
        kind=EventKind.MESSAGE,
        # A top-level channel message roots its own thread: answers go under it, not in the channel.
        thread=None if is_direct else (event.get("thread_ts") or ts),
        message_id=ts,
        is_direct=is_direct,
        mentions=mentions,
        sender_is_bot=bool(event.get("bot_id")) or subtype == "bot_message",
        in_help_channel=in_help_channel and not is_direct,
        is_private=channel_type in PRIVATE_CHANNEL_TYPES,
    )


def mention_event(
    envelope: Payload,
    *,
    bot_user_id: str,
    names: Mapping[str, str],
    in_help_channel: bool,
    is_command: Callable[[str], bool],
    is_private: bool = False,
) -> Event | None:
    """``app_mention``: a command, unless it reads like a need in a help channel."""
    event = envelope["event"]
    raw = strip_leading_mention(event.get("text") or "", bot_user_id)
    text, mentions = parse_text(raw, names)
    first = text.split(maxsplit=1)[0] if text.split() else ""
    kind = EventKind.COMMAND
    if in_help_channel and first and not is_command(first):
        kind = EventKind.MESSAGE  # "@entraide anyone know Terraform?" is a need, not a command
    ts = event.get("ts", "")
    return Event(
        platform=PLATFORM,
        event_id=envelope.get("event_id") or f"mention:{event.get('channel')}:{ts}",
        conversation=event.get("channel", ""),
        sender=_sender(event.get("user", ""), names),
        text=text or "help",
        kind=kind,
        thread=event.get("thread_ts") or ts,
        message_id=ts,
        mentions=tuple(m for m in mentions if m.handle != bot_user_id),
        sender_is_bot=bool(event.get("bot_id")),
        in_help_channel=in_help_channel,
        is_private=is_private,
    )


def reaction_event(envelope: Payload, *, names: Mapping[str, str], thread: str | None) -> Event | None:
    """``reaction_added`` on a message; ``thread`` is the root of the thread it is in, if any."""
    event = envelope["event"]
    item = event.get("item") or {}
    if item.get("type") != "message":
        return None
    author = event.get("item_user")
    channel = item.get("channel", "")
    return Event(
        platform=PLATFORM,
        event_id=envelope.get("event_id") or f"reaction:{event.get('user')}:{event.get('event_ts')}",
        conversation=channel,
        sender=_sender(event.get("user", ""), names),
        kind=EventKind.REACTION,
        reaction=event.get("reaction", ""),
        target_message=item.get("ts"),
        target_author=_sender(author, names) if author else None,
        thread=thread,
        is_direct=channel.startswith("D"),
    )


def command_event(payload: Payload, *, names: Mapping[str, str], is_private: bool = False) -> Event:
    """A ``/entraide …`` slash command; with no text it asks for help. ``is_private``: the channel
    is a private channel or a group DM (the payload does not say it reliably; the adapter asks)."""
    text, mentions = parse_text(payload.get("text") or "", names)
    user = payload.get("user_id", "")
    return Event(
        platform=PLATFORM,
        # Slack never retries a slash command; its trigger id is unique per invocation.
        event_id=f"command:{payload.get('trigger_id') or payload.get('user_id')}",
        conversation=payload.get("channel_id", ""),
        sender=UserRef(PLATFORM, user, names.get(user) or payload.get("user_name", "")),
        text=text.strip() or "help",
        kind=EventKind.COMMAND,
        mentions=mentions,
        is_private=is_private,
    )


def action_event(payload: Payload, action: Payload, *, names: Mapping[str, str], conversation: str) -> Event:
    """A button pressed on one of the bot's messages (or on its App Home)."""
    user = (payload.get("user") or {}).get("id", "")
    container = payload.get("container") or {}
    press = ButtonPress.parse(str(action.get("value", "")))
    if press is not None:
        press = ButtonPress(ACTION_ALIASES.get(press.verb, press.verb), press.target)
    return Event(
        platform=PLATFORM,
        event_id=f"action:{user}:{action.get('action_ts') or payload.get('trigger_id')}",
        conversation=conversation,
        sender=_sender(user, names),
        kind=EventKind.ACTION,
        action=press,
        target_message=container.get("message_ts"),
        thread=container.get("thread_ts"),
        # Buttons only exist on the bot's messages; one in a DM is in the DM with the bot.
        is_direct=conversation.startswith("D"),
    )
