"""Needs and thanks said in a Slack private channel stay private, even when it is a help channel.

The real adapter and pipeline on the Slack double: a private help channel (``channel_type``
"group" on message events, ``is_private`` from conversations.info for mentions and slash
commands) makes needs, thanks and threads that are not public, so the week's shout-out in a
public channel names the helper but never what the help was about.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from adapters.slack.directory import Directory
from bot.jobs import MovableClock
from skills_db.storage.models import HelpThread, Need, Thanks
from tests.slack_double.harness import ALICE, BOB, CAROL, DAVE, HELP, PRIVATE, Bot, slack_bot
from tests.slack_double.workspace import BOT_USER, Message
from tests.support import make_services
from tests.test_shoutouts import MONDAY, World

CHECK = "white_check_mark"
KUDOS = "C0KUDOS"


async def _solved(bot: Bot, channel: str, asker: str, helper: str, question: str, answer: str) -> Message:
    """``asker`` asks in ``channel``, ``helper`` answers in the thread, a ✅ credits them."""
    double = bot.double
    need = await double.say(asker, channel, question)
    await double.wait_for(lambda: double.bot_messages(channel, thread=need.ts))
    reply = await double.say(helper, channel, answer, thread_ts=need.ts)
    await double.react(asker, reply, CHECK)
    await double.wait_for(lambda: [m for m in double.bot_messages(channel, need.ts) if "solved" in m.text])
    return need


async def test_a_need_in_a_private_help_channel_is_private_and_the_shout_out_names_no_skill(
    database_url: str,
) -> None:
    clock = MovableClock(MONDAY - timedelta(days=5))
    async with slack_bot(database_url, help_channels=(HELP, PRIVATE), clock=clock) as bot:
        double = bot.double
        double.space.channels[PRIVATE].members.add(BOT_USER)  # invited: a private help channel
        bot.knows(BOB, "Bob", "Terraform")
        bot.knows(DAVE, "Dave", "Kubernetes")
        await _solved(bot, PRIVATE, ALICE, BOB, "anyone know Terraform? our secret migration fails", "init")
        # A thanks said to the bot in the private channel (an app_mention: Slack is asked).
        mention = await double.say(ALICE, PRIVATE, f"<@{BOT_USER}> thanks <@{BOB}> for the Terraform tip")
        await double.wait_for(lambda: double.bot_messages(PRIVATE, thread=mention.ts))
        await _solved(bot, HELP, CAROL, DAVE, "anyone know Kubernetes? a pod keeps restarting", "describe it")
        assert len(double.calls_to("conversations.info")) == 1  # the private channel, once

    store = make_services(database_url).store
    with store.session() as session:
        needs = {n.conversation: n for n in session.exec(select(Need)).all()}
        threads = {t.channel: t.public for t in session.exec(select(HelpThread)).all()}
        thanks = session.exec(select(Thanks)).all()
    store.close()
    assert not needs[PRIVATE].public and needs[HELP].public
    assert threads == {PRIVATE: False, HELP: True}
    bob = _person_id(database_url, BOB)
    to_bob = [t for t in thanks if t.to_person_id == bob]
    assert len(to_bob) == 2 and not any(t.public for t in to_bob)  # the ✅ and the words
    assert [t.public for t in thanks if t.to_person_id != bob] == [True]

    # The week's shout-out, in a public channel: Bob is thanked, Terraform is not named.
    services = make_services(
        database_url, clock.now, shoutouts={"channels": [f"slack:{KUDOS}"], "max_people": 3}
    )
    try:
        result, reply = World(services, clock).post(MONDAY)
    finally:
        services.store.close()
    assert reply is not None, result
    text = reply.plain
    # Everyone here arrived this week: "new here" is said of both, the skill of Dave's help only.
    assert "• @Bob helped a colleague new here.\n" in text
    assert "• @Dave helped a colleague new here with Kubernetes.\n" in text
    assert "Terraform" not in text and "secret" not in text


def _person_id(url: str, handle: str) -> int:
    store = make_services(url).store
    try:
        person = store.find_person("slack", handle)
        assert person is not None and person.id is not None
        return person.id
    finally:
        store.close()


async def test_the_directory_knows_private_channels_and_counts_an_unknown_one_as_private(
    sqlite_url: str,
) -> None:
    """What mentions and slash commands are marked with: private for a private channel or a group
    DM, not for a public one; a channel Slack cannot describe counts as private, so nothing said
    there is named in public by mistake."""
    async with slack_bot(sqlite_url) as bot:
        client = AsyncWebClient(token=bot.double.bot_token, base_url=bot.double.api_url)
        directory = Directory(client, [HELP])
        assert await directory.is_private(PRIVATE) and not await directory.is_private(HELP)
        assert not await directory.is_private("D0SOMEDM")  # a DM is direct, not "private"
        assert await directory.is_private("C0GONE")  # channel_not_found: counted as private
        bot.double.space.add_channel("G0GROUPDM", "mpdm-alice--bob-1", [ALICE, BOB], group_dm=True)
        assert await directory.is_private("G0GROUPDM")
        calls = len(bot.double.calls_to("conversations.info"))
        assert await directory.is_private(PRIVATE)  # remembered
        assert len(bot.double.calls_to("conversations.info")) == calls
