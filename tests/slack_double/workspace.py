"""The state of a pretend Slack workspace, and its Web API methods answering like Slack's.

Errors are ``ok: false`` with Slack's own error codes; checks are the ones Slack makes (the bot
must be in a channel to post there, a user must be in it to get an ephemeral message, blocks
must respect Block Kit's limits, metadata must be shaped as Slack's) so the adapter meets here
what it would meet in production. Messages keep the metadata they were posted with; reading a
history shows it only to who asks for it (``include_all_metadata``), as Slack does.
"""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.slack_double import files
from tests.slack_double.checks import ApiError, arg, check_blocks, flag, json_arg, metadata_arg, timestamp

TEAM_ID = "T0ENTRAIDE"
APP_ID = "A0ENTRAIDE"
BOT_USER = files.BOT_USER
BOT_ID = files.BOT_ID


@dataclass
class Channel:
    id: str
    name: str
    kind: str = "channel"  # channel | group (private) | mpim (group DM) | im
    members: set[str] = field(default_factory=set)
    peer: str = ""  # the other person of a DM with the bot

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": self.kind == "channel",
            "is_group": self.kind == "group",
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "channel",
            "is_member": BOT_USER in self.members,
            **({"user": self.peer} if self.kind == "im" else {}),
        }


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    reply_count: int = 0
    metadata: dict[str, Any] | None = None  # message metadata: event_type and event_payload
    broadcast: bool = False  # a thread reply also sent to the channel
    files: list[dict[str, Any]] = field(default_factory=list)  # files shared with the message

    def as_dict(self, *, with_metadata: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        if self.broadcast:
            data["subtype"] = "thread_broadcast"
        if with_metadata and self.metadata is not None:
            data["metadata"] = self.metadata
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        elif self.reply_count:
            data["thread_ts"] = self.ts  # a parent carries its own ts as thread_ts once answered
            data["reply_count"] = self.reply_count
        if self.blocks:
            data["blocks"] = self.blocks
        if self.bot_id:
            data["bot_id"] = self.bot_id
        if self.files:
            data["files"], data["upload"] = self.files, True
        return data


@dataclass
class UserGroup:
    """A user group (a "subteam" in the API): ``@handle`` and its members."""

    id: str
    handle: str
    users: list[str] = field(default_factory=list)
    enabled: bool = True


def _offset(cursor: Any) -> int:
    """Where a page starts: the double's cursors are opaque to clients, like Slack's."""
    if not cursor:
        return 0
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
        if text.startswith("offset:") and text[7:].isdigit():
            return int(text[7:])
    except ValueError:
        pass
    raise ApiError("invalid_cursor")


class Workspace:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.modals: list[dict[str, Any]] = []
        self.triggers: dict[str, tuple[str, float]] = {}  # trigger id → (user, issued at)
        self.usergroups: dict[str, UserGroup] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._start = int(time.time())
        self.files = files.Files(self)
        self.add_user(BOT_USER, "entraide", is_bot=True)

    # -- people and places (what an admin or a user does in the Slack client) -------------------

    def add_user(self, user: str, name: str, *, real_name: str = "", is_bot: bool = False) -> None:
        self.users[user] = {
            "id": user,
            "team_id": TEAM_ID,
            "name": name.lower(),
            "real_name": real_name or name,
            "is_bot": is_bot,
            "deleted": False,
            "profile": {"display_name": name, "real_name": real_name or name},
        }

    def add_channel(
        self, channel: str, name: str, members: list[str], *, private: bool = False, group_dm: bool = False
    ) -> Channel:
        kind = "mpim" if group_dm else "group" if private else "channel"
        created = Channel(channel, name, kind, set(members))
        self.channels[channel] = created
        self.messages[channel] = []
        return created

    def add_usergroup(self, group: str, handle: str, users: list[str]) -> UserGroup:
        created = UserGroup(group, handle, list(users))
        self.usergroups[group] = created
        return created

    def set_usergroup_members(self, group: str, users: list[str]) -> tuple[list[str], list[str]]:
        """Make ``users`` the group's members, as an admin does; who was added, who removed."""
        found = self.usergroups[group]
        added = [u for u in users if u not in found.users]
        removed = [u for u in found.users if u not in users]
        found.users = list(users)
        return added, removed

    def im_with(self, user: str) -> Channel:
        for channel in self.channels.values():
            if channel.kind == "im" and channel.peer == user:
                return channel
        created = Channel(f"D{next(self._ids):08d}", user, "im", {user, BOT_USER}, peer=user)
        self.channels[created.id] = created
        self.messages[created.id] = []
        return created

    def new_ts(self) -> str:
        return f"{self._start + next(self._ts)}.{next(self._ids):06d}"

    def new_trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.{self._start}.trigger"
        self.triggers[trigger] = (user, time.monotonic())
        return trigger

    def add_message(
        self, channel: str, user: str, text: str, thread_ts: str | None = None, **extra: Any
    ) -> Message:
        if thread_ts:
            parent = self.find_message(channel, thread_ts)
            root = parent.thread_ts or parent.ts
            self.find_message(channel, root).reply_count += 1
            thread_ts = root
        message = Message(channel, self.new_ts(), user, text, thread_ts, **extra)
        self.messages[channel].append(message)
        return message

    def find_message(self, channel: str, ts: str) -> Message:
        for message in self.messages.get(channel, []):
            if message.ts == ts:
                return message
        raise ApiError("message_not_found")

    def channel(self, channel: str) -> Channel:
        found = self.channels.get(channel)
        if found is None:
            raise ApiError("channel_not_found")
        return found

    # -- the Web API -----------------------------------------------------------------------------

    def method(self, name: str) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        owner = self.files if name.startswith("files.") else self
        return getattr(owner, "api_" + name.replace(".", "_"), None)

    def api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://entraide-test.slack.com/",
            "team": "Entraide test",
            "user": "entraide",
            "team_id": TEAM_ID,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(arg(params, "user"))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": user}

    def api_usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(arg(params, "usergroup"))
        if group is None:
            raise ApiError("no_such_subteam")
        if not group.enabled and not flag(params.get("include_disabled")):
            raise ApiError("no_such_subteam")  # a disabled group is listed only on request
        return {"users": list(group.users)}

    def api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.channel(arg(params, "channel")).as_dict()}

    def api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in arg(params, "users").split(",") if u]
        if len(users) != 1:
            raise ApiError("invalid_arguments")  # group DMs are not something the bot opens
        if users[0] not in self.users:
            raise ApiError("user_not_found")
        return {"channel": {"id": self.im_with(users[0]).id}}

    def api_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(arg(params, "channel"))
        if channel.kind != "channel":
            raise ApiError("method_not_supported_for_channel_type")
        channel.members.add(BOT_USER)
        return {"channel": channel.as_dict()}

    def api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(arg(params, "channel"))
        self.readable(channel)
        try:
            message = self.find_message(channel.id, arg(params, "ts"))
        except ApiError:
            raise ApiError("thread_not_found") from None
        root = self.find_message(channel.id, message.thread_ts or message.ts)
        thread = [root] + [m for m in self.messages[channel.id] if m.thread_ts == root.ts]
        limit = int(params.get("limit") or 1000)
        return {"messages": [m.as_dict() for m in thread[:limit]], "has_more": len(thread) > limit}

    def api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages (thread replies only when broadcast), newest first, like Slack."""
        channel = self.channel(arg(params, "channel"))
        self.readable(channel)
        oldest = timestamp(params.get("oldest"), Decimal(0))
        latest = timestamp(params.get("latest"), Decimal("Infinity"))  # Slack's default: now
        inclusive = flag(params.get("inclusive"))

        def within(ts: str) -> bool:
            when = Decimal(ts)
            return oldest <= when <= latest if inclusive else oldest < when < latest

        shown = [
            m
            for m in reversed(self.messages[channel.id])
            if (m.thread_ts is None or m.broadcast) and within(m.ts)
        ]
        start = _offset(params.get("cursor"))
        try:
            limit = max(min(int(params.get("limit") or 100), 999), 1)
        except ValueError:
            raise ApiError("invalid_limit") from None
        page = shown[start : start + limit]
        more = start + len(page) < len(shown)
        cursor = base64.b64encode(f"offset:{start + len(page)}".encode()).decode() if more else ""
        with_metadata = flag(params.get("include_all_metadata"))
        return {
            "messages": [m.as_dict(with_metadata=with_metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def readable(self, channel: Channel) -> None:
        """The bot must be in a conversation to read it, post or share a file there."""
        if BOT_USER not in channel.members:
            raise ApiError("not_in_channel" if channel.kind == "channel" else "channel_not_found")

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(arg(params, "channel"))
        self.readable(channel)
        text, blocks = self._content(params)
        metadata = metadata_arg(params)
        thread = params.get("thread_ts") or None
        broadcast = bool(thread) and flag(params.get("reply_broadcast"))
        message = self.add_message(
            channel.id,
            BOT_USER,
            text,
            thread,
            blocks=blocks,
            bot_id=BOT_ID,
            metadata=metadata,
            broadcast=broadcast,
        )
        return {"channel": channel.id, "ts": message.ts, "message": message.as_dict(with_metadata=True)}

    def api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(arg(params, "channel"))
        user = arg(params, "user")
        self.readable(channel)
        if user not in channel.members:
            raise ApiError("user_not_in_channel")
        text, blocks = self._content(params)
        ts = self.new_ts()
        self.ephemerals.append(
            {
                "channel": channel.id,
                "user": user,
                "text": text,
                "blocks": blocks,
                "ts": ts,
                "thread_ts": params.get("thread_ts"),
            }
        )
        return {"message_ts": ts}

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(arg(params, "channel"))
        message = self.find_message(channel.id, arg(params, "ts"))
        if message.user != BOT_USER:
            raise ApiError("cant_update_message")
        text, blocks = self._content(params)
        metadata = metadata_arg(params)
        message.text, message.blocks = text, blocks
        if metadata is not None:  # without the argument, Slack keeps the message's metadata
            message.metadata = metadata
        return {"channel": channel.id, "ts": message.ts, "text": text}

    def _content(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = str(params.get("text") or "")
        blocks = json_arg(params.get("blocks")) or []
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > 40_000:
            raise ApiError("msg_too_long")
        check_blocks(blocks, limit=50)
        return text, blocks

    def api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = arg(params, "user_id")
        if user not in self.users:
            raise ApiError("user_not_found")
        view = json_arg(params.get("view"))
        if not isinstance(view, dict) or view.get("type") != "home":
            raise ApiError("invalid_arguments")
        check_blocks(view.get("blocks") or [], limit=100)
        view = {**view, "id": f"V{next(self._ids):08d}", "hash": f"h{next(self._ids)}"}
        self.home_views[user] = view
        return {"view": view}

    def api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = arg(params, "trigger_id")
        if trigger not in self.triggers:
            raise ApiError("invalid_trigger_id")
        user, issued = self.triggers.pop(trigger)
        if time.monotonic() - issued > 3:
            raise ApiError("expired_trigger_id")
        view = json_arg(params.get("view"))
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise ApiError("invalid_arguments")
        title = (view.get("title") or {}).get("text", "")
        if not title or len(title) > 24:
            raise ApiError("invalid_arguments")
        if any(len((view.get(b) or {}).get("text", "")) > 24 for b in ("submit", "close")):
            raise ApiError("invalid_arguments")
        if len(str(view.get("private_metadata") or "")) > 3000:
            raise ApiError("invalid_arguments")
        check_blocks(view.get("blocks") or [], limit=100)
        view = {**view, "id": f"V{next(self._ids):08d}", "hash": f"h{next(self._ids)}", "user": user}
        self.modals.append(view)
        return {"view": view}
