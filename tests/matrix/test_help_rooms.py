"""Needs in help rooms, suggestions in the need's thread, hostile text, what the bot ignores."""

from __future__ import annotations

from collections.abc import Callable

from skills_db.storage.models import ClaimSource
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running
from tests.matrix.synapse import Account


async def test_a_need_in_a_help_room_gets_suggestions_naming_the_right_colleague_in_its_thread(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, alice, zoe = await colleague("Bob"), await colleague("Alice"), await colleague("Zoe")
    account = bot_account()
    room = await bob.create_room(invite=[account.user_id, alice.user_id, zoe.user_id], encrypted=False)
    services = bot_services(account, {"help_rooms": [room]})
    store = services.store
    alice_person = store.person_for("matrix", alice.user_id, "Alice")
    store.add_claim(alice_person.id or 0, "Terraform", ClaimSource.DECLARED)
    zoe_person = store.person_for("matrix", zoe.user_id, "Zoe")
    store.add_claim(zoe_person.id or 0, "Kubernetes", ClaimSource.DECLARED)

    async with running(services):
        await bob.wait_member(room, account.user_id)
        chatter = await bob.say(room, "good morning everyone")
        need = await bob.say(room, "? anyone know how to do terraform state locking")
        answer = await bob.wait_for(lambda s: s.is_notice(account.user_id, room))

    assert answer.thread == need, "the suggestions go in the need's thread"
    assert answer.relation["m.in_reply_to"] == {"event_id": need}
    assert answer.content["msgtype"] == "m.notice"
    assert "Terraform" in answer.body and "Alice" in answer.body
    assert f'href="https://matrix.to/#/{alice.user_id}"' in answer.html
    assert answer.content["m.mentions"] == {"user_ids": [alice.user_id]}
    assert zoe.user_id not in answer.html
    assert all(s.thread != chatter for s in bob.notices_from(account.user_id))
