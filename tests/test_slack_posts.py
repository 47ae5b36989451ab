"""Posts that stand on their own (a weekly shout-out) on Slack: a header and small print, the key
carried as message metadata, and a resend after a cut delivery that does not post twice.

The real adapter posts to the Slack double; what landed is read back from the double's
workspace, or through the Web API as another client would. The harness checks every call
against Slack's spec (and its supplement: ``metadata``, ``include_all_metadata``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select

from adapters.slack import SlackAdapter
from adapters.slack.adapter import SlackStartError
from bot.chat.actions import Actions
from bot.chat.context import Outgoing, Services
from bot.chat.events import Mention, Reply, Sent, UserRef
from bot.chat.host import Host
from bot.chat.wire import reply_from_json
from bot.jobs import MovableClock
from skills_db.storage.models import OutboxMessage, OutboxStatus
from tests.slack_double.harness import ALICE, BOB, HELP, Bot, slack_bot
from tests.slack_double.server import SlackDouble
from tests.slack_double.spec_check import web_api_spec
from tests.slack_double.workspace import BOT_USER
from tests.support import make_services

KUDOS = "C0KUDOS"
KEY = "shoutout:slack:C0KUDOS:2026-W49"
SHOUT_OUT = Reply(
    body=("This week ", Mention(UserRef("slack", BOB, "Bob")), " helped 3 colleagues with Terraform."),
    conversation=KUDOS,
    title="Shout-outs of the week",
    note=("Thanked by ", Mention(UserRef("slack", ALICE, "Alice")), "."),
    key=KEY,
)
TAG = {"event_type": "entraide_message", "event_payload": {"key": KEY}}


def kudos_channel(bot: Bot) -> None:
    bot.double.space.add_channel(KUDOS, "kudos", [ALICE, BOB, BOT_USER])


def reader(double: SlackDouble) -> AsyncWebClient:
    """Another client of the workspace, reading what the bot posted."""
    return AsyncWebClient(token=double.bot_token, base_url=double.api_url)


async def test_a_keyed_post_has_its_header_and_small_print_and_carries_its_key(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        kudos_channel(bot)
        sent = await bot.adapter.send(SHOUT_OUT)
        assert sent is not None and sent.conversation == KUDOS
        history = await reader(bot.double).conversations_history(channel=KUDOS, include_all_metadata=True)
        [message] = history["messages"]
        assert message["ts"] == sent.message_id and message["metadata"] == TAG
        assert [b["type"] for b in message["blocks"]] == ["header", "section", "context"]
        assert message["text"].startswith("Shout-outs of the week\n\nThis week <@U0BOB> helped")
        assert message["text"].endswith("Thanked by <@U0ALICE>.")
        plain = await reader(bot.double).conversations_history(channel=KUDOS)
        assert "metadata" not in plain["messages"][0]  # shown only to who asks for it


async def test_a_resend_after_a_cut_delivery_finds_the_first_post_instead_of_posting_again(
    sqlite_url: str,
) -> None:
    async with slack_bot(sqlite_url) as bot:
        kudos_channel(bot)
        space = bot.double.space
        first = _sent(await bot.adapter.send(SHOUT_OUT))  # landed; the process died before recording it
        space.add_message(KUDOS, ALICE, "well deserved!")
        # Another app's message with the same metadata is not the bot's post.
        space.add_message(KUDOS, "U0OTHERAPP", "copycat", metadata=TAG)
        other = _sent(await bot.adapter.send(replace(SHOUT_OUT, key="job:other:0", title="", note=())))
        again = await bot.adapter.send(replace(SHOUT_OUT, attempt=2))
        assert again == first
        posts = bot.double.bot_messages(KUDOS)
        assert [m.ts for m in posts if m.metadata == TAG] == [first.message_id]  # one shout-out
        assert [m.ts for m in posts] == [first.message_id, other.message_id]
        assert len(bot.double.calls_to("chat.postMessage")) == 2
        [looked] = bot.double.calls_to("conversations.history")
        assert looked.params["include_all_metadata"] in ("1", "true", True)


async def test_a_resend_that_finds_nothing_posts_once(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        kudos_channel(bot)
        sent = await bot.adapter.send(replace(SHOUT_OUT, attempt=2))  # the first attempt never landed
        assert sent is not None
        assert [m.ts for m in bot.double.bot_messages(KUDOS)] == [sent.message_id]
        assert len(bot.double.calls_to("conversations.history")) == 1
        assert bot.double.space.find_message(KUDOS, sent.message_id).metadata == TAG


async def test_a_direct_message_is_not_sent_twice_either(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        note = Reply(
            body=("You were thanked 3 times this week.",), to=UserRef("slack", BOB, "Bob"), key="dm:1"
        )
        first = await bot.adapter.send(note)
        again = await bot.adapter.send(replace(note, attempt=3))
        assert first is not None and again == first and first.conversation.startswith("D")
        [dm] = bot.double.dms_to(BOB)
        assert dm.ts == first.message_id and dm.metadata == {
            "event_type": "entraide_message",
            "event_payload": {"key": "dm:1"},
        }


async def test_when_the_history_cannot_be_read_the_resend_posts(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        kudos_channel(bot)
        bot.double.refuse("conversations.history", "missing_scope")  # installed with fewer scopes
        first = await bot.adapter.send(SHOUT_OUT)
        again = await bot.adapter.send(replace(SHOUT_OUT, attempt=2))
        # At least once: a second post rather than none.
        assert first is not None and again is not None and again != first
        assert len(bot.double.bot_messages(KUDOS)) == 2
        assert bot.double.calls_to("conversations.history", ok=False)


async def test_a_thread_reply_carries_its_key_and_is_not_looked_for(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        need = bot.double.space.add_message(HELP, ALICE, "anyone know Terraform?")
        reply = Reply(body=("Bob knows.",), conversation=HELP, thread=need.ts, key="thread:1", attempt=2)
        sent = await bot.adapter.send(reply)
        assert sent is not None
        [posted] = bot.double.bot_messages(HELP, thread=need.ts)
        assert posted.metadata == {"event_type": "entraide_message", "event_payload": {"key": "thread:1"}}
        assert bot.double.calls_to("conversations.history") == []  # no metadata in a thread's reading


async def test_ephemeral_messages_carry_no_metadata(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        reply = Reply(
            body=("Only you see this.",),
            conversation=HELP,
            to=UserRef("slack", ALICE, "Alice"),
            ephemeral=True,
            key="eph:1",
            attempt=2,
        )
        assert await bot.adapter.send(reply) is not None
        [call] = bot.double.calls_to("chat.postEphemeral")
        assert "metadata" not in call.params
        assert bot.double.calls_to("conversations.history") == []


def outbox_row(services: Services, key: str) -> OutboxMessage:
    with services.store.session() as session:
        return session.exec(select(OutboxMessage).where(col(OutboxMessage.key) == key)).one()


async def test_a_post_that_landed_before_a_crash_is_recorded_by_the_next_sweep_not_reposted(
    sqlite_url: str,
) -> None:
    clock = MovableClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    async with slack_bot(sqlite_url, clock=clock) as bot:
        kudos_channel(bot)
        crashed = Actions(bot.services)
        crashed.attach(bot.adapter)
        try:
            # The weekly job's unit commits its shout-out to the outbox; the delivery lands in
            # Slack and the process is killed before recording it.
            [written] = crashed.unit(lambda: [Outgoing("slack", bot.adapter.account, SHOUT_OUT)], "job:kudos")
            landed = await bot.adapter.send(reply_from_json(written.reply))
        finally:
            crashed.close()
        assert landed is not None
        clock.advance(timedelta(minutes=6))  # the dead writer's lease ends: the sweep takes it
        await bot.double.wait_for(lambda: outbox_row(bot.services, written.key).status == OutboxStatus.SENT)
        row = outbox_row(bot.services, written.key)
        assert row.attempts == 2 and row.message_id == landed.message_id
        assert [m.ts for m in bot.double.bot_messages(KUDOS)] == [landed.message_id]


@pytest.mark.parametrize("token", ["xoxb-test", "xoxb-revoked"], ids=["connects", "refused"])
async def test_a_post_due_when_the_bot_starts_waits_for_the_connection_instead_of_failing(
    sqlite_url: str, token: str
) -> None:
    spec = web_api_spec()
    double = SlackDouble()
    await double.start()
    double.space.add_channel(KUDOS, "kudos", [ALICE, BOB, BOT_USER])
    slack = {"mode": "http", "bot_token": token, "signing_secret": "s", "port": 0, "host": "127.0.0.1"}
    services = make_services(sqlite_url, slack={**slack, "api_url": double.api_url})
    adapter = SlackAdapter(services.config.slack, Host.of(services))
    connecting = double.hold("auth.test")  # Slack is slow to answer the adapter's first call

    async def sink(_event: object) -> None:
        raise AssertionError("nothing should arrive")

    running = asyncio.create_task(adapter.run(sink))
    try:
        await double.wait_for(lambda: double.calls_to("auth.test", ok=token == double.bot_token))
        # The weekly job, due at start, sends its post while the adapter is still connecting.
        sending = asyncio.create_task(adapter.send(SHOUT_OUT))
        await asyncio.sleep(0)  # one turn of the loop: the send has begun
        assert not sending.done(), "the send gave up before the adapter was connected"
        connecting.set()
        if token == double.bot_token:
            sent = await asyncio.wait_for(sending, 10)
            assert sent is not None and [m.ts for m in double.bot_messages(KUDOS)] == [sent.message_id]
        else:  # the connection failed: the send fails at once too, for the outbox to retry it
            with pytest.raises(RuntimeError, match="not running"):
                await asyncio.wait_for(sending, 10)
            assert double.bot_messages(KUDOS) == []
    finally:
        await adapter.close()
        # The refused start's SlackStartError, taken here rather than left to the task's finalizer.
        [ended] = await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), 10)
        await double.stop()
        services.store.close()
    assert isinstance(ended, SlackStartError) is (token != double.bot_token)
    assert spec.problems_in(double.calls) == []


async def test_an_invented_parameter_on_chat_post_message_is_still_reported() -> None:
    spec = web_api_spec()
    double = SlackDouble()
    await double.start()
    try:
        double.space.add_channel(KUDOS, "kudos", [BOT_USER])
        client = reader(double)
        await client.api_call(
            "chat.postMessage", json={"channel": KUDOS, "text": "hi", "metadata": TAG, "colour": "red"}
        )
        await client.conversations_history(channel=KUDOS, include_all_metadata=True, limit=100)
    finally:
        await double.stop()
    assert spec.problems_in(double.calls) == ["chat.postMessage: unknown parameter 'colour'"]


def _sent(sent: Sent | None) -> Sent:
    assert sent is not None
    return sent
