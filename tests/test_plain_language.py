"""Plain language in private conversations: needs, greetings and thanks without a command."""

from __future__ import annotations

import pytest

from bot.chat.events import EventKind
from bot.chat.pipeline import Pipeline
from bot.commands import registry
from tests.support import MemoryAdapter, event, make_services, pipeline_for, run_console

NBSP = "\u00a0"


@pytest.fixture
def bot(sqlite_url: str) -> tuple[Pipeline, MemoryAdapter]:
    adapter = MemoryAdapter()
    return pipeline_for(make_services(sqlite_url), adapter), adapter


async def dm(bot: tuple[Pipeline, MemoryAdapter], text: str, who: str = "alice") -> list[str]:
    """What ``who`` is answered when writing ``text`` in a private conversation with the bot."""
    pipeline, adapter = bot
    before = len(adapter.sent)
    await pipeline.handle(adapter, event(text, who, kind=EventKind.MESSAGE, is_direct=True))
    return [r.plain for r in adapter.sent[before:]]


def needs_of(bot: tuple[Pipeline, MemoryAdapter], who: str = "alice") -> list[str]:
    store = bot[0].services.store
    person = store.find_person("memory", who)
    return [] if person is None else [n.text for n in store.open_needs(person.id or 0)]


async def test_a_need_in_plain_words_is_a_need_with_a_tip(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await dm(bot, "skills add Pandas", "bob")
    answers = await dm(bot, "hi, can someone help me with pandas?")
    # Bob is asked, the asker hears it, and one short line says how to write it next time.
    assert answers[0].startswith("@Alice needs help: “can someone help me with pandas?”.")
    assert answers[1].startswith("I asked a colleague privately about Pandas;")
    assert answers[2:] == ["Tip: next time you can write need … directly."]
    assert needs_of(bot) == ["can someone help me with pandas?"]


@pytest.mark.parametrize(
    "text",
    [
        "does anyone know terraform state locking",
        "help me with docker?",  # "help" is a command word, but this is no request for the help list
        "Hello there! How do I size Kubernetes pods?",
        "terraform",  # a skill named, in private: a need
    ],
)
async def test_needs_in_plain_english(bot: tuple[Pipeline, MemoryAdapter], text: str) -> None:
    answers = await dm(bot, text)
    assert answers[-1] == "Tip: next time you can write need … directly."
    assert len(needs_of(bot)) == 1


async def test_a_need_in_plain_french(sqlite_url: str) -> None:
    adapter = MemoryAdapter()
    bot = pipeline_for(make_services(sqlite_url, bot={"language": "fr"}), adapter), adapter
    answers = await dm(bot, "Bonjour, quelqu'un connaît Helm ?")
    assert answers[0].startswith("Je ne connais encore personne pour Helm.")
    assert answers[1] == f"Astuce{NBSP}: la prochaine fois, vous pouvez écrire directement besoin …"
    assert needs_of(bot) == ["quelqu'un connaît Helm ?"]


@pytest.mark.parametrize("text", ["hi", "Hello!", "hey there", "good morning 👋", "bonjour", "Salut à tous"])
async def test_greetings_get_a_friendly_answer(bot: tuple[Pipeline, MemoryAdapter], text: str) -> None:
    assert await dm(bot, text) == [
        "Hello! Tell me in your own words what you need help with, or send help to see what I can do."
    ]
    assert needs_of(bot) == []
    assert bot[0].services.store.find_person("memory", "alice") is None  # only answered: no record


@pytest.mark.parametrize("text", ["thanks!", "Thank you so much", "merci", "merci beaucoup !", "ok thanks"])
async def test_thanks_without_a_command_get_a_friendly_answer(
    bot: tuple[Pipeline, MemoryAdapter], text: str
) -> None:
    assert await dm(bot, text) == [
        "You're welcome! To thank a colleague who helped you, write thanks @name for …"
    ]
    # Only answered: no thanks recorded, and no record of who wrote it (#13).
    assert bot[0].services.store.find_person("memory", "alice") is None


async def test_greetings_and_thanks_in_french(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await dm(bot, "langue fr")
    assert await dm(bot, "coucou") == [
        f"Bonjour{NBSP}! Dites-moi avec vos mots pour quoi vous cherchez de l'aide, "
        "ou envoyez aide pour voir ce que je sais faire."
    ]
    assert await dm(bot, "merci !") == [
        f"Avec plaisir{NBSP}! Pour remercier un·e collègue qui vous a aidé, écrivez merci @nom pour …"
    ]


async def test_a_command_after_a_greeting_runs(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await dm(bot, "hello! skills add Go") == [
        "Noted, you know: Go. Help you give will count for more than this declaration."
    ]


async def test_what_is_neither_a_need_nor_a_greeting_gets_did_you_mean(
    bot: tuple[Pipeline, MemoryAdapter],
) -> None:
    assert await dm(bot, "skils add python") == ["I don't know the command “skils”. Did you mean skills?"]
    assert await dm(bot, "xyzzy") == ["I don't know the command “xyzzy”. Send help to see what I can do."]
    assert await dm(bot, "lunch at noon") == [
        "I don't know the command “lunch”. Send help to see what I can do."
    ]
    assert needs_of(bot) == []


async def test_not_in_public_channels(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    pipeline, adapter = bot
    await pipeline.handle(adapter, event("hi, can someone help me with pandas?", conversation="general"))
    await pipeline.handle(adapter, event("hello", conversation="general"))
    assert [r.plain for r in adapter.sent] == [
        "I don't know the command “hi,”. Send help to see what I can do.",
        "I don't know the command “hello”. Send help to see what I can do.",
    ]
    assert needs_of(bot) == []


async def test_the_console_is_a_private_conversation(sqlite_url: str) -> None:
    out = await run_console(make_services(sqlite_url), "hello\nis there anyone who knows PostgreSQL?")
    assert "Hello! Tell me in your own words what you need help with" in out
    assert "I know nobody yet for PostgreSQL." in out
    assert "Tip: next time you can write need … directly." in out


async def test_a_french_alias_that_collides_with_its_argument(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert registry().parse("besoin d'aide avec Kubernetes").arguments.text("text") == "avec Kubernetes"
    assert registry().parse("Besoin d’aide  avec Helm").arguments.text("text") == "avec Helm"
    assert registry().parse("besoin de SQL").arguments.text("text") == "de SQL"
    answers = await dm(bot, "besoin d'aide avec Kubernetes")
    assert answers[0].startswith("I know nobody yet for Kubernetes.")
    assert needs_of(bot) == ["avec Kubernetes"]
