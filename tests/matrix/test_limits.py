"""Rate limits and hostile text: replies are delayed rather than lost, user text stays inert."""

from __future__ import annotations

from collections.abc import Callable

from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import running
from tests.matrix.synapse import Account

BURST = 12  # Synapse's default message limit lets 10 through at once, then one every 5 s


async def test_a_burst_of_replies_under_default_rate_limits_is_delayed_not_lost(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account(rate_limited=True)
    bot = account.user_id
    room = await bob.create_room(invite=[bot], encrypted=False)
    services = bot_services(account, {"help_rooms": [room]})

    async with running(services) as running_bot:
        await bob.wait_member(room, bot)
        needs = [await bob.say(room, f"? need help with errand number {n}") for n in range(BURST)]
        await bob.wait_count(lambda s: s.is_notice(bot, room), BURST, timeout=90)
        rate_limited = running_bot.adapter.rate_limited

    assert rate_limited > 0, "the homeserver did push back: the test exercised the limit"
    assert sorted(s.thread or "" for s in bob.notices_from(bot, room)) == sorted(needs)


async def test_hostile_text_is_escaped_and_cannot_ping_the_room(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=True)
    services = bot_services(account, {"help_rooms": [room]})

    async with running(services):
        await bob.wait_member(room, bot)
        await bob.say(
            room,
            '? <script>alert("x")</script> <b>@room</b> &amp; @everyone',
            format="org.matrix.custom.html",
            formatted_body="<img src=x onerror=alert(1)>",
        )
        answer = await bob.wait_for(lambda s: s.is_notice(bot, room))

    html, body = answer.html, answer.body
    assert "&lt;script&gt;" in html and "<script>" not in html and "<b>" not in html
    assert "&amp;amp;" in html  # what the user typed, shown as typed
    assert "<img" not in html
    for broadcast in ("@room", "@everyone"):
        assert broadcast not in body and broadcast not in html
    assert answer.content["m.mentions"] == {"user_ids": []}


async def test_a_50_kb_message_is_refused_with_a_clear_answer(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob, carol = await colleague("Bob"), await colleague("Carol")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot, carol.user_id], encrypted=False)
    services = bot_services(account, {"help_rooms": [room]})
    huge = "? need help with " + " ".join(["terraform"] * 5_000)

    async with running(services):
        await bob.wait_member(room, bot)
        await bob.say(room, huge)
        refusal = await bob.wait_for(lambda s: s.is_notice(bot))

    assert refusal.room_id != room, "the refusal is private, not posted to the help room"
    assert "too long" in refusal.body and str(len(huge)) in refusal.body
    assert len(refusal.body) < 500
    assert services.store.open_needs(services.store.person_for("matrix", bob.user_id).id or 0) == []
