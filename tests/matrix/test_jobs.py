"""A job posts on Matrix with no inbound event: the bot acts on its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.jobs import MovableClock
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running
from tests.matrix.synapse import Account

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


async def test_a_need_nobody_took_is_closed_with_a_last_word_to_the_asker(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot], encrypted=False)
    clock = MovableClock(START)
    services = bot_services(account, {"help_rooms": [room]}, clock.now, routing={"mode": "consent"})

    async with running(services, clock):
        await bob.wait_member(room, bot)
        await bob.say(room, "? anyone know how to repot the office fern")
        first = await bob.wait_for(lambda s: s.is_notice(bot, room))
        assert "I know nobody yet" in first.body
        clock.advance(timedelta(days=15))  # the daily job's time comes; nobody says anything
        closed = await bob.wait_for(lambda s: s.is_notice(bot) and "is closed" in s.body)

    assert closed.room_id != room, "told privately"
    assert "nobody could take it within 14 days" in closed.body
    assert len([s for s in bob.notices_from(bot) if "is closed" in s.body]) == 1
