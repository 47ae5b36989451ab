"""Replies in a need's thread on Matrix (``m.thread``) are evidence at once; chatter stores nothing.

A real Synapse and the whole bot: a colleague who answers a need in its thread, in words no
skill covers, is suggested for the next need with those words; a message in the room and a
reply in the thread of a message that is no need leave no person, reply or thread behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from skills_db.storage.models import HelpReply, HelpThread, Identity
from skills_db.storage.store import Store
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running, until
from tests.matrix.synapse import Account

ANSWER = "flux capacitor calibration: turn the dial until the gauge reads 1.21"


def in_thread(root: str) -> dict[str, Any]:
    """What Element sends for a reply in the thread of ``root``."""
    return {
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root},
        }
    }


def replies(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.execute(
            sa.select(Identity.handle, HelpReply.text).join(  # type: ignore[call-overload]
                Identity, Identity.person_id == HelpReply.person_id
            )
        ).all()
        return sorted((str(handle), str(text)) for handle, text in rows)


def thread_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(HelpThread)).scalar_one())


async def test_a_thread_reply_to_a_need_is_evidence_at_once_and_chatter_stores_nothing(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, alice, zoe, dave = [await colleague(n) for n in ("Bob", "Alice", "Zoe", "Dave")]
    account = bot_account()
    bot = account.user_id
    people = [bot, alice.user_id, zoe.user_id, dave.user_id]
    room = await bob.create_room(invite=people, encrypted=False)
    services = bot_services(account, {"help_rooms": [room]})
    store = services.store

    async with running(services):
        for member in (bob, alice, zoe, dave):
            await member.wait_member(room, bot)
        # Chatter: a message in the room, and replies in its thread (one room's events are
        # handled in order, so these are done with before the need's reply below).
        morning = await zoe.say(room, "good morning, flux capacitor day today")
        await zoe.say(room, "flux capacitor calibration went fine", **in_thread(morning))
        await dave.say(room, "nice flux capacitor calibration", **in_thread(morning))

        need = await bob.say(room, "? anyone know how to do a flux capacitor calibration")
        await bob.wait_for(lambda s: s.is_notice(bot, room) and s.thread == need)
        await alice.say(room, ANSWER, **in_thread(need))
        await bob.say(room, "thanks, trying that flux capacitor dial", **in_thread(need))  # the asker
        await until(lambda: bool(replies(store)))

        again = await dave.say(room, "? anyone know flux capacitor calibration, mine drifts")
        suggestion = await dave.wait_for(lambda s: s.is_notice(bot, room) and s.thread == again)

    assert "Alice" in suggestion.body and f"https://matrix.to/#/{alice.user_id}" in suggestion.html
    assert replies(store) == [(alice.user_id, ANSWER)]
    assert thread_count(store) == 1
    assert store.find_person("matrix", zoe.user_id) is None  # only ever chatted: not even a name
    # The bot said nothing to the replies: one notice in each need's thread.
    assert [s.thread for s in dave.notices_from(bot, room)] == [need, again]
