"""Clean input: no mention, empty, invisible or emoji-only text is stored, and messages speak
the user's words (labels, not argument names; command words in their language)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from bot.chat.context import Services
from bot.chat.pipeline import Pipeline
from bot.commands import registry
from bot.commands.registry import ArgKind, Command
from bot.i18n import Catalog
from skills_db.storage.models import Endorsement, Need, Offer, SkillClaim, Thanks
from tests.support import Clock, MemoryAdapter, event, make_services, pipeline_for

NBSP = "\u00a0"
DAYS = ("2026-11-05", "05/11/2026", "5/11", "5.11.26", "until thursday", "jeudi", "jusqu'à jeudi")
AWAY_USAGE = "Usage: away <YYYY-MM-DD | DD/MM/YYYY | 3d | 2w | until monday | off>"


@pytest.fixture
def bot(sqlite_url: str) -> tuple[Pipeline, MemoryAdapter]:
    adapter = MemoryAdapter()
    return pipeline_for(make_services(sqlite_url, Clock()), adapter), adapter


async def say(bot: tuple[Pipeline, MemoryAdapter], text: str, who: str = "alice") -> list[str]:
    pipeline, adapter = bot
    before = len(adapter.sent)
    await pipeline.handle(adapter, event(text, who))
    return [r.plain for r in adapter.sent[before:]]


def stored(services: Services) -> dict[str, int]:
    """How many skill claims, needs, offers, thanks and endorsements the database holds."""
    with Session(services.store.engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (SkillClaim, Need, Offer, Thanks, Endorsement)
        }


async def test_mentions_are_never_skills(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    for who in ("bob", "dmitri"):
        await say(bot, "skills add Terraform", who)
    before = stored(bot[0].services)
    assert await say(bot, "skills add @bob") == [
        "“@bob” is a mention, not a skill: write skill names, separated by commas.\n"
        "Usage: skills add|remove|list <skill, skill…>"
    ]
    assert (await say(bot, "learn Go, @bob"))[0].startswith("“@bob” is a mention, not a skill")
    assert await say(bot, "endorse @bob @dmitri terraform") == [
        "Which colleague do you endorse: @bob, @dmitri? Endorse one at a time.\n"
        "Usage: endorse @someone <skill>"
    ]
    assert stored(bot[0].services) == before


async def test_thanking_several_people_at_once(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    pipeline, adapter = bot
    for who in ("bob", "dmitri"):
        await say(bot, "skills list", who)
    assert await say(bot, "thanks @bob @dmitri for docker") == [
        "Thanks recorded for @Bob and @Dmitri.",
        "@Alice thanked you: “docker”",
        "@Alice thanked you: “docker”",
    ]
    assert [r.to.handle for r in adapter.sent[-2:] if r.to] == ["bob", "dmitri"]  # each one privately
    store = pipeline.services.store
    for who in ("bob", "dmitri"):
        person = store.find_person("memory", who)
        assert person is not None and [t.text for t in store.thanks_received(person.id or 0)] == ["docker"]
    await say(bot, "skills list", "carol")
    assert (await say(bot, "thanks @carol and @bob for the review"))[
        0
    ] == "Thanks recorded for @Carol and @Bob."


async def test_no_thanking_yourself_among_others(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await say(bot, "skills list", "bob")
    before = stored(bot[0].services)
    assert await say(bot, "thanks @bob @alice for docker") == [
        "You cannot thank yourself.\nUsage: thanks @someone [@someone…] [for …]"
    ]
    assert stored(bot[0].services) == before


async def test_thanks_need_a_reason_or_a_need_to_credit(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await say(bot, "skills add Terraform", "bob")
    before = stored(bot[0].services)
    for text in ("thanks @bob", "thanks @bob for", "merci @bob pour 🎉", "thanks @bob for @carol"):
        assert (await say(bot, text))[0].startswith("What are you thanking @Bob for?"), text
    assert stored(bot[0].services) == before
    # Once Bob took my need, "thanks @bob" says what for: that need.
    await say(bot, "need help with a terraform state lock")
    await say(bot, "accept", "bob")
    assert await say(bot, "thanks @bob") == [
        "Thanks recorded for @Bob.",
        "@Alice thanks you for your help with their need #1 (Terraform).",  # its number, not its text
    ]
    assert stored(bot[0].services)["Thanks"] == before["Thanks"] + 1


@pytest.mark.parametrize("skills", [", ;", "🎉", "🎉, 🚀", "\u200b", "\u200b\u200d, \ufeff", "\u2060 ; ..."])
async def test_no_empty_invisible_or_emoji_skill(bot: tuple[Pipeline, MemoryAdapter], skills: str) -> None:
    (answer,) = await say(bot, f"skills add {skills}")
    assert answer.endswith("Usage: skills add|remove|list <skill, skill…>")
    assert answer.startswith(("I found no skill in", "Something is missing: the skills"))
    assert stored(bot[0].services)["SkillClaim"] == 0


async def test_invisible_characters_are_dropped_from_what_is_stored(
    bot: tuple[Pipeline, MemoryAdapter],
) -> None:
    assert (await say(bot, "skills add Py\u200bthon, \ufeffSQL, 🎉"))[0].startswith(
        "Noted, you know: Python, SQL."
    )
    assert await say(bot, "skills list") == ["Your declared skills: Python, SQL"]


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("need help", "need [--anonymous] <what you need help with>"),
        ("need help please!", "need [--anonymous] <what you need help with>"),
        ("need @bob", "need [--anonymous] <what you need help with>"),
        ("besoin d'aide", "need [--anonymous] <what you need help with>"),
        ("need \u200b", "need [--anonymous] <what you need help with>"),
        ("offer help", "offer <what you can help with>"),
        ("offer 🎉", "offer <what you can help with>"),
    ],
)
async def test_a_need_or_offer_must_say_what(
    bot: tuple[Pipeline, MemoryAdapter], text: str, usage: str
) -> None:
    (answer,) = await say(bot, text)
    assert answer.endswith(f"\nUsage: {usage}")
    assert "help with" in answer.split("\n")[0]
    assert stored(bot[0].services)["Need"] == stored(bot[0].services)["Offer"] == 0


async def test_a_bare_need_in_french(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await say(bot, "langue fr")
    (answer,) = await say(bot, "besoin d'aide")
    assert answer.startswith("Il manque quelque chose")
    assert "ce pour quoi vous cherchez de l'aide." in answer
    assert await say(bot, "besoin d'aide svp !") == [
        f"Pour quoi cherchez-vous de l'aide{NBSP}? Écrivez-le en quelques mots après la commande.\n"
        "Usage\u00a0: besoin [--anonyme] <ce pour quoi vous cherchez de l'aide>"
    ]


# The clock says Monday 2 November 2026, 10:00: every form below names Thursday 5 November —
# a day until its end, a duration from now.
@pytest.mark.parametrize(
    ("when", "until"),
    [
        *((day, datetime(2026, 11, 5, 23, 59, 59, 999999, tzinfo=UTC)) for day in DAYS),
        *(
            (duration, datetime(2026, 11, 5, 10, 0, tzinfo=UTC))
            for duration in ("3d", "3 days", "3j", "3 jours")
        ),
    ],
)
async def test_away_accepts_the_same_day_in_every_form(
    bot: tuple[Pipeline, MemoryAdapter], when: str, until: datetime
) -> None:
    assert await say(bot, f"away {when}") == ["Noted: no requests for help until 2026-11-05."]
    person = bot[0].services.store.find_person("memory", "alice")
    assert person is not None and person.away_until == until


@pytest.mark.parametrize("when", ["2w", "14d", "2sem", "2 weeks", "16/11/2026"])
async def test_away_in_weeks(bot: tuple[Pipeline, MemoryAdapter], when: str) -> None:
    assert await say(bot, f"away {when}") == ["Noted: no requests for help until 2026-11-16."]


async def test_away_says_when_a_day_is_past_or_too_far(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    assert await say(bot, "away 2026-11-01") == [
        f"“2026-11-01” (2026-11-01) is in the past: give a day from today on.\n{AWAY_USAGE}"
    ]
    assert await say(bot, "away 01/11/2025") == [
        f"“01/11/2025” (2025-11-01) is in the past: give a day from today on.\n{AWAY_USAGE}"
    ]
    for far in ("2028-01-01", "367d", "60w"):
        assert await say(bot, f"away {far}") == [
            f"“{far}” is more than 366 days away: give a nearer day.\n{AWAY_USAGE}"
        ]
    assert await say(bot, "away 0d") == [f"“0d” is not a date I understand.\n{AWAY_USAGE}"]
    assert await say(bot, "away 31/02/2027") == [f"“31/02/2027” is not a date I understand.\n{AWAY_USAGE}"]
    person = bot[0].services.store.find_person("memory", "alice")
    assert person is not None and person.away_until is None
    for back in ("off", "back", "retour", "de retour"):
        assert await say(bot, f"away {back}") == ["Welcome back: colleagues may ask you for help again."]


def _line_before(command: Command, index: int) -> str:
    """A command line with valid values for the arguments before ``index``."""
    words = [command.name]
    for argument in command.arguments[:index]:
        if argument.kind is ArgKind.CHOICE:
            words.append(next(iter(argument.choices)))
        elif argument.kind in (ArgKind.PERSON, ArgKind.PEOPLE):
            words.append("@bob")
        else:
            words.append("x")
    return " ".join(words)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_messages_name_arguments_by_their_label_never_by_their_name(
    sqlite_url: str, language: str
) -> None:
    catalog = Catalog.load()
    adapter = MemoryAdapter()
    pipeline = pipeline_for(make_services(sqlite_url, Clock(), bot={"language": language}), adapter)
    checked = 0
    for command in registry():
        for index, argument in enumerate(command.arguments):
            label = catalog.messages[language].get(argument.label_key)
            assert label and label != argument.name, (language, command.name, argument.name)
            if argument.required:
                await pipeline.handle(adapter, event(_line_before(command, index), "boss"))
                checked += 1
            elif argument.kind is ArgKind.CHOICE:
                await pipeline.handle(adapter, event(_line_before(command, index) + " zzz", "boss"))
                checked += 1
            else:
                continue
            answer = adapter.sent[-1].plain.split("\n")[0]
            assert label in answer, (command.name, argument.name, answer)
            for raw in (f": {argument.name}.", f"valid {argument.name}.", f"pour {argument.name}."):
                assert raw not in answer, (command.name, argument.name, answer)
    assert checked >= 12


@pytest.mark.parametrize(("language", "word"), [("en", "need"), ("fr", "besoin")])
async def test_did_you_mean_speaks_the_users_language(sqlite_url: str, language: str, word: str) -> None:
    adapter = MemoryAdapter()
    by_default = pipeline_for(make_services(sqlite_url, bot={"language": language}), adapter), adapter
    await say(by_default, f"language {language}", "chloe")
    for text, who in (("besoni de SQL", "alice"), ("nede SQL", "chloe"), ("help nede", "chloe")):
        (answer,) = await say(by_default, text, who)
        assert answer.removesuffix("?").rstrip(f" {NBSP}").endswith(f" {word}"), answer


async def test_french_help_lists_french_command_words(bot: tuple[Pipeline, MemoryAdapter]) -> None:
    await say(bot, "langue fr")
    (listing,) = await say(bot, "aide")
    lines = listing.split("\n")[1:]
    words = [c.word("fr") for c in registry() if not c.admin]
    assert [line.removeprefix("• ").split()[0] for line in lines] == words
    assert "besoin" in words and "compétences" in words and "need" not in words
    for word in words:  # each French word shown runs its command
        assert registry().get(word) is not None
