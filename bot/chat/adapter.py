"""The contract between the core and a chat platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.chat.events import Capabilities, Event, Reply, UserRef

EventSink = Callable[[Event], Awaitable[None]]


class Adapter(Protocol):
    """A chat platform.

    ``run`` delivers every inbound event to ``sink`` until ``close`` is called or the platform
    ends (end of a console script). ``send`` renders and delivers one reply and returns the
    platform's id for the message it posted, if any.
    """

    platform: str
    capabilities: Capabilities
    bot_user: UserRef

    async def run(self, sink: EventSink) -> None: ...

    async def send(self, reply: Reply) -> str | None: ...

    async def close(self) -> None: ...
