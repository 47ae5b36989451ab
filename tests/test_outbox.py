"""The outbox: what an action said survives a crash before delivery, is sent once, and state
transitions hold when two handlers (or two instances) race."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest

from bot.chat.actions import Actions
from bot.chat.context import Outgoing
from bot.chat.events import Reply
from bot.chat.pipeline import Pipeline
from skills_db.storage.models import AskStatus, ClaimSource
from tests.support import Clock, MemoryAdapter, event, make_services


def meet(obj: Any, method: str, barrier: threading.Barrier) -> None:
    """Make ``obj.method`` wait, after it ran, until every racer got there: both handlers read
    the state before either changes it — the interleaving a race needs, every time."""
    original = getattr(obj, method)

    def waiting(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        barrier.wait(timeout=10)
        return result

    setattr(obj, method, waiting)


async def test_a_message_left_pending_by_a_failed_delivery_is_sent_later_with_its_key(
    database_url: str,
) -> None:
    clock = Clock()
    services = make_services(database_url, clock)
    adapter = MemoryAdapter(fail_sends=True)
    actions = Actions(services)
    actions.attach(adapter)
    reply = Reply(body=("Good morning",), conversation="general")
    await actions.run(lambda: [Outgoing("memory", "", reply)], "job:hello:2026-11-02")
    assert adapter.sent == []  # the platform was down: nothing lost, still pending
    adapter.fail_sends = False
    assert await actions.sweep() == 0  # its retry is not due yet
    clock.now += timedelta(minutes=2)
    assert await actions.sweep() == 1
    assert [(r.plain, r.key) for r in adapter.sent] == [("Good morning", "job:hello:2026-11-02:0")]
    assert await actions.sweep() == 0  # sent once
    # The same action run again (a job re-run after a crash) says nothing twice: same keys.
    await actions.run(lambda: [Outgoing("memory", "", reply)], "job:hello:2026-11-02")
    assert len(adapter.sent) == 1


async def test_a_message_whose_writer_crashed_before_delivering_it_is_sent_once_its_lease_ends(
    database_url: str,
) -> None:
    clock = Clock()
    services = make_services(database_url, clock)
    crashed = Actions(services)
    crashed.attach(MemoryAdapter())
    reply = Reply(body=("Welcome",), conversation="general")
    crashed.unit(lambda: [Outgoing("memory", "", reply)], "memory::ev-9")  # committed, then killed
    survivor, adapter = Actions(make_services(database_url, clock)), MemoryAdapter()
    survivor.attach(adapter)
    clock.now += timedelta(minutes=2)
    assert await survivor.sweep() == 0, "a slow delivery is not a crash: its writer still holds it"
    clock.now += timedelta(minutes=4)
    assert await survivor.sweep() == 1
    assert [(r.plain, r.key) for r in adapter.sent] == [("Welcome", "memory::ev-9:0")]


async def test_what_a_command_line_action_says_is_delivered_by_the_running_bot(database_url: str) -> None:
    clock = Clock()
    cli = Actions(make_services(database_url, clock))  # no adapter: a CLI process
    reply = Reply(body=("Maintenance tonight",), conversation="general")
    cli.unit(lambda: [Outgoing("memory", "", reply)], "cli:announce:1")
    bot = Actions(make_services(database_url, clock))
    adapter = MemoryAdapter()
    bot.attach(adapter)
    clock.now += timedelta(minutes=2)
    assert await bot.sweep() == 1
    assert [r.plain for r in adapter.sent] == ["Maintenance tonight"]


# Races need two writers at once: PostgreSQL. SQLite has one writer at a time (a second waits
# for the first's commit), so there the same handlers simply run one after the other.


@pytest.mark.postgres
async def test_an_ask_is_accepted_once_when_two_instances_race(postgres_url: str) -> None:
    first, second = make_services(postgres_url), make_services(postgres_url)
    one, two = Pipeline(first), Pipeline(second)
    adapter_one, adapter_two = MemoryAdapter(), MemoryAdapter()
    await one.handle(adapter_one, event("skills add SQL", "bob"))
    await one.handle(adapter_one, event("need a slow SQL query", "alice", message_id="m1"))
    # Bob taps Accept twice, each tap reaching another instance, at the same time: both see the
    # request pending before either answers it.
    barrier = threading.Barrier(2)
    meet(first.store, "pending_asks", barrier)
    meet(second.store, "pending_asks", barrier)
    await asyncio.gather(
        one.handle(adapter_one, event("accept", "bob")), two.handle(adapter_two, event("accept", "bob"))
    )
    sent = adapter_one.sent + adapter_two.sent
    introductions = [r for r in sent if "meet @Bob" in r.plain]
    assert len(introductions) == 1
    refused = [r for r in sent if r.plain.startswith("You have no pending request")]
    assert len(refused) == 1
    alice = first.store.find_person("memory", "alice")
    assert alice is not None and alice.id is not None
    (need,) = first.store.open_needs(alice.id)
    assert [a.status for a in first.store.asks_for_need(need.id or 0)] == [AskStatus.ACCEPTED]


@pytest.mark.postgres
async def test_a_weekly_cap_holds_when_two_instances_ask_at_once(postgres_url: str) -> None:
    first = make_services(postgres_url, routing={"weekly_ask_cap": 1, "ask_count": 1})
    second = make_services(postgres_url, routing={"weekly_ask_cap": 1, "ask_count": 1})
    bob = first.store.person_for("memory", "bob", "Bob")
    first.store.add_claim(bob.id or 0, "SQL", ClaimSource.DECLARED)
    one, two = Pipeline(first), Pipeline(second)
    adapter_one, adapter_two = MemoryAdapter(), MemoryAdapter()
    # Both instances route before either writes an ask: both see Bob with room this week.
    barrier = threading.Barrier(2)
    meet(first.matcher, "route", barrier)
    meet(second.matcher, "route", barrier)
    await asyncio.gather(
        one.handle(adapter_one, event("need a slow SQL query", "alice")),
        two.handle(adapter_two, event("need a slow SQL query too", "carol")),
    )
    requests = [r for r in adapter_one.sent + adapter_two.sent if r.to and r.to.handle == "bob"]
    assert len(requests) == 1, "Bob accepts one request a week: only one may reach him"
    asks = first.store.ask_counts_since(first.clock() - timedelta(days=7))
    assert asks == {bob.id: 1}
