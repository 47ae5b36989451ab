"""Restarts of the bot and of the homeserver: nothing handled twice, nothing missed, same device."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from bot.chat.events import Reply
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import Colleague, Seen, running
from tests.matrix.synapse import Account, Synapse


def answers(person: Colleague, bot: str, room: str) -> list[str | None]:
    """The thread root of each of the bot's notices in ``room``: which message each answers."""
    return [s.thread for s in person.notices_from(bot, room)]


async def test_commands_in_an_encrypted_room_work_and_a_restart_handles_nothing_twice(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    # Three members: a team room, where answers go in threads (a room of two is a direct chat).
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True, name="team")
    services = bot_services(account)

    async with running(services) as first:
        await bob.wait_member(room, bot)
        command = await bob.say(room, "!entraide need help with the quarterly budget spreadsheet")
        await bob.wait_for(lambda s: s.is_notice(bot, room))
        device = first.adapter.client.device_id

    async with running(bot_services(account)) as second:
        assert second.adapter.client.device_id == device, "the bot keeps its device across restarts"
        again = await bob.say(room, "!entraide need help with the office plants")
        await bob.wait_count(lambda s: s.is_notice(bot, room), 2)

    # The second answer could only come from a bot that decrypted the message with the keys it
    # kept; the first command was not answered again after the restart.
    assert answers(bob, bot, room) == [command, again]


async def test_messages_sent_while_the_bot_is_stopped_are_handled_once_after_restart(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True)
    services = bot_services(account)

    async with running(services):
        await bob.wait_member(room, bot)
        before = await bob.say(room, "!entraide need help with the coffee machine")
        await bob.wait_for(lambda s: s.is_notice(bot, room))

    # More messages than one sync returns: the first command is only found by filling the gap.
    while_away = [await bob.say(room, "!entraide need help with the printer on floor 2")]
    for number in range(60):
        await bob.say(room, f"chatter {number}")
    while_away.append(await bob.say(room, "!entraide need help with the badge reader"))

    async with running(bot_services(account)):
        await bob.wait_count(lambda s: s.is_notice(bot, room), 3, timeout=60)
        # Per-room order: once this one is answered, any replay would have been answered too.
        sentinel = await bob.say(room, "!entraide need help with the parking spaces")
        await bob.wait_count(lambda s: s.is_notice(bot, room), 4)

    assert answers(bob, bot, room) == [before, *while_away, sentinel]


async def test_the_bot_reconnects_after_the_homeserver_restarts(
    synapse: Synapse,
    colleague: MakeColleague,
    bot_account: Callable[..., Account],
    bot_services: MakeServices,
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot], encrypted=False)
    services = bot_services(account, {"help_rooms": [room]})

    async with running(services) as running_bot:
        await bob.wait_member(room, bot)
        first = await bob.say(room, "? need help with the coffee machine")
        await bob.wait_for(lambda s: s.is_notice(bot, room))
        await asyncio.to_thread(synapse.restart)
        second = await bob.say(room, "? need help with the printer")
        await bob.wait_count(lambda s: s.is_notice(bot, room), 2, timeout=60)
        assert not running_bot.adapter_task_done()

    assert answers(bob, bot, room) == [first, second]


async def test_the_first_start_skips_the_backlog_and_history_before_joining(
    synapse: Synapse,
    colleague: MakeColleague,
    bot_account: Callable[..., Account],
    bot_services: MakeServices,
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    # The bot's account was already in this room before the bot first ran (set up by hand)…
    old_room = await bob.create_room(invite=[bot, carol.user_id], encrypted=False)
    synapse.request("POST", f"/_matrix/client/v3/join/{old_room}", {}, token=account.access_token)
    # …and is invited to this one, where needs were posted before it joins.
    new_room = await bob.create_room(invite=[bot, carol.user_id], encrypted=False)
    for room in (old_room, new_room):
        await bob.say(room, "? need help with something from last week")
    services = bot_services(account, {"help_rooms": [old_room, new_room]})

    async with running(services):
        await bob.wait_member(new_room, bot)
        fresh = {room: await bob.say(room, "? need help with something new") for room in (old_room, new_room)}
        for room in (old_room, new_room):
            await bob.wait_for(partial(Seen.is_notice, sender=bot, room_id=room))

    for room in (old_room, new_room):
        assert answers(bob, bot, room) == [fresh[room]]


async def test_a_resend_with_the_same_key_does_not_post_twice(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True)
    reply = Reply(body=("The same answer",), conversation=room, key="$need-event:0")

    async with running(bot_services(account)) as first:
        await bob.wait_member(room, bot)
        sent = await first.adapter.send(reply)
    # As if the bot crashed after sending but before recording it: a new process sends again.
    async with running(bot_services(account)) as second:
        again = await second.adapter.send(reply)
        marker = await second.adapter.send(replace(reply, body=("Marker",), key="marker"))
        await bob.wait_for(lambda s: marker is not None and s.event_id == marker.message_id)

    assert again == sent
    assert [s.body for s in bob.notices_from(bot, room)] == ["The same answer", "Marker"]
