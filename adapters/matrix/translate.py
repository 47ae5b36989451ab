"""Matrix event dicts → :class:`bot.events.Event`, as pure functions.

Everything here works on the event's JSON (``nio`` event ``.source``, decrypted when it was
encrypted) plus a :class:`RoomView` describing the room, so it can be tested against recorded
payloads without a server. Fetching what a payload does not say (the author of a reacted-to
message, its thread) is the adapter's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

from bot.chat.events import Event, EventKind, UserRef
from bot.chat.reactions import NO, SOLVED, YES, emoji_name

PLATFORM = "matrix"
# A Matrix user id as people type it: "@" localpart ":" server (with an optional port).
USER_ID = re.compile(r"@[a-z0-9._=/+\-]+:[a-z0-9.\-]+(?::\d+)?(?![a-z0-9.\-])", re.IGNORECASE)
_MEANINGFUL = {emoji_name(e) for e in SOLVED | YES | NO}
_BLOCKS = {"p", "div", "li", "blockquote", "pre", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass(frozen=True)
class RoomView:
    """What the adapter knows about the room an event arrived in."""

    room_id: str
    bot_user_id: str
    command_prefix: str = "!entraide"
    bot_display: str = ""
    is_direct: bool = False
    is_help: bool = False
    # user id → display name of the members, to name senders and mentioned people
    members: Mapping[str, str] = field(default_factory=dict)

    def display(self, user_id: str) -> str:
        return self.members.get(user_id, "")


def relation(content: Mapping[str, Any]) -> Mapping[str, Any]:
    relates = content.get("m.relates_to")
    return relates if isinstance(relates, Mapping) else {}


def thread_root(content: Mapping[str, Any]) -> str | None:
    relates = relation(content)
    root = relates.get("event_id")
    if relates.get("rel_type") == "m.thread" and isinstance(root, str):
        return root
    return None


def in_reply_to(content: Mapping[str, Any]) -> str | None:
    target = relation(content).get("m.in_reply_to")
    event_id = target.get("event_id") if isinstance(target, Mapping) else None
    return event_id if isinstance(event_id, str) else None


def strip_reply_fallback(body: str) -> str:
    """The body without the "> <@someone> quoted text" lines a reply starts with."""
    lines = body.split("\n")
    index = 0
    while index < len(lines) and (lines[index].startswith("> ") or lines[index] == ">"):
        index += 1
    if index == 0:
        return body
    if index < len(lines) and lines[index] == "":
        index += 1
    return "\n".join(lines[index:])


def user_id_from_link(href: str) -> str | None:
    """The user a pill links to: https://matrix.to/#/@u:s or matrix:u/u:s, else None."""
    href = href.strip()
    if href.startswith("https://matrix.to/#/"):
        target = unquote(href.removeprefix("https://matrix.to/#/").split("?", 1)[0])
        return target if target.startswith("@") and ":" in target else None
    if href.startswith("matrix:u/"):
        target = unquote(href.removeprefix("matrix:u/").split("?", 1)[0])
        return f"@{target}" if ":" in target else None
    return None


class _HtmlText(HTMLParser):
    """Readable text of a formatted body: pills become user ids, the reply quote goes away."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pills: list[tuple[str, str]] = []  # (user id, text shown)
        self._reply_depth = 0
        self._pill: str | None = None
        self._pill_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._reply_depth += 1
        elif self._reply_depth:
            return
        elif tag == "a":
            user = user_id_from_link(dict(attrs).get("href") or "")
            if user is not None:
                self._pill, self._pill_text = user, []
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._reply_depth = max(0, self._reply_depth - 1)
        elif self._reply_depth:
            return
        elif tag == "a" and self._pill is not None:
            self.parts.append(self._pill)
            self.pills.append((self._pill, "".join(self._pill_text).strip()))
            self._pill = None
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._reply_depth:
            return
        if self._pill is not None:
            self._pill_text.append(data)
        else:
            self.parts.append(data)


def message_text(content: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """The text a person wrote, with pills as "@user:server", and the pills (id, shown text).

    The formatted body is read only when it holds a pill: it is then the only place saying who
    was mentioned (the plain body shows a display name). Otherwise the plain body is the truth.
    """
    body = content.get("body")
    body = body if isinstance(body, str) else ""
    formatted = content.get("formatted_body")
    if (
        content.get("format") == "org.matrix.custom.html"
        and isinstance(formatted, str)
        and ("matrix.to/#/@" in formatted or "matrix.to/#/%40" in formatted or "matrix:u/" in formatted)
    ):
        parser = _HtmlText()
        parser.feed(formatted)
        parser.close()
        text = "".join(parser.parts)
        return "\n".join(line.strip() for line in text.strip().split("\n")), parser.pills
    if in_reply_to(content):
        body = strip_reply_fallback(body)
    return body.strip(), []


def _mentions(
    text: str, pills: list[tuple[str, str]], content: Mapping[str, Any], room: RoomView
) -> tuple[UserRef, ...]:
    found: dict[str, str] = {}
    for user_id, shown in pills:
        found.setdefault(user_id, room.display(user_id) or shown.lstrip("@"))
    for match in USER_ID.finditer(text):
        found.setdefault(match.group(0), room.display(match.group(0)))
    declared = content.get("m.mentions")
    ids = declared.get("user_ids") if isinstance(declared, Mapping) else None
    for user_id in ids if isinstance(ids, list) else []:
        if isinstance(user_id, str) and user_id.startswith("@"):
            found.setdefault(user_id, room.display(user_id))
    found.pop(room.bot_user_id, None)
    return tuple(UserRef(PLATFORM, user_id, display) for user_id, display in found.items())


def _addressed(text: str, room: RoomView) -> str | None:
    """The text after the command prefix or a leading mention of the bot; None if neither."""
    prefix = room.command_prefix
    if prefix and text[: len(prefix)].casefold() == prefix.casefold():
        rest = text[len(prefix) :]
        if not rest or rest[0].isspace():
            return rest.strip()
    for name in (room.bot_user_id, room.bot_display):
        if name and text[: len(name)].casefold() == name.casefold():
            rest = text[len(name) :]
            if not rest or rest[0] in " \t\n:,":
                return rest.lstrip(" \t\n:,").strip()
    return None


def translate(source: Mapping[str, Any], room: RoomView) -> Event | None:
    """The event the core should see, or None for what the bot ignores."""
    event_id, sender = source.get("event_id"), source.get("sender")
    content = source.get("content")
    if not isinstance(event_id, str) or not isinstance(sender, str) or not isinstance(content, Mapping):
        return None
    if sender == room.bot_user_id or "state_key" in source:
        return None
    kind = source.get("type")
    if kind == "m.reaction":
        return _reaction(event_id, sender, content, room)
    if kind != "m.room.message":
        return None
    msgtype = content.get("msgtype")
    # Edits re-send a whole message; answering them would answer it twice. Notices are what
    # bots send, and bots answering bots loop forever.
    if relation(content).get("rel_type") == "m.replace" or msgtype not in ("m.text", "m.emote"):
        return None
    if not isinstance(content.get("body"), str):
        return None
    text, pills = message_text(content)
    if not text:
        return None
    base = Event(
        platform=PLATFORM,
        event_id=event_id,
        conversation=room.room_id,
        sender=UserRef(PLATFORM, sender, room.display(sender)),
        thread=thread_root(content),
        message_id=event_id,
        is_direct=room.is_direct,
        in_help_channel=room.is_help and not room.is_direct,
    )
    replied = in_reply_to(content)
    short = emoji_name(text) if len(text) <= 16 else ""
    if replied and short in _MEANINGFUL:
        # Answering a request with a bare 👍 as a reply means the same as reacting with it.
        return _with(base, kind=EventKind.REACTION, reaction=text.strip(), target_message=replied)
    rest = _addressed(text, room)
    mentions = _mentions(text if rest is None else rest, pills, content, room)
    if rest is not None:
        return _with(base, kind=EventKind.COMMAND, text=rest, mentions=mentions)
    return _with(base, kind=EventKind.MESSAGE, text=text, mentions=mentions)


def _reaction(event_id: str, sender: str, content: Mapping[str, Any], room: RoomView) -> Event | None:
    relates = relation(content)
    target, key = relates.get("event_id"), relates.get("key")
    if relates.get("rel_type") != "m.annotation" or not isinstance(target, str) or not isinstance(key, str):
        return None
    if emoji_name(key) not in _MEANINGFUL:
        return None  # nothing to do, and not worth fetching the target for
    return Event(
        platform=PLATFORM,
        event_id=event_id,
        conversation=room.room_id,
        sender=UserRef(PLATFORM, sender, room.display(sender)),
        kind=EventKind.REACTION,
        reaction=key,
        target_message=target,
        is_direct=room.is_direct,
        in_help_channel=room.is_help and not room.is_direct,
    )


def _with(base: Event, **changes: Any) -> Event:
    return replace(base, **changes)


def after_own_join(sources: Sequence[Mapping[str, Any]], bot_user_id: str) -> int:
    """Index of the first event after the bot joined, when it joined within these events.

    A room's first sync after joining carries history from before: none of it was addressed to
    the bot, and answering it would dig up needs solved long ago.
    """
    start = 0
    for index, source in enumerate(sources):
        if source.get("type") != "m.room.member" or source.get("state_key") != bot_user_id:
            continue
        content = source.get("content")
        unsigned = source.get("unsigned")
        previous = unsigned.get("prev_content") if isinstance(unsigned, Mapping) else None
        was_joined = isinstance(previous, Mapping) and previous.get("membership") == "join"
        if isinstance(content, Mapping) and content.get("membership") == "join" and not was_joined:
            start = index + 1
    return start


def invite_decision(
    inviter: str,
    room_id: str,
    *,
    bot_user_id: str,
    allowed_servers: list[str],
    allowed_rooms: set[str],
) -> bool:
    """Whether to accept an invitation. With no list configured, the bot's own server is trusted."""
    if room_id in allowed_rooms:
        return True
    server = inviter.partition(":")[2].casefold()
    servers = {s.casefold() for s in allowed_servers} or {bot_user_id.partition(":")[2].casefold()}
    return bool(server) and server in servers


def invite_info(state: Sequence[Mapping[str, Any]], bot_user_id: str) -> tuple[str, bool]:
    """Who invited the bot and whether they flagged the room as a direct chat."""
    for event in state:
        if event.get("type") == "m.room.member" and event.get("state_key") == bot_user_id:
            content = event.get("content")
            direct = isinstance(content, Mapping) and content.get("is_direct") is True
            sender = event.get("sender")
            return (sender if isinstance(sender, str) else "", direct)
    return ("", False)
