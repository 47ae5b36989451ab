"""Bad input gets a short, clear answer in the user's language, and nothing stored is lost."""

from __future__ import annotations

import pytest

from bot.chat.events import EventKind
from bot.chat.pipeline import Pipeline
from bot.chat.text import WORD_JOINER
from bot.commands import registry
from bot.commands.registry import ArgKind, Argument, Command, Registry
from tests.support import MemoryAdapter, event, make_services


@pytest.fixture
def bot(sqlite_url: str) -> tuple[Pipeline, MemoryAdapter]:
    return Pipeline(make_services(sqlite_url)), MemoryAdapter()


async def say(
    bot: tuple[Pipeline, MemoryAdapter], text: str, who: str = "alice", **extra: object
) -> list[str]:
    pipeline, adapter = bot
    before = len(adapter.sent)
    await pipeline.handle(adapter, event(text, who, **extra))
    return [r.plain for r in adapter.sent[before:]]


async def test_unknown_command_suggests_the_closest(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "nede help with SQL") == ["I don't know the command “nede”. Did you mean need?"]
    assert await say(bot, "xyzzy") == ["I don't know the command “xyzzy”. Send help to see what I can do."]


async def test_unknown_command_in_french(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await say(bot, "langue fr")
    assert await say(bot, "besion de SQL") == [
        "Je ne connais pas la commande «\u00a0besion\u00a0». Vouliez-vous dire besoin\u00a0?"
    ]


async def test_missing_argument_shows_usage(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "need") == [
        "Something is missing: what you need help with.\nUsage: need [--anonymous] <what you need help with>"
    ]
    assert await say(bot, "endorse @bob") == [
        "Something is missing: a skill.\nUsage: endorse @someone <skill>"
    ]
    assert await say(bot, "skills add") == [
        "Something is missing: the skills, separated by commas.\n"
        "Usage: skills add|remove|list <skill, skill…>"
    ]
    assert await say(bot, "away") == [
        "Something is missing: a day or a duration (2026-12-24, 3d, 2w, until monday, off).\n"
        "Usage: away <YYYY-MM-DD | DD/MM/YYYY | 3d | 2w | until monday | off>"
    ]


async def test_bad_values_show_usage(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "optout everything") == [
        "“everything” is not a valid choice (matching, shoutouts or dms).\n"
        "Usage: optout matching|shoutouts|dms"
    ]
    assert await say(bot, "away someday") == [
        "“someday” is not a date I understand.\n"
        "Usage: away <YYYY-MM-DD | DD/MM/YYYY | 3d | 2w | until monday | off>"
    ]
    assert await say(bot, "solved") == ["You have no open need.\nUsage: solved [need number] [@helper]"]


@pytest.mark.parametrize("mention", ["bob", "@", "@@bob", "@bo\x00b"])
async def test_malformed_mentions(bot: tuple[Pipeline, MemoryAdapter], mention: str) -> None:
    (answer,) = await say(bot, f"thanks {mention} for SQL")
    assert "is not a mention: write @name." in answer
    assert answer.endswith("Usage: thanks @someone [@someone…] [for …]")


async def test_unknown_person(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "profile @nobody") == ["I don't know who @nobody is.\nUsage: profile [@someone]"]


async def test_oversized_message_is_refused_with_the_limit(
    bot: tuple[Pipeline, MemoryAdapter],
) -> None:
    pipeline, _adapter = bot
    (answer,) = await say(bot, "need " + "x" * 20_000)
    assert answer == "Your message is too long (20005 characters; the limit is 4000). Nothing was saved."
    person = pipeline.services.store.find_person("memory", "alice")
    assert person is not None and pipeline.services.store.open_needs(person.id or 0) == []


async def test_broadcast_mentions_are_neutralised(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await say(bot, "skills add Terraform", who="bob")
    _pipeline, adapter = bot
    await say(bot, "need @channel @here @room terraform please")
    await say(bot, "accept", who="bob")
    rendered = "\n".join(r.plain for r in adapter.sent)
    for word in ("channel", "here", "room"):
        assert f"@{word}" not in rendered
        assert f"@{WORD_JOINER}{word}" in rendered


async def test_a_crashing_handler_does_not_stop_the_bot_nor_lose_data(sqlite_url: str) -> None:
    calls = []

    def explode(ctx: object, args: object) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    commands = Registry()
    for command in registry():
        commands.add(command)
    commands.add(Command("crash", explode, (Argument("text", ArgKind.REST, required=False),)))
    services = make_services(sqlite_url)
    pipeline, adapter = Pipeline(services, commands), MemoryAdapter()
    await pipeline.handle(adapter, event("skills add Python"))
    await pipeline.handle(adapter, event("crash now", event_id="crash-1"))
    assert calls == [1]
    assert adapter.sent[-1].plain.startswith("Sorry, something went wrong on my side (ref crash-1).")
    await pipeline.handle(adapter, event("skills list"))
    assert adapter.sent[-1].plain == "Your declared skills: Python"


async def test_a_failing_send_does_not_stop_the_bot(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    pipeline, adapter = bot
    adapter.fail_sends = True
    await pipeline.handle(adapter, event("skills add Rust"))
    adapter.fail_sends = False
    assert await say(bot, "skills list") == ["Your declared skills: Rust"]


async def test_reply_in_the_users_language_after_a_crash(sqlite_url: str) -> None:
    def explode(ctx: object, args: object) -> None:
        raise ValueError("nope")

    commands = Registry()
    for command in registry():
        commands.add(command)
    commands.add(Command("crash", explode))
    pipeline, adapter = Pipeline(make_services(sqlite_url), commands), MemoryAdapter()
    await pipeline.handle(adapter, event("langue fr"))
    await pipeline.handle(adapter, event("crash", event_id="c-fr"))
    assert adapter.sent[-1].plain.startswith("Désolé, un problème est survenu de mon côté (réf. c-fr).")


async def test_events_from_bots_and_self_are_ignored(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "help", sender_is_bot=True) == []
    assert await say(bot, "help", who="bot") == []


async def test_plain_chatter_is_ignored_but_help_channel_needs_are_caught(
    bot: tuple[Pipeline, MemoryAdapter],
) -> None:
    assert await say(bot, "lunch anyone?", kind=EventKind.MESSAGE) == []
    assert await say(bot, "need help with python", kind=EventKind.MESSAGE) == []  # not a help channel
    (answer,) = await say(bot, "? how do I tune postgres", kind=EventKind.MESSAGE, in_help_channel=True)
    assert "PostgreSQL" in answer and "need #1" in answer


async def test_personal_weekly_cap(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "cap 2") == ["Noted: at most 2 requests for help per week."]
    assert await say(bot, "cap lots") == ["“lots” is not a number from 1 to 20.\nUsage: cap <1-20>"]
    person = bot[0].services.store.find_person("memory", "alice")
    assert person is not None and person.weekly_ask_cap == 2
