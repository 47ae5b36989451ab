"""/entraide on Slack: clear answers to empty, unknown and hostile commands; where answers go."""

from __future__ import annotations

import re
from typing import Any

from tests.slack_double.harness import ALICE, BOB, CAROL, GENERAL, HELP, PRIVATE, Bot, slack_bot

BROADCAST = re.compile(r"<!(channel|here|everyone)|[@!](channel|here|everyone)\b")


def everything_said(bot: Bot) -> list[str]:
    """Every text the bot made visible: messages, ephemeral messages, response URL answers."""
    space = bot.double.space
    said = [m.text for messages in space.messages.values() for m in messages if m.user == "U0BOT"]
    said += [str(m.blocks) for messages in space.messages.values() for m in messages if m.user == "U0BOT"]
    said += [e["text"] + str(e["blocks"]) for e in space.ephemerals]
    said += [str(r.get("text")) + str(r.get("blocks")) for r in bot.double.responses]
    return said


async def private_answers(bot: Bot, count: int = 1) -> list[dict[str, Any]]:
    """What the bot answered through response URLs, once there are ``count`` answers."""
    responses = bot.double.responses
    await bot.double.wait_for(lambda: len(responses) >= count)
    return responses


async def test_an_empty_command_lists_what_the_bot_can_do_privately(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        ack = await bot.double.command(ALICE, HELP, "")
        assert (ack.status, ack.body) == (200, "")  # acknowledged; the answer comes separately
        [answer] = await private_answers(bot)
        assert answer["response_type"] == "ephemeral"
        assert str(answer["text"]).startswith("Here is what I can do:")
        assert "skills add|remove|list" in str(answer["text"])
        assert bot.double.bot_messages(HELP) == []


async def test_an_unknown_subcommand_gets_a_suggestion(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        await bot.double.command(ALICE, HELP, "skils add Go")
        [answer] = await private_answers(bot)
        assert answer["text"] == "I don't know the command “skils”. Did you mean skills?"
        await bot.double.command(ALICE, HELP, "frobnicate")
        answers = await private_answers(bot, 2)
        assert answers[1]["text"] == "I don't know the command “frobnicate”. Send help to see what I can do."


async def test_personal_commands_are_answered_privately_and_work(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        await bot.double.command(ALICE, HELP, "skills add Terraform")
        [answer] = await private_answers(bot)
        assert answer["response_type"] == "ephemeral" and "Terraform" in str(answer["text"])
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.id is not None
        assert [c.skill for c in bot.services.store.claims([alice.id])] == ["Terraform"]


async def test_hostile_text_is_answered_and_never_broadcast(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        hostile = "<!channel> <!here> help with &lt;script&gt;alert(1)&lt;/script&gt; &amp; stuff"
        await bot.double.command(ALICE, HELP, f"need {hostile}")
        [echo] = await bot.double.wait_for(lambda: bot.double.bot_messages(HELP))
        assert "I know nobody yet for" in echo.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; stuff" in echo.text  # shown, not run
        await bot.double.say(BOB, HELP, "anyone know <!everyone> &lt;b&gt; stuff?")
        await bot.double.wait_for(lambda: len(bot.double.bot_messages(HELP)) >= 2)

        await bot.double.command(CAROL, HELP, "need " + "x" * 40_960)
        [too_long] = await private_answers(bot)
        assert "too long (40965 characters; the limit is 4000)" in str(too_long["text"])
        carol = bot.services.store.find_person("slack", CAROL)
        assert carol is not None and carol.id is not None
        assert bot.services.store.open_needs(carol.id) == []
        said = everything_said(bot)
        assert said and not [text for text in said if BROADCAST.search(text)]


async def test_only_community_managers_get_statistics(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, bot={"admins": [f"slack:{CAROL}"]}) as bot:
        await bot.double.command(ALICE, HELP, "stats")
        [refused] = await private_answers(bot)
        assert refused["text"] == "Only community managers may run stats."
        await bot.double.command(CAROL, HELP, "stats")
        answers = await private_answers(bot, 2)
        assert str(answers[1]["text"]).startswith("People: ")


async def test_a_public_answer_reaches_channels_the_bot_is_not_in(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        bot.knows(BOB, "Bob", "Terraform")
        # A public channel: the bot joins it to answer.
        await bot.double.command(ALICE, GENERAL, "need Terraform state is locked")
        [answer] = await bot.double.wait_for(lambda: bot.double.bot_messages(GENERAL))
        assert f"<@{BOB}>" in answer.text
        assert bot.double.calls_to("conversations.join")
        # A private channel it cannot join: the answer goes through the command's response URL.
        await bot.double.command(ALICE, PRIVATE, "need Terraform modules")
        [response] = await private_answers(bot)
        assert response["response_type"] == "in_channel" and f"<@{BOB}>" in str(response["text"])
        assert bot.double.bot_messages(PRIVATE) == []
