"""Sending right after a join, before the bot's next sync shows the room.

nio only learns rooms (members, encryption) from sync, and must know an encrypted room to
encrypt for it. The bot's sync is held here after its first batch, so what it joined in that
batch stays unknown to it until the test lets the sync go: the timing that used to fail at
random ("No such room") or open a second direct chat is made certain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from unittest import mock

import pytest

from adapters.matrix import MatrixSendError
from adapters.matrix.client import make_client
from bot.chat.events import Reply, Sent, UserRef
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import WAIT, Bot, HeldSync, running, until
from tests.matrix.synapse import Account

ENCRYPTED = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


async def send_while_sync_is_held(bot: Bot, held: HeldSync, reply: Reply) -> str | None:
    """The id of the event posted; see :func:`_send_while_sync_is_held`."""
    sent = await _send_while_sync_is_held(bot, held, reply)
    return sent.message_id if sent else None


async def _send_while_sync_is_held(bot: Bot, held: HeldSync, reply: Reply) -> Sent | None:
    """Send ``reply`` while the bot's next sync is held; let the sync go once the send is over
    or is waiting for that sync (the adapter then asks for it)."""
    sending = asyncio.ensure_future(bot.adapter.send(reply))
    asked = asyncio.ensure_future(bot.adapter._sync_needed.wait())
    await asyncio.wait({sending, asked}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    asked.cancel()
    held.release()
    return await asyncio.wait_for(sending, timeout=WAIT)


async def test_a_send_to_an_encrypted_room_just_joined_waits_for_sync_to_show_it(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True)
    services = bot_services(account)
    client = make_client(services.config.matrix)
    held = HeldSync(client)  # the first sync (with the invitation) goes through, not the next

    with mock.patch.object(client, "sync", held):
        async with running(services, client=client) as running_bot:
            await bob.wait_member(room, bot)  # joined: the homeserver would take the message
            assert room not in client.rooms, "the bot has not synced since it joined"
            reply = Reply(body=("Right after joining",), conversation=room, key="$joined:0")
            sent = await send_while_sync_is_held(running_bot, held, reply)
            seen = await bob.wait_for(lambda s: s.event_id == sent)

    assert seen.room_id == room and seen.body == "Right after joining"
    assert seen.decrypted, "encrypted for the room's members once sync showed them"


async def test_a_private_reply_right_after_joining_a_direct_chat_uses_that_chat(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    created = await bob.client.room_create(is_direct=True, invite=[bot], initial_state=[ENCRYPTED])
    direct = str(created.room_id)
    services = bot_services(account)
    client = make_client(services.config.matrix)
    held = HeldSync(client)

    with mock.patch.object(client, "sync", held):
        async with running(services, client=client) as running_bot:
            await bob.wait_member(direct, bot)
            dm_key = f"dm:{bob.user_id}"
            await until(lambda: services.store.get_state("matrix", dm_key, account=bot) == direct)
            assert direct not in client.rooms, "the bot has not synced since it joined"
            reply = Reply(body=("Privately",), to=UserRef("matrix", bob.user_id, "Bob"), key="$asked:0")
            sent = await send_while_sync_is_held(running_bot, held, reply)
            seen = await bob.wait_for(lambda s: s.event_id == sent)

    assert seen.room_id == direct, "the direct chat Bob opened, not a second one"
    assert seen.decrypted
    assert set(bob.client.rooms) == {direct} and not bob.client.invited_rooms


async def test_a_send_to_a_room_sync_never_shows_fails_with_a_clear_error(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    room = await bob.create_room(invite=[], encrypted=True)  # the bot is not in it
    services = bot_services(account)

    async with running(services, room_wait_seconds=0.5) as running_bot:
        reply = Reply(body=("Nobody will read this",), conversation=room, key="$nowhere:0")
        with pytest.raises(MatrixSendError, match="did not show up in sync") as failure:
            await running_bot.adapter.send(reply)

    assert room in str(failure.value)
