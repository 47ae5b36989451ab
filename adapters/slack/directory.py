"""What the adapter remembers about the workspace: names, help channels and which channels are
private, threads, DM channels.

Each lookup is one Web API call the first time and a dictionary read afterwards, so a busy help
channel costs no more calls than a quiet one. The caches are bounded: a long-running bot in a big
workspace must not grow without end.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("entraide.slack")

K = TypeVar("K")
V = TypeVar("V")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class Lru(Generic[K, V]):
    """A dictionary that forgets the least recently used entries beyond ``size``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class ChannelInfo:
    name: str  # lower case, without "#"
    private: bool  # a private channel or a group DM: not everyone in the organisation reads it


class Directory:
    def __init__(self, client: AsyncWebClient, help_channels: Iterable[str], size: int = 10_000) -> None:
        self.client = client
        self.help_ids: set[str] = set()
        self.help_names: set[str] = set()
        for item in help_channels:
            item = item.strip()
            if _CHANNEL_ID.match(item):
                self.help_ids.add(item)
            elif item:
                self.help_names.add(item.lstrip("#").lower())
        self._names: Lru[str, str] = Lru(size)
        self._bots: set[str] = set()
        self._channels: Lru[str, ChannelInfo] = Lru(size)
        self._threads: Lru[str, str] = Lru(size)  # "channel:ts" → thread root ts ("" when none)
        self._dms: Lru[str, str] = Lru(size)

    async def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names of these users; unknown or failing lookups give ""."""
        found: dict[str, str] = {}
        for user in dict.fromkeys(u for u in user_ids if u):
            name = self._names.get(user)
            if name is None:
                name = await self._fetch_name(user)
            found[user] = name
        return found

    def is_bot(self, user: str) -> bool:
        return user in self._bots

    async def _fetch_name(self, user: str) -> str:
        try:
            response = await self.client.users_info(user=user)
        except SlackApiError as error:
            log.warning("users.info failed", extra={"user": user, "error": error.response.get("error")})
            return ""  # not cached: the next message tries again
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        name = str(profile.get("display_name") or info.get("real_name") or info.get("name") or "")
        if info.get("is_bot"):
            self._bots.add(user)
        self._names.put(user, name)
        return name

    async def is_help_channel(self, channel: str) -> bool:
        if channel in self.help_ids:
            return True
        if not self.help_names or not channel or channel.startswith("D"):
            return False
        info = await self._channel(channel)
        return info is not None and info.name in self.help_names

    async def is_private(self, channel: str) -> bool:
        """Whether not everyone in the organisation can read ``channel`` (a private channel, a
        group DM). A DM is not counted here (events say ``is_direct``). When Slack does not
        answer, the channel counts as private: what is said there is then never named in public."""
        if not channel or channel.startswith("D"):
            return False
        info = await self._channel(channel)
        return info is None or info.private

    async def _channel(self, channel: str) -> ChannelInfo | None:
        """Name and privacy of ``channel``, one conversations.info call per channel; None when it
        fails (not cached: the next message tries again)."""
        info = self._channels.get(channel)
        if info is None:
            try:
                response = await self.client.conversations_info(channel=channel)
            except SlackApiError as error:
                log.warning("conversations.info failed", extra={"error": error.response.get("error")})
                return None
            found = response.get("channel") or {}
            private = bool(found.get("is_private") or found.get("is_mpim") or found.get("is_group"))
            info = ChannelInfo(str(found.get("name") or "").lower(), private)
            self._channels.put(channel, info)
        return info

    def remember_thread(self, channel: str, ts: str, thread: str | None) -> None:
        self._threads.put(f"{channel}:{ts}", thread or "")

    async def thread_of(self, channel: str, ts: str) -> str | None:
        """The root of the thread the message ``ts`` is in; None when it is in no thread."""
        known = self._threads.get(f"{channel}:{ts}")
        if known is not None:
            return known or None
        try:
            response = await self.client.conversations_replies(channel=channel, ts=ts, limit=1)
        except SlackApiError as error:
            log.warning("conversations.replies failed", extra={"error": error.response.get("error")})
            return None
        messages = response.get("messages") or []
        thread = str(messages[0].get("thread_ts") or "") if messages else ""
        self._threads.put(f"{channel}:{ts}", thread)
        return thread or None

    async def dm_channel(self, user: str) -> str:
        channel = self._dms.get(user)
        if channel is None:
            response = await self.client.conversations_open(users=user)
            channel = str(response["channel"]["id"])
            self._dms.put(user, channel)
        return channel
