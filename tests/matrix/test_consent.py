"""Consent mode over Matrix: the helper is asked in an encrypted direct chat, accepts with 👍,
both are introduced in the need's thread, and the asker's ✅ on the helper's reply solves it."""

from __future__ import annotations

from collections.abc import Callable

from skills_db.storage.models import AskStatus, ClaimSource, NeedStatus
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running
from tests.matrix.synapse import Account


async def test_consent_flow_through_an_encrypted_direct_chat(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, alice = await colleague("Bob"), await colleague("Alice")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, alice.user_id], encrypted=True)
    services = bot_services(account, {"help_rooms": [room]}, routing={"mode": "consent"})
    helper = services.store.person_for("matrix", alice.user_id, "Alice")
    services.store.add_claim(helper.id or 0, "Terraform", ClaimSource.DECLARED)

    async with running(services):
        await bob.wait_member(room, bot)
        await bob.wait_member(room, alice.user_id)
        need = await bob.say(room, "? need help with terraform state locking")

        # The helper is asked privately, in a direct chat the bot opens, encrypted.
        ask = await alice.wait_for(lambda s: s.is_notice(bot) and s.room_id != room)
        assert ask.decrypted, "the request travelled encrypted"
        assert alice.client.rooms[ask.room_id].encrypted
        assert "Bob" in ask.body and "terraform state locking" in ask.body
        assert f"https://matrix.to/#/{bob.user_id}" in ask.html
        told = await bob.wait_for(lambda s: s.is_notice(bot, room))
        assert told.thread == need  # "I asked a colleague privately…", in the need's thread

        await alice.react(ask.room_id, ask.event_id, "👍")
        intro = await bob.wait_for(lambda s: s.is_notice(bot, room) and alice.user_id in s.html)
        assert intro.thread == need
        assert set(intro.content["m.mentions"]["user_ids"]) == {bob.user_id, alice.user_id}
        assert intro.decrypted
        thanked = await alice.wait_for(lambda s: s.is_notice(bot, ask.room_id) and s.event_id != ask.event_id)
        assert "Bob" in thanked.body

        advice = await alice.say(
            room,
            "Use a DynamoDB table for the lock",
            **{"m.relates_to": {"rel_type": "m.thread", "event_id": need, "is_falling_back": True}},
        )
        await bob.wait_for(lambda s: s.event_id == advice)
        await bob.react(room, advice, "✅")
        solved = await bob.wait_for(lambda s: s.is_notice(bot, room) and "solved" in s.body.lower())

    assert solved.thread == need
    assert f"https://matrix.to/#/{alice.user_id}" in solved.html  # Alice is credited
    stored = services.store.find_need("matrix", room, need)
    assert stored is not None and stored.status == NeedStatus.SOLVED
    assert stored.solved_by_id == helper.id


async def test_a_helper_may_answer_by_replying_with_a_thumbs_down(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, alice = await colleague("Bob"), await colleague("Alice")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, alice.user_id], encrypted=False)
    services = bot_services(account, {"help_rooms": [room]}, routing={"mode": "consent"})
    helper = services.store.person_for("matrix", alice.user_id, "Alice")
    services.store.add_claim(helper.id or 0, "Terraform", ClaimSource.DECLARED)

    async with running(services):
        await bob.wait_member(room, bot)
        await bob.say(room, "? need help with terraform modules")
        ask = await alice.wait_for(lambda s: s.is_notice(bot) and s.room_id != room)
        await alice.say(
            ask.room_id,
            f"> <{bot}> {ask.body}\n\n👎",
            **{"m.relates_to": {"m.in_reply_to": {"event_id": ask.event_id}}},
        )
        answer = await alice.wait_for(lambda s: s.is_notice(bot, ask.room_id) and s.event_id != ask.event_id)

    # Alice was the only colleague who knows Terraform: the answer promises nobody else.
    assert answer.body == "No problem, thanks for saying so."
    asker = services.store.person_for("matrix", bob.user_id)
    (need,) = services.store.open_needs(asker.id or 0)
    assert [a.status for a in services.store.asks_for_need(need.id or 0)] == [AskStatus.DECLINED]
