"""An anonymous need over Matrix, sent to the bot in an encrypted direct chat: the colleague asked
sees "A colleague" (no name, no pill), their 👍 is an offer told to the asker, the asker's
`accept-helper` introduces the two privately, and nothing of it reaches the help room."""

from __future__ import annotations

from collections.abc import Callable

from skills_db.storage.models import AskStatus, ClaimSource
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import ENCRYPTION, Seen, running
from tests.matrix.synapse import Account

NEED = "need --anonymous help with terraform state locking"


def names(seen: Seen, display: str, user_id: str) -> bool:
    """Whether ``seen`` names someone: by display name or id, in its text, a pill or its mentions."""
    mentioned = (seen.content.get("m.mentions") or {}).get("user_ids") or []
    return any(w in seen.body or w in seen.html for w in (display, user_id)) or user_id in mentioned


async def test_an_anonymous_need_by_direct_chat_names_the_asker_only_to_the_helper_they_accept(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, alice = await colleague("Bob"), await colleague("Alice")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, alice.user_id], encrypted=True)
    services = bot_services(account, {"help_rooms": [room]}, routing={"mode": "consent", "ask_count": 1})
    helper = services.store.person_for("matrix", alice.user_id, "Alice")
    services.store.add_claim(helper.id or 0, "Terraform", ClaimSource.DECLARED)

    async with running(services):
        await bob.wait_member(room, bot)
        await alice.wait_member(room, bot)
        response = await bob.client.room_create(is_direct=True, invite=[bot], initial_state=[ENCRYPTION])
        direct = str(response.room_id)
        await bob.wait_member(direct, bot)
        await bob.say(direct, NEED)

        # Alice is asked in a direct chat of her own, about "a colleague": no name, no pill.
        ask = await alice.wait_for(lambda s: s.is_notice(bot) and s.room_id != room)
        assert ask.decrypted and "A colleague, who asks anonymously" in ask.body
        assert "terraform state locking" in ask.body
        assert not names(ask, "Bob", bob.user_id) and "matrix.to" not in ask.html
        answer = await bob.wait_for(lambda s: s.is_notice(bot, direct))
        assert "Your need #1 is anonymous" in answer.body and "shows everyone" not in answer.body

        # Her 👍 is an offer: Bob learns who offers; Alice still does not know who asked.
        await alice.react(ask.room_id, ask.event_id, "👍")
        offer = await bob.wait_for(lambda s: s.is_notice(bot, direct) and "offers to help" in s.body)
        assert f"https://matrix.to/#/{alice.user_id}" in offer.html
        offered = await alice.wait_for(lambda s: s.is_notice(bot, ask.room_id) and s.event_id != ask.event_id)
        assert "I've told the colleague who asked" in offered.body and not names(offered, "Bob", bob.user_id)

        # Bob accepts her: now, and only now, both are introduced, each in their direct chat.
        await bob.say(direct, "accept-helper")
        done = await bob.wait_for(lambda s: s.is_notice(bot, direct) and "introduced you" in s.body)
        assert f"https://matrix.to/#/{alice.user_id}" in done.html
        intro = await alice.wait_for(
            lambda s: s.is_notice(bot, ask.room_id) and "accepted your offer" in s.body
        )
        assert f"https://matrix.to/#/{bob.user_id}" in intro.html

    # Nothing was posted in the help room, which both of them see.
    assert bob.notices_from(bot, room) == [] and alice.notices_from(bot, room) == []
    asker = services.store.find_person("matrix", bob.user_id)
    assert asker is not None and asker.id is not None
    [need] = services.store.open_needs(asker.id)
    assert need.anonymous and not need.public
    assert [a.status for a in services.store.asks_for_need(need.id or 0)] == [AskStatus.ACCEPTED]
