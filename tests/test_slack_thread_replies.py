"""Replies in a need's thread on Slack are evidence at once; other chatter stores nothing.

The real adapter and pipeline on the Slack double (its calls checked against Slack's spec): a
colleague who answers a need in its thread, about words no skill covers, is suggested for the
next need with those words. Messages outside a need's thread — in the channel, in the thread of
a message that is no need, the asker's own replies — leave no person, reply or thread behind.
"""

from __future__ import annotations

import sqlalchemy as sa

from skills_db.storage.models import HelpReply, HelpThread, Identity, Person, SkillClaim
from skills_db.storage.store import Store
from tests.slack_double.harness import ALICE, BOB, CAROL, DAVE, HELP, Bot, slack_bot
from tests.slack_double.workspace import Message

TABLES = (Person, Identity, HelpThread, HelpReply, SkillClaim)


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.__name__: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES
        }


async def answer_to(bot: Bot, need: Message, count: int = 1) -> Message:
    double = bot.double
    return (await double.wait_for(lambda: double.bot_messages(HELP, thread=need.ts)[count - 1 :]))[0]


def replies(store: Store) -> list[tuple[str, str]]:
    """(handle of the replier, reply text) of every reply recorded."""
    with store.session() as session:
        rows = session.execute(
            sa.select(Identity.handle, HelpReply.text).join(  # type: ignore[call-overload]
                Identity, Identity.person_id == HelpReply.person_id
            )
        ).all()
        return sorted((str(handle), str(text)) for handle, text in rows)


async def test_a_reply_in_a_need_thread_is_evidence_at_once_and_chatter_stores_nothing(
    database_url: str,
) -> None:
    async with slack_bot(database_url) as bot:
        double, store = bot.double, bot.services.store
        # Chatter first: a message in the channel, replies in its thread.
        morning = await double.say(BOB, HELP, "good morning everyone, flux capacitor day")
        await double.say(BOB, HELP, "the flux capacitor calibration went fine", thread_ts=morning.ts)
        await double.say(DAVE, HELP, "nice flux capacitor calibration", thread_ts=morning.ts)

        need = await double.say(ALICE, HELP, "anyone know how to do a flux capacitor calibration?")
        first = await answer_to(bot, need)
        assert f"<@{CAROL}>" not in first.text  # nobody knows yet
        await double.say(CAROL, HELP, "flux capacitor calibration: turn the dial to 1.21", thread_ts=need.ts)
        # The asker's own reply is no help given.
        await double.say(ALICE, HELP, "thanks, trying that flux capacitor thing", thread_ts=need.ts)
        await double.wait_for(lambda: replies(store))
        assert replies(store) == [(CAROL, "flux capacitor calibration: turn the dial to 1.21")]
        assert len(double.bot_messages(HELP, thread=need.ts)) == 1  # the bot said nothing to the reply

        again = await double.say(DAVE, HELP, "anyone know flux capacitor calibration? mine drifts")
        suggestion = await answer_to(bot, again)
        assert f"<@{CAROL}>" in suggestion.text

    store = Store.open(database_url)
    try:
        assert store.find_person("slack", BOB) is None  # only ever chatted: not even a name
        assert counts(store)["HelpThread"] == 1
        assert replies(store) == [(CAROL, "flux capacitor calibration: turn the dial to 1.21")]
        carol = store.find_person("slack", CAROL)
        assert carol is not None and carol.name == "Carol"  # known as a helper now
    finally:
        store.close()


async def test_a_reply_in_the_thread_of_a_message_that_is_no_need_stores_nothing(database_url: str) -> None:
    async with slack_bot(database_url) as bot:
        double = bot.double
        before = counts(bot.services.store)
        lunch = await double.say(BOB, HELP, "lunch at noon?")
        await double.say(CAROL, HELP, "yes, the terraform place", thread_ts=lunch.ts)
        await double.say(DAVE, HELP, "count me in", thread_ts=lunch.ts)
    # The adapter handles what it acknowledged before it stops: every message was seen.
    store = Store.open(database_url)
    try:
        assert counts(store) == before
        assert all(store.find_person("slack", who) is None for who in (BOB, CAROL, DAVE))
        assert double.bot_messages(HELP) == []
    finally:
        store.close()
