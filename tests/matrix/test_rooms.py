"""Community managers from power levels, invitations, direct chats, and what the bot ignores."""

from __future__ import annotations

from collections.abc import Callable

from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running
from tests.matrix.synapse import Account


async def test_managers_are_creators_and_high_power_levels_of_the_admin_room(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    carol, eve, dan = await colleague("Carol"), await colleague("Eve"), await colleague("Dan")
    account = bot_account()
    bot = account.user_id
    # Room version 12 (Synapse's default): Carol, the creator, is not in the power levels at all.
    admin_room = await carol.create_room(
        invite=[bot, eve.user_id, dan.user_id], encrypted=False, room_version="12"
    )
    power = await carol.client.room_get_state_event(admin_room, "m.room.power_levels")
    levels = dict(power.content)
    assert carol.user_id not in levels.get("users", {})
    levels["users"] = {**levels.get("users", {}), eve.user_id: 50, dan.user_id: 49}
    await carol.client.room_put_state(admin_room, "m.room.power_levels", levels)
    services = bot_services(account, {"admin_room": admin_room, "admin_power_level": 50})

    async with running(services):
        for person in (eve, dan):
            await carol.wait_member(admin_room, person.user_id)
        await carol.wait_member(admin_room, bot)
        for person in (carol, eve, dan):
            await person.say(admin_room, "!entraide stats")
        answers = {
            person.user_id: (await person.wait_for(lambda s: s.is_notice(bot))).body
            for person in (carol, eve, dan)
        }

    assert answers[carol.user_id].startswith("People:")
    assert answers[eve.user_id].startswith("People:")
    assert "Only community managers" in answers[dan.user_id]


async def test_invitations_are_accepted_only_from_allowed_servers_or_into_allowed_rooms(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    allowed = await bob.create_room(invite=[], encrypted=False, name="allowed")
    services = bot_services(account, {"allowed_servers": ["partner.example"], "allowed_rooms": [allowed]})

    async with running(services):
        other = await bob.create_room(invite=[bot], encrypted=False, name="not allowed")
        await bob.client.room_invite(allowed, bot)
        await bob.wait_member(allowed, bot)
        left = await bob.wait_for(
            lambda s: (
                s.room_id == other
                and s.source.get("state_key") == bot
                and s.content.get("membership") == "leave"
            )
        )

    assert left.sender == bot  # the bot declined the invitation itself


async def test_a_direct_chat_opened_by_a_colleague_takes_commands_without_prefix(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    services = bot_services(account)

    async with running(services):
        response = await bob.client.room_create(is_direct=True, invite=[bot], initial_state=[ENCRYPTED])
        direct = response.room_id
        await bob.wait_member(direct, bot)
        await bob.say(direct, "skills add Terraform")
        answer = await bob.wait_for(lambda s: s.is_notice(bot, direct))

    assert answer.decrypted and "Terraform" in answer.body
    assert "m.relates_to" not in answer.content  # a private chat reads best without threads
    # reused for later asks
    assert services.store.get_state("matrix", f"dm:{bob.user_id}", account=bot) == direct


ENCRYPTED = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


async def test_edits_notices_and_other_bots_are_ignored_and_mentions_address_the_bot(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, robot = await colleague("Bob"), await colleague("Robot")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, robot.user_id], encrypted=True)
    services = bot_services(account, {"help_rooms": [room]})

    async with running(services):
        await bob.wait_member(room, bot)
        await bob.wait_member(room, robot.user_id)
        first = await bob.say(room, "hello all")
        await bob.say(
            room,
            " * ? need help with kubernetes",
            **{
                "m.new_content": {"msgtype": "m.text", "body": "? need help with kubernetes"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": first},
            },
        )
        await robot.send(room, {"msgtype": "m.notice", "body": "? need help with my own output"})
        addressed = await bob.send(
            room,
            {
                "msgtype": "m.text",
                "body": "Entraide: need help with a wiki",
                "format": "org.matrix.custom.html",
                "formatted_body": f'<a href="https://matrix.to/#/{bot}">Entraide</a>: need help with a wiki',
                "m.mentions": {"user_ids": [bot]},
            },
        )
        # Events of a room are handled in order: a reply to anything sent earlier would be here first.
        await bob.wait_for(lambda s: s.is_notice(bot, room))

    assert [s.thread for s in bob.notices_from(bot, room)] == [addressed]
    assert "wiki" in bob.notices_from(bot, room)[0].body


async def test_an_access_token_without_password_is_enough_and_keeps_its_device(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True)
    services = bot_services(account, {"password": "", "access_token": account.access_token})

    async with running(services) as running_bot:
        assert running_bot.adapter.client.device_id == account.device_id
        await bob.wait_member(room, bot)
        command = await bob.say(room, "!entraide need help with the team calendar")
        answer = await bob.wait_for(lambda s: s.is_notice(bot, room))

    assert answer.thread == command and answer.decrypted


async def test_a_pill_names_the_colleague_a_command_is_about(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, alice = await colleague("Bob"), await colleague("Alice")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, alice.user_id], encrypted=True)
    services = bot_services(account)
    # Alice uses Entraide already: a mention alone records nobody (tests/test_data_rights.py).
    services.store.person_for("matrix", alice.user_id, "Alice")

    async with running(services):
        await bob.wait_member(room, bot)
        await bob.wait_member(room, alice.user_id)
        pill = f'<a href="https://matrix.to/#/{alice.user_id}">Alice</a>'
        await bob.send(
            room,
            {
                "msgtype": "m.text",
                "body": "!entraide thanks Alice for the terraform review",
                "format": "org.matrix.custom.html",
                "formatted_body": f"!entraide thanks {pill} for the terraform review",
                "m.mentions": {"user_ids": [alice.user_id]},
            },
        )
        answer = await bob.wait_for(lambda s: s.is_notice(bot))

    assert "Thanks recorded" in answer.body, answer.body
    assert f"https://matrix.to/#/{alice.user_id}" in answer.html
