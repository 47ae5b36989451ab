"""A manager's announcement reaches every help room, one named by its alias too, and pings nobody."""

from __future__ import annotations

from collections.abc import Callable

from bot.chat.text import WORD_JOINER
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running
from tests.matrix.synapse import Account


async def test_an_announcement_goes_to_every_help_room_by_id_or_alias_without_pinging_the_room(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    cam, bob = await colleague("Cam"), await colleague("Bob")
    account = bot_account()
    first = await cam.create_room(invite=[account.user_id, bob.user_id], encrypted=False)
    second = await cam.create_room(invite=[account.user_id, bob.user_id], encrypted=True)
    alias = f"#help-{second[1:7].lower()}:{cam.user_id.split(':', 1)[1]}"
    assert (await cam.client.room_put_alias(alias, second)).__class__.__name__ == "RoomPutAliasResponse"
    services = bot_services(
        account,
        {"help_rooms": [first, alias], "enabled": True},
        bot={"admins": [f"matrix:{cam.user_id}"], "log_format": "text"},
    )
    async with running(services):
        for room in (first, second):
            await cam.wait_member(room, account.user_id)
        await bob.say(first, "!entraide admin announce hi")  # not a manager: refused
        await cam.say(first, "!entraide admin announce The wiki moved, @room")
        for room in (first, second):
            await bob.wait_for(lambda s, room=room: s.is_notice(account.user_id, room) and "📣" in s.body)
        told = await cam.wait_for(lambda s: s.is_notice(account.user_id) and "Announced in 2" in s.body)

    posts = [s for s in bob.notices_from(account.user_id) if "📣" in s.body]
    assert sorted(s.room_id for s in posts) == sorted([first, second])
    for post in posts:
        assert post.body == f"📣 From the community managers: The wiki moved, @{WORD_JOINER}room"
        assert post.content.get("m.mentions", {}).get("room") is not True
    assert f"Announced in 2 help channels: matrix:{first}, matrix:{alias}." in told.body
    refused = [s.body for s in bob.notices_from(account.user_id) if "community managers may run" in s.body]
    assert refused, "Bob is no manager"
