"""The contract between the core and a chat platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.chat.events import Capabilities, Event, Reply, Sent, UserRef

EventSink = Callable[[Event], Awaitable[None]]


class Adapter(Protocol):
    """A chat platform.

    ``run`` delivers every inbound event to ``sink`` until ``close`` is called or the platform
    ends (end of a console script). ``send`` renders and delivers one reply and says where it
    landed, if the platform says. ``account`` names the bot's account (a Slack workspace id, a
    Matrix user id) once connected: state and processed events are keyed by it.
    """

    platform: str
    account: str
    capabilities: Capabilities
    bot_user: UserRef

    async def run(self, sink: EventSink) -> None: ...

    async def send(self, reply: Reply) -> Sent | None: ...

    async def close(self) -> None: ...
