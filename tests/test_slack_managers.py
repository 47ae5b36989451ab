"""Community managers on Slack, through `/entraide admin …` against the Slack double: by user id in
[bot] admins or by membership of [slack] admin_usergroup (usergroups.users.list, read again after
5 minutes or at once on subteam_members_changed); everyone else gets the short refusal."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from tests.admin_commands import admin_lines, audit_actions, refusal, snapshot
from tests.slack_double.harness import ALICE, BOB, CAROL, DAVE, HELP, Bot, slack_bot
from tests.slack_double.workspace import BOT_USER

GROUP = "S0MANAGERS"
REFUSED = "Only community managers may run"


class Monotonic:
    """The adapter's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def said(bot: Bot) -> list[str]:
    """Every text the bot made visible: response URL answers, messages, ephemeral messages."""
    space = bot.double.space
    texts = [str(r.get("text")) for r in bot.double.responses]
    texts += [m.text for messages in space.messages.values() for m in messages if m.user == BOT_USER]
    return texts + [str(e["text"]) for e in space.ephemerals]


async def run(bot: Bot, user: str, text: str) -> list[str]:
    """``/entraide text`` as ``user``; what the bot said in answer."""
    before = said(bot)
    await bot.double.command(user, HELP, text)
    await bot.double.wait_for(lambda: len(said(bot)) > len(before))
    return list((Counter(said(bot)) - Counter(before)).elements())


async def check_refused_and_allowed(bot: Bot, normal: str, manager: str) -> None:
    services, lines = bot.services, admin_lines()
    before = snapshot(services.store)
    for line in lines:
        assert await run(bot, normal, line.text) == [refusal(services, line)], line.text
    assert audit_actions(services.store) == []
    assert snapshot(services.store) == before

    for line in lines:
        answer = await run(bot, manager, line.text)
        assert answer and not [text for text in answer if REFUSED in text], (line.text, answer)
    person = services.store.find_person("slack", manager)
    assert person is not None
    expected = [(line.action, person.id) for line in lines if line.action is not None]
    assert audit_actions(services.store) == expected and len(expected) >= 2


async def test_a_manager_by_user_id_may_run_every_admin_command_and_nobody_else(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, bot={"admins": [f"slack:{CAROL}"]}) as bot:
        await check_refused_and_allowed(bot, ALICE, CAROL)
        assert bot.double.calls_to("usergroups.users.list") == []  # no group configured: never asked


async def test_a_manager_by_user_group_may_run_every_admin_command_and_nobody_else(sqlite_url: str) -> None:
    clock = Monotonic()
    settings = {"admin_usergroup": GROUP}
    async with slack_bot(sqlite_url, slack_settings=settings, monotonic=clock) as bot:
        bot.double.space.add_usergroup(GROUP, "community-managers", [DAVE])
        await check_refused_and_allowed(bot, BOB, DAVE)
        # Within 5 minutes the group was read once, however many commands came.
        [call] = bot.double.calls_to("usergroups.users.list")
        assert call.params == {"usergroup": GROUP}


async def test_a_change_of_the_group_is_seen_within_five_minutes_or_at_once_on_its_event(
    sqlite_url: str,
) -> None:
    clock = Monotonic()
    settings = {"admin_usergroup": GROUP}
    # One worker: the event is handled before the command sent after it, as Slack sent them.
    async with slack_bot(sqlite_url, slack_settings=settings, monotonic=clock, workers=1) as bot:
        bot.double.space.add_usergroup(GROUP, "community-managers", [DAVE])
        assert REFUSED not in (await run(bot, DAVE, "admin audit"))[0]
        assert (await run(bot, BOB, "admin audit")) == ["Only community managers may run admin."]

        # Dave leaves, Bob joins, and the event is lost: what was read stays true for 5 minutes.
        await bot.double.change_usergroup(GROUP, [BOB], notify=False)
        clock.now += 299
        assert REFUSED not in (await run(bot, DAVE, "admin audit"))[0]
        assert (await run(bot, BOB, "admin audit")) == ["Only community managers may run admin."]
        clock.now += 2
        assert (await run(bot, DAVE, "admin audit")) == ["Only community managers may run admin."]
        assert REFUSED not in (await run(bot, BOB, "admin audit"))[0]
        assert len(bot.double.calls_to("usergroups.users.list")) == 2

        # Dave is back and Slack says so: seen at once, the clock unmoved.
        await bot.double.change_usergroup(GROUP, [DAVE])
        assert REFUSED not in (await run(bot, DAVE, "admin audit"))[0]
        assert (await run(bot, BOB, "admin audit")) == ["Only community managers may run admin."]
        assert len(bot.double.calls_to("usergroups.users.list")) == 3
        # The help lists admin commands to the group's members only.
        assert "• stats" in (await run(bot, DAVE, "help"))[0]
        assert "stats" not in (await run(bot, BOB, "help"))[0]


async def test_a_group_slack_will_not_list_makes_nobody_a_manager_but_the_configured_ones(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Monotonic()
    settings = {"admin_usergroup": GROUP}
    caplog.set_level(logging.WARNING, "entraide.slack")
    async with slack_bot(
        sqlite_url, slack_settings=settings, monotonic=clock, bot={"admins": [f"slack:{CAROL}"]}
    ) as bot:
        bot.double.space.add_usergroup(GROUP, "community-managers", [DAVE])
        bot.double.refuse("usergroups.users.list", "missing_scope")  # installed before the scope
        assert (await run(bot, DAVE, "stats")) == ["Only community managers may run stats."]
        assert (await run(bot, CAROL, "stats"))[0].startswith("People: ")
        assert len(bot.double.calls_to("usergroups.users.list", ok=False)) == 1  # tried again later
        clock.now += 31
        assert (await run(bot, DAVE, "stats")) == ["Only community managers may run stats."]
        assert len(bot.double.calls_to("usergroups.users.list", ok=False)) == 2
    warnings = [r for r in caplog.records if "cannot read the managers' user group" in r.getMessage()]
    assert warnings and getattr(warnings[0], "error", None) == "missing_scope"
