"""Entraide on Slack, end to end: the double over HTTP, the real Bolt app, the real pipeline.

Users act in the double (post, react, click); the bot's answers are read back from the double's
workspace, where the bot's real slack_sdk client put them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.jobs import MovableClock
from tests.slack_double.harness import ALICE, BOB, CAROL, DAVE, HELP, Bot, slack_bot
from tests.slack_double.payloads import message_events
from tests.slack_double.workspace import Message

CHECK = "white_check_mark"
GENERAL_WITH_BOT = "C0RANDOM"


def buttons(message: Message) -> list[str]:
    return [
        e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b.get("elements", [])
    ]


def only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


async def asked(bot: Bot, *users: str) -> list[Message]:
    """The requests for help the bot sent privately to ``users``, once each has one."""
    double = bot.double
    await double.wait_for(lambda: all(double.dms_to(u) for u in users))
    return [double.dms_to(u)[0] for u in users]


async def test_a_need_in_a_help_channel_gets_suggestions_in_its_thread(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        bot.knows(BOB, "Bob", "Terraform")
        need = await bot.double.say(ALICE, HELP, "anyone know Terraform? my plan keeps failing")
        answer = only(await bot.double.wait_for(lambda: bot.double.bot_messages(HELP, thread=need.ts)))
        assert f"<@{BOB}>" in answer.text and "Terraform" in answer.text
        assert f"<@{CAROL}>" not in answer.text
        # Nothing at the top of the channel: the answer lives in the need's thread.
        assert [m for m in bot.double.bot_messages(HELP) if m.thread_ts is None] == []
        # A reply the bot never saw (posted while it was away): ✅ on it still solves the need,
        # the bot asking Slack which thread the message is in.
        reply = bot.double.space.add_message(HELP, BOB, "run terraform init -upgrade", thread_ts=need.ts)
        await bot.double.react(ALICE, reply, CHECK)
        solved = await bot.double.wait_for(
            lambda: [m for m in bot.double.bot_messages(HELP, thread=need.ts) if "solved" in m.text]
        )
        assert f"<@{BOB}> is credited" in only(solved).text
        assert bot.double.calls_to("conversations.replies")


async def test_consent_mode_asks_by_dm_accept_introduces_and_check_mark_solves(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, routing={"mode": "consent", "ask_count": 2}) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        bot.knows(CAROL, "Carol", "Terraform")
        need = await double.say(ALICE, HELP, "anyone know Terraform? the plan keeps failing")
        to_bob, _to_carol = await asked(bot, BOB, CAROL)
        assert f"<@{ALICE}> needs help" in to_bob.text and "the plan keeps failing" in to_bob.text
        assert buttons(to_bob) == ["Accept", "Not now", "Suggest someone else"]
        status = only(await double.wait_for(lambda: double.bot_messages(HELP, thread=need.ts)))
        assert "I asked 2 colleagues privately" in status.text
        assert double.dms_to(ALICE) == []  # the asker is told in the thread, not in private

        ack = await double.click(BOB, to_bob, "Accept")
        assert ack.status == 200
        intro = only(
            await double.wait_for(lambda: [m for m in double.bot_messages(HELP, need.ts) if "meet" in m.text])
        )
        assert intro.text.startswith(f"<@{ALICE}>, meet <@{BOB}>")
        thanks = await double.wait_for(lambda: double.dms_to(BOB)[1:])
        assert f"introduced you to <@{ALICE}>" in thanks[0].text
        # The request cannot be answered twice: its buttons became the answer given.
        assert buttons(double.dms_to(BOB)[0]) == []
        assert "✓ Accept" in str(double.dms_to(BOB)[0].blocks)

        help_given = await double.say(BOB, HELP, "try terraform init -upgrade", thread_ts=need.ts)
        await double.react(ALICE, help_given, CHECK)
        solved = await double.wait_for(
            lambda: [m for m in double.bot_messages(HELP, need.ts) if "solved" in m.text]
        )
        assert f"<@{BOB}> is credited" in only(solved).text
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.id is not None
        assert bot.services.store.open_needs(alice.id) == []


async def test_thumbs_up_on_a_request_accepts_it(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, routing={"mode": "consent", "ask_count": 1}) as bot:
        bot.knows(CAROL, "Carol", "Kubernetes")
        need = await bot.double.say(ALICE, HELP, "? how do I drain a Kubernetes node")
        [request] = await asked(bot, CAROL)
        await bot.double.react(CAROL, request, "+1::skin-tone-3")
        intro = await bot.double.wait_for(
            lambda: [m for m in bot.double.bot_messages(HELP, need.ts) if "meet" in m.text]
        )
        assert f"meet <@{CAROL}>" in only(intro).text


async def test_suggest_someone_else_passes_the_request_to_the_next_colleague(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, routing={"mode": "consent", "ask_count": 1}) as bot:
        bot.knows(BOB, "Bob", "SQL")
        bot.knows(DAVE, "Dave", "SQL")
        await bot.double.say(ALICE, HELP, "anyone know SQL window functions?")
        first = await bot.double.wait_for(lambda: [u for u in (BOB, DAVE) if bot.double.dms_to(u)])
        other = DAVE if first == [BOB] else BOB
        await bot.double.click(first[0], bot.double.dms_to(first[0])[0], "Suggest someone else")
        [request] = await asked(bot, other)
        assert "SQL window functions" in request.text
        no_problem = await bot.double.wait_for(lambda: bot.double.dms_to(first[0])[1:])
        assert "I've asked someone else" in no_problem[0].text


async def test_direct_messages_and_mentions_are_commands(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        dm = double.space.im_with(ALICE).id
        await double.say(ALICE, dm, "skills add Terraform, Go")
        answer = only(await double.wait_for(lambda: double.bot_messages(dm)))
        assert "Terraform" in answer.text and answer.thread_ts is None
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.name == "Alice"  # the display name, from users.info

        mention = await double.say(BOB, HELP, f"<@U0BOT> thanks <@{ALICE}> for the Terraform tip")
        thanked = only(await double.wait_for(lambda: double.bot_messages(HELP, thread=mention.ts)))
        assert thanked.text == f"Thanks recorded for <@{ALICE}>."
        notice = await double.wait_for(lambda: double.bot_messages(dm)[1:])
        assert f"<@{BOB}> thanked you" in notice[0].text

        await double.say(CAROL, HELP, "<@U0BOT> skills list")
        private = only(await double.wait_for(lambda: double.ephemerals_for(CAROL)))
        assert "not declared any skill" in private["text"] and private["channel"] == HELP

        # Talking to the bot in a help channel without a command word is a need, not an error.
        need = await double.say(CAROL, HELP, "<@U0BOT> anyone know Terraform?")
        suggestion = only(await double.wait_for(lambda: double.bot_messages(HELP, thread=need.ts)))
        assert f"<@{ALICE}>" in suggestion.text


async def test_the_same_event_delivered_three_times_is_handled_once(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        message = double.space.add_message(HELP, ALICE, "anyone know Terraform?")
        [envelope] = message_events(double.space, message)
        acks = [await double.send_event(envelope, retry=n) for n in range(3)]
        assert [a.status for a in acks] == [200, 200, 200]
        await double.wait_for(lambda: double.bot_messages(HELP, thread=message.ts))
        # A later event makes sure the retries had every chance to be (wrongly) handled.
        await double.say(ALICE, double.space.im_with(ALICE).id, "skills list")
        await double.wait_for(lambda: double.dms_to(ALICE))
        assert len(double.bot_messages(HELP, thread=message.ts)) == 1
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.id is not None
        assert len(bot.services.store.open_needs(alice.id)) == 1


async def test_unsigned_or_stale_requests_get_401_and_do_nothing(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        message = double.space.add_message(HELP, ALICE, "anyone know Terraform?")
        [envelope] = message_events(double.space, message)
        forged = await double.send_event(envelope, secret="not-the-signing-secret")
        stale = await double.send_event(envelope, age=6 * 60)
        assert (forged.status, stale.status) == (401, 401)
        await double.say(ALICE, double.space.im_with(ALICE).id, "skills list")
        await double.wait_for(lambda: double.dms_to(ALICE))
        assert double.bot_messages(HELP) == []
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.id is not None
        assert bot.services.store.open_needs(alice.id) == []
        # The same event, signed properly, is handled: it was refused, not remembered.
        assert (await double.send_event(envelope)).status == 200
        await double.wait_for(lambda: double.bot_messages(HELP, thread=message.ts))


async def test_a_burst_of_replies_under_rate_limiting_is_delayed_not_lost(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        double.rate_limit("chat.postMessage", times=4, retry_after=1)
        first = await double.say(ALICE, HELP, "anyone know Terraform? question 0")
        # Acknowledged at once, answered later: Slack asked to wait a second before the reply.
        assert double.bot_messages(HELP, thread=first.ts) == []
        needs = [first] + [
            await double.say(ALICE, HELP, f"anyone know Terraform? question {n}") for n in range(1, 6)
        ]
        await double.wait_for(lambda: all(double.bot_messages(HELP, thread=n.ts) for n in needs), timeout=30)
        assert all(len(double.bot_messages(HELP, thread=n.ts)) == 1 for n in needs)
        limited = [c for c in double.calls if c.status == 429]
        assert len(limited) == 4
        posted = double.calls_to("chat.postMessage")
        # Slack said "retry after 1 s": nothing was posted again before that second had passed.
        assert min(c.at for c in posted) - min(c.at for c in limited) >= 1.0


async def test_help_channels_can_be_named_and_the_health_check_answers(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, help_channels=("#help",)) as bot:
        double = bot.double
        double.space.add_channel(GENERAL_WITH_BOT, "random", [ALICE, "U0BOT"])
        bot.knows(BOB, "Bob", "Terraform")
        need = await double.say(ALICE, HELP, "? Terraform drift on prod")
        [answer] = await double.wait_for(lambda: double.bot_messages(HELP, thread=need.ts))
        assert f"<@{BOB}>" in answer.text
        await double.say(ALICE, GENERAL_WITH_BOT, "anyone know Terraform?")  # not a help channel
        await double.say(ALICE, HELP, "? Terraform again")  # handled after the one above
        await double.wait_for(lambda: len(double.bot_messages(HELP)) == 2)
        assert double.bot_messages(GENERAL_WITH_BOT) == []
        assert len(double.calls_to("conversations.info")) == 2  # once per channel, then remembered
        assert await double.get_from_bot("/health") == (200, {"ok": True})
        # Saving the Events URL in the app settings: Slack's challenge is answered.
        challenge = {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
        verified = await double.send_event(challenge)
        assert (
            verified.status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in verified.body
        )


async def test_a_job_posts_with_no_inbound_event(sqlite_url: str) -> None:
    clock = MovableClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    async with slack_bot(sqlite_url, routing={"mode": "consent"}, clock=clock) as bot:
        need = await bot.double.say(ALICE, HELP, "anyone know how to repot the office fern?")
        [first] = await bot.double.wait_for(lambda: bot.double.bot_messages(HELP, need.ts))
        assert "I know nobody yet" in first.text
        clock.advance(timedelta(days=15))  # the daily job's time comes; nobody says anything
        [closed] = await bot.double.wait_for(
            lambda: [m for m in bot.double.dms_to(ALICE) if "is closed" in m.text]
        )
    assert "nobody could take it within 14 days" in closed.text


async def test_was_it_solved_comes_by_dm_and_its_button_solves_the_need(sqlite_url: str) -> None:
    clock = MovableClock(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    async with slack_bot(sqlite_url, routing={"mode": "consent", "ask_count": 1}, clock=clock) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        await double.say(ALICE, HELP, "anyone know Terraform state locking?")
        [request] = await asked(bot, BOB)
        await double.click(BOB, request, "Accept")
        await double.wait_for(lambda: double.dms_to(BOB)[1:])  # the acceptance is handled
        clock.advance(timedelta(days=3, minutes=1))  # solved_check_days later
        [question] = await double.wait_for(
            lambda: [m for m in double.dms_to(ALICE) if "Was your need #1" in m.text]
        )
        assert buttons(question) == ["Solved", "Not yet"]
        await double.click(ALICE, question, "Solved")
        done = await double.wait_for(lambda: [m for m in double.dms_to(ALICE) if "as solved" in m.text])
        assert f"<@{BOB}> is credited" in done[0].text
        need = bot.services.store.get_need(1)
        assert need is not None and need.status == "solved"
