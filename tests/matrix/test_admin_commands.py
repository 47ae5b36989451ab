"""Every admin command on Matrix (`!entraide admin …`), against the real Synapse: refused to a member
of the admin room below the power level, briefly, with nothing audited or changed; allowed to one at
the power level, and audited with them as its author."""

from __future__ import annotations

from collections.abc import Callable

from tests.admin_commands import admin_lines, audit_actions, refusal, snapshot
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import Colleague, running
from tests.matrix.synapse import Account


async def ask(person: Colleague, room: str, text: str, bot: str) -> str:
    """``!entraide text`` said in ``room``; the bot's answer (private answers come by DM)."""
    count = len(person.notices_from(bot))
    await person.say(room, f"!entraide {text}")
    notices = await person.wait_count(lambda seen: seen.is_notice(bot), count + 1)
    return notices[count].body


async def test_every_admin_command_follows_the_power_level_in_the_admin_room(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    carol, eve, dan = await colleague("Carol"), await colleague("Eve"), await colleague("Dan")
    account = bot_account()
    bot = account.user_id
    admin_room = await carol.create_room(invite=[bot, eve.user_id, dan.user_id], encrypted=False)
    power = await carol.client.room_get_state_event(admin_room, "m.room.power_levels")
    levels = dict(power.content)
    levels["users"] = {**levels.get("users", {}), eve.user_id: 50}  # Dan keeps the default, 0
    await carol.client.room_put_state(admin_room, "m.room.power_levels", levels)
    services = bot_services(account, {"admin_room": admin_room, "admin_power_level": 50})
    lines = admin_lines()

    async with running(services):
        for person in (eve, dan):
            await carol.wait_member(admin_room, person.user_id)
        await carol.wait_member(admin_room, bot)
        before = snapshot(services.store)
        for line in lines:
            assert await ask(dan, admin_room, line.text, bot) == refusal(services, line), line.text
        assert "stats" not in await ask(dan, admin_room, "help", bot)
        assert audit_actions(services.store) == []
        assert snapshot(services.store) == before

        for line in lines:
            answer = await ask(eve, admin_room, line.text, bot)
            assert "Only community managers" not in answer, (line.text, answer)
        assert "• stats — aggregate activity figures" in await ask(eve, admin_room, "help", bot)

    manager = services.store.find_person("matrix", eve.user_id)
    assert manager is not None
    expected = [(line.action, manager.id) for line in lines if line.action is not None]
    assert audit_actions(services.store) == expected and len(expected) >= 2
