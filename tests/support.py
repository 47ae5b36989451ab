"""Test helpers: an in-memory adapter and a way to drive the bot through the console."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from adapters.console import ConsoleAdapter, NameLookup
from bot.app import build_services
from bot.chat.actions import Actions
from bot.chat.adapter import Adapter, EventSink
from bot.chat.context import Services
from bot.chat.events import Capabilities, Event, EventKind, Reply, Sent, UserRef
from bot.chat.pipeline import Pipeline
from bot.config import Config, config_from_dict
from skills_db.storage.store import Store


class Clock:
    """A clock tests can move forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class MemoryAdapter:
    """A platform that lives in a list: inject events, read what the bot sent."""

    platform: str = "memory"
    account: str = ""
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(threads=True, ephemeral=True))
    bot_user: UserRef = field(default_factory=lambda: UserRef("memory", "bot", "Entraide"))
    sent: list[Reply] = field(default_factory=list)
    fail_sends: bool = False

    async def run(self, sink: EventSink) -> None:
        return None

    async def send(self, reply: Reply) -> Sent | None:
        if self.fail_sends:
            raise ConnectionError("platform down")
        self.sent.append(reply)
        where = f"dm:{reply.to.handle}" if reply.to is not None else reply.conversation or ""
        return Sent(where, str(len(self.sent)))

    async def close(self) -> None:
        return None


_ids = itertools.count(1)


def event(
    text: str,
    who: str = "alice",
    *,
    kind: EventKind = EventKind.COMMAND,
    event_id: str | None = None,
    conversation: str = "general",
    **extra: object,
) -> Event:
    return Event(
        platform="memory",
        event_id=event_id or f"e{next(_ids)}",
        conversation=conversation,
        sender=UserRef("memory", who, who.title()),
        text=text,
        kind=kind,
        **extra,  # type: ignore[arg-type]
    )


def make_services(
    url: str, clock: Callable[[], datetime] | None = None, **sections: dict[str, object]
) -> Services:
    config = config_with(url, **sections)
    return build_services(config, Store.open(config.database.url), clock)


def config_with(url: str, **sections: dict[str, object]) -> Config:
    raw: dict[str, dict[str, object]] = {k: dict(v) for k, v in sections.items()}
    raw.setdefault("database", {})["url"] = url
    raw.setdefault("bot", {}).setdefault("log_format", "text")
    return config_from_dict(raw, "test")


def pipeline_for(services: Services, *adapters: Adapter) -> Pipeline:
    """The pipeline as the bot runs it: actions delivering through these adapters."""
    actions = Actions(services)
    for adapter in adapters:
        actions.attach(adapter)
    return Pipeline(services, actions=actions)


async def run_console(
    services: Services, script: str, user: str = "you", *, names: NameLookup | None = None
) -> str:
    out = io.StringIO()
    adapter = ConsoleAdapter(user=user, script=script.strip().splitlines(), output=out, names=names)
    await adapter.run(partial(pipeline_for(services, adapter).handle, adapter))
    return out.getvalue()
