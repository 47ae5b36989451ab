"""The inbound funnel: deduplication that survives restarts, permissions, graceful shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from dataclasses import dataclass, field

from bot.app import run_adapters
from bot.chat.adapter import EventSink
from bot.chat.events import AboutKind, Capabilities, EventKind, Reply, Sent, UserRef
from bot.chat.pipeline import Pipeline
from bot.commands import registry
from bot.commands.registry import Command, Registry
from skills_db.storage.models import AskStatus
from tests.support import MemoryAdapter, event, make_services


async def test_the_same_event_is_handled_once_even_after_a_restart(sqlite_url: str) -> None:
    adapter = MemoryAdapter()
    first = Pipeline(make_services(sqlite_url))
    await first.handle(adapter, event("skills add Go", event_id="ev-1"))
    await first.handle(adapter, event("skills add Go", event_id="ev-1"))
    assert len(adapter.sent) == 1
    restarted = Pipeline(make_services(sqlite_url))
    await restarted.handle(adapter, event("skills add Go", event_id="ev-1"))
    assert len(adapter.sent) == 1


async def test_admin_commands_check_permission(sqlite_url: str) -> None:
    services = make_services(sqlite_url, bot={"admins": ["memory:boss"]})
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(adapter, event("stats", "alice"))
    assert adapter.sent[-1].plain == "Only community managers may run stats."
    await pipeline.handle(adapter, event("stats", "boss"))
    assert adapter.sent[-1].plain.startswith("People: 2 · open needs: 0")
    assert services.store.audit_log()[0].action == "admin.stats"


async def test_personal_answers_are_ephemeral_where_the_platform_allows(sqlite_url: str) -> None:
    pipeline, adapter = Pipeline(make_services(sqlite_url)), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add SQL"))
    reply = adapter.sent[-1]
    assert reply.ephemeral and reply.to == UserRef("memory", "alice", "Alice")


@dataclass
class SlowAdapter:
    """Delivers one event, whose handler outlasts the start of the shutdown, then waits to be
    closed."""

    platform: str = "memory"
    capabilities: Capabilities = field(default_factory=Capabilities)
    bot_user: UserRef = field(default_factory=lambda: UserRef("memory", "bot"))
    sent: list[Reply] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    closing: threading.Event = field(default_factory=threading.Event)  # seen from the handler's thread
    account: str = ""

    async def run(self, sink: EventSink) -> None:
        await sink(event("slow"))
        await self.closed.wait()

    async def send(self, reply: Reply) -> Sent | None:
        self.sent.append(reply)
        return None

    async def close(self) -> None:
        self.closing.set()
        self.closed.set()


async def test_sigterm_lets_the_handler_in_flight_finish(sqlite_url: str) -> None:
    adapter = SlowAdapter()

    def slow(ctx: object, args: object) -> None:
        # SIGTERM while this handler runs (in its worker thread), and work left after the
        # shutdown has begun (the adapter was told to stop taking events): the order is
        # certain, whatever the load.
        os.kill(os.getpid(), signal.SIGTERM)
        assert adapter.closing.wait(timeout=20)
        time.sleep(0.5)  # not a wait for something: the rest of a slow handler's work
        from bot.chat.context import Context

        assert isinstance(ctx, Context)
        ctx.say("language.set")

    commands = Registry()
    for command in registry():
        commands.add(command)
    commands.add(Command("slow", slow))
    services = make_services(sqlite_url)
    await asyncio.wait_for(run_adapters(services, [adapter], commands), timeout=30)
    assert [r.plain for r in adapter.sent] == ["From now on I'll speak English with you."]


async def test_chatter_is_neither_answered_nor_stored(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(adapter, event("lunch anyone?", "zoe", kind=EventKind.MESSAGE))
    await pipeline.handle(adapter, event("nice", "zoe", kind=EventKind.REACTION, reaction="tada"))
    assert adapter.sent == []
    assert services.store.find_person("memory", "zoe") is None


async def test_check_mark_by_the_asker_on_a_reply_solves_the_need_and_credits_its_author(
    sqlite_url: str,
) -> None:
    services = make_services(sqlite_url, routing={"mode": "suggest"})
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add Terraform", "bob"))
    await pipeline.handle(adapter, event("need terraform state locking", "alice", message_id="m1"))
    bob = UserRef("memory", "bob", "Bob")
    # someone else's check mark means nothing
    await pipeline.handle(
        adapter,
        event(
            "",
            "carol",
            kind=EventKind.REACTION,
            reaction="white_check_mark",
            thread="m1",
            target_message="m2",
            target_author=bob,
        ),
    )
    assert services.store.open_needs(services.store.find_person("memory", "alice").id or 0)  # type: ignore[union-attr]
    await pipeline.handle(
        adapter,
        event(
            "",
            "alice",
            kind=EventKind.REACTION,
            reaction="✅",
            thread="m1",
            target_message="m2",
            target_author=bob,
        ),
    )
    answer, notice = adapter.sent[-2:]
    assert answer.plain == "Marked as solved: “terraform state locking”. @Bob is credited for the help."
    assert answer.thread == "m1"
    assert notice.to == bob  # told privately
    assert notice.plain == "@Alice says your help solved their need #1 (Terraform). Thank you!"
    bob_id = services.store.find_person("memory", "bob").id  # type: ignore[union-attr]
    assert [c.source for c in services.store.claims([bob_id or 0]) if c.source == "helped"] == ["helped"]


async def test_thumbs_up_on_a_request_accepts_it(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add SQL", "bob"))
    await pipeline.handle(adapter, event("need a slow SQL query", "alice", message_id="m1"))
    (request,) = [r for r in adapter.sent if r.about and r.about.kind is AboutKind.ASK]
    message_id = str(adapter.sent.index(request) + 1)  # MemoryAdapter ids count from 1
    assert request.to == UserRef("memory", "bob", "Bob") and request.buttons
    await pipeline.handle(
        adapter,
        event(
            "",
            "bob",
            kind=EventKind.REACTION,
            reaction="+1::skin-tone-3",
            target_message=message_id,
            conversation="dm:bob",  # where the request was sent
        ),
    )
    assert "@Alice, meet @Bob" in adapter.sent[-1].plain
    assert adapter.sent[-1].thread == "m1"


@dataclass
class BrokenAdapter:
    platform: str = "broken"
    capabilities: Capabilities = field(default_factory=Capabilities)
    bot_user: UserRef = field(default_factory=lambda: UserRef("broken", "bot"))

    closed: asyncio.Event = field(default_factory=asyncio.Event)
    fail: bool = True
    account: str = ""

    async def run(self, sink: EventSink) -> None:
        if self.fail:
            raise PermissionError("invalid_auth")
        await self.closed.wait()  # a healthy platform runs until closed

    async def send(self, reply: Reply) -> Sent | None:
        return None

    async def close(self) -> None:
        return None


async def test_a_failing_adapter_stops_the_bot_with_a_failure(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    assert (
        await asyncio.wait_for(run_adapters(services, [BrokenAdapter(), SlowAdapter()]), timeout=10) is False
    )


async def test_a_need_typed_as_a_command_gets_the_answer_as_its_thread(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add SQL", "bob"))
    await pipeline.handle(adapter, event("need a slow SQL query", "alice"))  # no message id
    answer = adapter.sent[-1]
    assert answer.plain.startswith("I asked a colleague privately about SQL")
    need = services.store.open_needs(services.store.find_person("memory", "alice").id or 0)[0]  # type: ignore[union-attr]
    assert need.thread == str(len(adapter.sent))  # the id the platform gave the answer
    await pipeline.handle(adapter, event("accept", "bob"))
    assert adapter.sent[-1].thread == need.thread


async def test_a_reply_in_a_help_thread_does_not_start_another_need(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(
        adapter,
        event(
            "anyone know why, I need help too",
            "carol",
            kind=EventKind.MESSAGE,
            in_help_channel=True,
            thread="m1",
            message_id="m2",
        ),
    )
    assert adapter.sent == []


async def test_after_forget_me_ids_are_not_reused_and_old_requests_lead_nowhere(database_url: str) -> None:
    services = make_services(database_url)
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add SQL", "bob"))
    await pipeline.handle(adapter, event("need a slow SQL query", "alice", message_id="m1"))
    (old_request,) = [r for r in adapter.sent if r.about and r.about.kind is AboutKind.ASK]
    old_message = str(adapter.sent.index(old_request) + 1)
    await pipeline.handle(adapter, event("forget-me confirm", "alice"))
    await pipeline.handle(adapter, event("need SQL query plans", "carol", message_id="m2"))
    (new_request,) = [r for r in adapter.sent if r.about and r.about.kind is AboutKind.ASK][1:]
    assert new_request.about and old_request.about
    assert new_request.about.id != old_request.about.id, "the erased request's number is not reused"
    before = len(adapter.sent)
    # Bob's 👍 on the request about Alice's erased need: nothing happens, nobody is introduced.
    await pipeline.handle(
        adapter,
        event(
            "",
            "bob",
            kind=EventKind.REACTION,
            reaction="+1",
            target_message=old_message,
            conversation="dm:bob",
        ),
    )
    assert adapter.sent[before:] == []
    carol = services.store.find_person("memory", "carol")
    assert carol is not None and carol.id is not None
    (need,) = services.store.open_needs(carol.id)
    assert [a.status for a in services.store.asks_for_need(need.id or 0)] == [AskStatus.PENDING]
