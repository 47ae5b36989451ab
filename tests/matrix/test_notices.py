"""Posts that stand on their own (a weekly shout-out): rendered with a title and a note, and
delivered exactly once even when a crash leaves the delivery unrecorded and a new process
sends it again (the outbox's second attempt) — the same instance, or another one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.chat.events import Mention, Reply, UserRef
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import Colleague, Seen, running, until
from tests.matrix.synapse import Account, Synapse


def shout_out(room: str, thanked: Colleague, thanker: Colleague) -> Reply:
    carol, bob = UserRef("matrix", thanked.user_id, "Carol"), UserRef("matrix", thanker.user_id, "Bob")
    return Reply(
        body=("Thanks to ", Mention(carol), " for the fern, @room!"),
        conversation=room,
        title="Shout-outs <week 49>",
        note=("Thanked by ", Mention(bob), " · say !thanks to add yours"),
        key=f"shoutout:matrix:{room}:2026-W49",
    )


async def posted_once(person: Colleague, bot: str, room: str, marker: str) -> Seen:
    """The one shout-out ``person`` sees in ``room``, once the bot's later ``marker`` arrived:
    events of a room come in order, so a second copy would have arrived before it."""
    await person.wait_for(lambda s: s.event_id == marker)
    shout_outs = [s for s in person.notices_from(bot, room) if "Shout-outs" in s.body]
    assert len(shout_outs) == 1, [s.body for s in shout_outs]
    return shout_outs[0]


async def test_a_shout_out_resent_by_a_restarted_bot_is_posted_once_with_its_title_note_and_pills(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True, name="team")
    reply = shout_out(room, carol, bob)

    async with running(bot_services(account)) as first:
        await bob.wait_member(room, bot)
        sent = await first.adapter.send(reply)
        device, token = first.adapter.client.device_id, first.adapter.client.access_token
    # As if the bot died before recording the delivery: a new process, built from the same
    # config and store directory, gets it again from the outbox's sweep.
    async with running(bot_services(account)) as second:
        assert (second.adapter.client.device_id, second.adapter.client.access_token) == (device, token)
        again = await second.adapter.send(replace(reply, attempt=2))
        marker = await second.adapter.send(Reply(body=("Marker",), conversation=room, key="marker"))

    assert sent is not None and marker is not None
    assert again == sent
    seen = await posted_once(bob, bot, room, marker.message_id)
    assert seen.event_id == sent.message_id
    assert seen.content["msgtype"] == "m.notice"
    assert seen.content["m.mentions"] == {"user_ids": [carol.user_id, bob.user_id]}
    assert seen.html.startswith("<strong>Shout-outs &lt;week 49&gt;</strong><br>Thanks to ")
    assert f'<a href="https://matrix.to/#/{carol.user_id}">Carol</a> for the fern' in seen.html
    assert seen.html.endswith(
        f'<br><br><em>Thanked by <a href="https://matrix.to/#/{bob.user_id}">Bob</a>'
        " · say !thanks to add yours</em>"
    )
    assert seen.body.split("\n\n") == [
        "Shout-outs <week 49>",
        "Thanks to Carol for the fern, @room!",
        "Thanked by Bob · say !thanks to add yours",
    ]


async def test_a_resend_after_the_homeserver_forgot_the_transaction_finds_the_first_post(
    synapse: Synapse,
    colleague: MakeColleague,
    bot_account: Callable[..., Account],
    bot_services: MakeServices,
    tmp_path: Path,
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True, name="team")
    reply = shout_out(room, carol, bob)

    async with running(bot_services(account)) as first:
        await bob.wait_member(room, bot)
        sent = await first.adapter.send(reply)
        device, token = first.adapter.client.device_id, first.adapter.client.access_token
    # The bot stays down for more than a day: Synapse no longer knows the transaction id (a
    # plain resend would post a second copy). Meanwhile its saved token stopped working.
    await asyncio.to_thread(synapse.forget_transactions, bot)
    session = tmp_path / "bot-store" / "session.json"
    saved = json.loads(session.read_text("utf-8"))
    session.write_text(json.dumps({**saved, "access_token": "revoked"}), "utf-8")

    async with running(bot_services(account)) as second:
        # A password login on the same device: a new access token.
        assert second.adapter.client.device_id == device
        assert second.adapter.client.access_token != token
        again = await second.adapter.send(replace(reply, attempt=2))
        marker = await second.adapter.send(Reply(body=("Marker",), conversation=room, key="marker"))

    assert sent is not None and marker is not None
    assert again == sent
    assert (await posted_once(bob, bot, room, marker.message_id)).event_id == sent.message_id


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "clear"])
async def test_a_resend_by_another_instance_of_the_bot_finds_the_first_post(
    encrypted: bool,
    colleague: MakeColleague,
    bot_account: Callable[..., Account],
    bot_services: MakeServices,
    tmp_path: Path,
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=encrypted, name="team")
    reply = shout_out(room, carol, bob)

    # Two instances of the bot: two store directories, two devices of one account.
    async with running(bot_services(account)) as first:
        await bob.wait_member(room, bot)
        other = bot_services(account, {"store_dir": str(tmp_path / "other-store")})
        async with running(other) as second:
            device = second.adapter.client.device_id
            assert device != first.adapter.client.device_id
            if encrypted:
                # The first knows the second's device (as instances running side by side do),
                # so the room key of what it posts is shared with it too.
                await until(lambda: device in first.adapter.client.device_store[bot])
            sent = await first.adapter.send(reply)
            # The first died before recording the delivery; the second's sweep sends it again.
            again = await second.adapter.send(replace(reply, attempt=2))
            marker = await second.adapter.send(Reply(body=("Marker",), conversation=room, key="marker"))

    assert sent is not None and marker is not None
    assert again == sent
    assert (await posted_once(bob, bot, room, marker.message_id)).event_id == sent.message_id
