"""Entraide acts on its own: jobs and delayed work run from the console's moved clock, and one
slow action never holds up another person's answer."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.chat.context import Context
from bot.chat.pipeline import Pipeline
from bot.commands import registry
from bot.commands.registry import Arguments, Command, Registry
from bot.jobs import MovableClock
from skills_db.storage.models import AskStatus
from tests.support import MemoryAdapter, event, make_services

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday


async def console(url: str, script: str, clock: MovableClock) -> str:
    services = make_services(url, clock.now, routing={"ask_count": 1})
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=60)
    return out.getvalue()


async def test_time_moves_in_the_console_and_what_became_due_runs(database_url: str) -> None:
    clock = MovableClock(START)
    out = await console(
        database_url,
        """
/as Alice
skills add Terraform
/as you
need help with terraform state locking
/time +3d
need help repotting the office fern
/time 2026-12-25 10:00
""",
        clock,
    )
    assert "[private to Alice] entraide: @you needs help" in out
    # The request expired after 48 hours (a delayed task, run when the clock passed it)…
    store = make_services(database_url, clock.now).store
    assert [a.status for a in store.asks_for_need(1)] == [AskStatus.EXPIRED]
    # …and the daily job closed the needs nobody took, each with one last word to the asker —
    # messages no inbound event asked for.
    for number, text in ((1, "help with terraform state locking"), (2, "help repotting the office fern")):
        closed = f"[private to you] entraide: Your need #{number} (“{text}”) is closed"
        assert out.count(closed) == 1
    assert "(time is now 2026-12-25 10:00 UTC;" in out


async def test_an_expired_request_can_still_be_accepted_while_its_need_is_open(sqlite_url: str) -> None:
    clock = MovableClock(START)
    out = await console(
        sqlite_url,
        "/as Alice\nskills add Terraform\n/as you\nneed help with terraform state locking\n"
        "/time +3d\n/as Alice\naccept",
        clock,
    )
    # The asker was told "I'll introduce you as soon as they accept": a late yes keeps that word.
    assert "@you, meet @Alice, who offers to help with" in out
    store = make_services(sqlite_url, clock.now).store
    assert [a.status for a in store.asks_for_need(1)] == [AskStatus.ACCEPTED]


async def test_a_bad_time_gets_the_forms_it_takes(sqlite_url: str) -> None:
    out = await console(sqlite_url, "/time yesterday\n/time +1d", MovableClock(START))
    assert "+3d" in out.splitlines()[1]  # the accepted forms are named
    assert "(time is now 2026-12-08 10:00 UTC;" in out


@pytest.mark.postgres
async def test_a_slow_statement_does_not_hold_up_another_persons_command(postgres_url: str) -> None:
    database_url = postgres_url
    sleeping = threading.Event()

    def slow(ctx: Context, args: Arguments) -> None:
        with ctx.store.session() as session:
            sleeping.set()
            session.execute(sa.text("select pg_sleep(2)"))
        ctx.say("language.set")

    commands = Registry()
    for command in registry():
        commands.add(command)
    commands.add(Command("slow", slow))
    services = make_services(database_url)
    pipeline, adapter = Pipeline(services, commands), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add SQL", "bob"))  # warm: people, indexes
    slow_task = asyncio.create_task(pipeline.handle(adapter, event("slow", "alice")))
    assert await asyncio.to_thread(sleeping.wait, 10)  # the slow statement is under way
    started = time.perf_counter()
    await pipeline.handle(adapter, event("skills list", "bob"))
    elapsed = time.perf_counter() - started
    assert adapter.sent[-1].plain == "Your declared skills: SQL"
    assert not slow_task.done(), "the slow action is still waiting on its statement"
    assert elapsed < 0.3, f"another person's command took {elapsed:.3f} s"
    await slow_task
    assert adapter.sent[-1].plain == "From now on I'll speak English with you."


async def test_the_daily_prune_forgets_old_processed_events_and_delivered_messages(sqlite_url: str) -> None:
    clock = MovableClock(START)
    await console(sqlite_url, "skills add Go\n/time +10d", clock)
    store = make_services(sqlite_url, clock.now).store
    with store.session() as session:
        counts = [session.execute(sa.text(f"select count(*) from {t}")).scalar() for t in TABLES]
    assert all(counts), "ten days on, nothing is old enough to prune"
    await console(sqlite_url, "/time +25d", clock)
    with store.session() as session:
        counts = [session.execute(sa.text(f"select count(*) from {t}")).scalar() for t in TABLES]
    assert counts == [0, 0], "35 days on, the first day's records are gone"


TABLES = ("processedevent", "outboxmessage")
