"""The whole bot on Slack, for a test: the double, the real adapter, the real pipeline.

``async with slack_bot(url) as bot:`` starts the double on 127.0.0.1, the bot through
``bot.app.run_adapters`` pointed at it, and on the way out stops both and checks every Web API
call the bot made against Slack's OpenAPI spec.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from adapters.slack import SlackAdapter
from bot.app import run_adapters
from bot.chat.context import Services
from bot.chat.host import Host
from bot.jobs import MovableClock
from skills_db.storage.models import ClaimSource
from tests.slack_double.server import SlackDouble
from tests.slack_double.spec_check import web_api_spec
from tests.slack_double.workspace import BOT_USER
from tests.support import make_services

ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
HELP, GENERAL, PRIVATE = "C0HELP", "C0GENERAL", "G0PRIVATE"


@dataclass
class Bot:
    double: SlackDouble
    adapter: SlackAdapter
    services: Services

    def knows(self, user: str, name: str, *skills: str) -> None:
        """Seed the skills database: ``user`` declared ``skills`` (named as the vocabulary does)."""
        person = self.services.store.person_for("slack", user, name)
        assert person.id is not None
        for skill in skills:
            canonical = self.services.taxonomy.canonical(skill) or skill
            self.services.store.add_claim(person.id, canonical, ClaimSource.DECLARED)


def _workspace(double: SlackDouble) -> None:
    space = double.space
    for user, name in ((ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"), (DAVE, "Dave")):
        space.add_user(user, name)
    people = [ALICE, BOB, CAROL, DAVE]
    space.add_channel(HELP, "help", [*people, BOT_USER])
    space.add_channel(GENERAL, "general", people)  # the bot is not a member
    space.add_channel(PRIVATE, "secret-project", [ALICE, BOB], private=True)


@asynccontextmanager
async def slack_bot(
    database_url: str,
    *,
    mode: str = "http",
    routing: dict[str, Any] | None = None,
    help_channels: tuple[str, ...] = (HELP,),
    ping_interval: float = 10.0,
    workers: int = 4,
    bot: dict[str, Any] | None = None,
    check_spec: bool = True,
    clock: MovableClock | None = None,
    slack_settings: dict[str, Any] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> AsyncIterator[Bot]:
    spec = web_api_spec() if check_spec else None  # skips (or fails under CI) before any work
    double = SlackDouble()
    await double.start()
    _workspace(double)
    slack = {
        "enabled": False,  # the test builds the adapter itself
        "mode": mode,
        "bot_token": double.bot_token,
        "app_token": double.app_token,
        "signing_secret": double.signing_secret,
        "api_url": double.api_url,
        "host": "127.0.0.1",
        "port": 0,
        "help_channels": list(help_channels),
        **(slack_settings or {}),
    }
    services = make_services(
        database_url,
        clock.now if clock else None,
        slack=slack,
        routing=routing or {"mode": "suggest"},
        bot=bot or {},
    )
    host = Host.of(services)
    adapter = SlackAdapter(
        services.config.slack, host, ping_interval=ping_interval, workers=workers, monotonic=monotonic
    )
    # With a clock the test moves, the scheduler ticks often: what becomes due runs promptly.
    ticks = 0.05 if clock else 5.0
    running = asyncio.create_task(run_adapters(services, [adapter], clock=clock, tick_seconds=ticks))
    try:
        ready = asyncio.create_task(adapter.ready.wait())
        await asyncio.wait({ready, running}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            running.result()  # raises what stopped the bot
        assert adapter.ready.is_set(), "the Slack adapter did not start"
        double.transport = mode
        double.bot_url = f"http://127.0.0.1:{adapter.port}/slack/events"
        yield Bot(double, adapter, services)
    finally:
        await adapter.close()
        await asyncio.wait_for(running, 20)
        await double.stop()
        services.store.close()
    if spec is not None:
        assert spec.problems_in(double.calls) == []
