"""Anonymous needs: colleagues are asked about "a colleague", a helper who accepts is named to the
asker first, and the two are introduced only once the asker accepts; the asker's identity shows
in no request, App Home, shout-out, barometer, log line or export of anyone else."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.chat.events import UserRef
from bot.chat.home import home_view
from bot.commands.anonymous import split_flag
from bot.jobs import MovableClock
from bot.shoutouts.selection import helpers
from skills_db.storage.models import AskStatus
from skills_db.storage.store import Store
from tests.slack_double.harness import ALICE, BOB, HELP, slack_bot
from tests.support import make_services

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday
ASKED = re.compile(r"\[private to (\w+)\] entraide: A colleague, who asks anonymously")
EXPERTS = """
/as Alice
skills add Terraform
/as Bruno
skills add Terraform
"""
SETTINGS: dict[str, Any] = {
    "routing": {"ask_count": 1},
    "bot": {"admins": ["console:camille"], "log_format": "text"},
    "shoutouts": {"channels": ["console:general"], "max_people": 3},
}


async def console(url: str, script: str, clock: MovableClock, **sections: Any) -> tuple[str, Store]:
    services = make_services(url, clock.now, **{**SETTINGS, **sections})
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    return out.getvalue(), services.store


def lines_to(out: str, who: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"[private to {who}]")]


def public_lines(out: str) -> list[str]:
    """What everyone at the console sees: the bot's lines that are not private to someone."""
    return [line for line in out.splitlines() if line.startswith("entraide:")]


def test_the_flag_is_read_at_either_end_in_each_spelling() -> None:
    assert split_flag("--anonymous help with Go") == (True, "help with Go")
    assert split_flag("help with Go --anon") == (True, "help with Go")
    assert split_flag("—anonyme aide sur Go") == (True, "aide sur Go")
    assert split_flag("--ANONYMOUS") == (True, "")
    assert split_flag("help with --anonymous flags in Go") == (False, "help with --anonymous flags in Go")


async def test_an_anonymous_need_from_asking_to_solved_never_names_the_asker_to_others(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = MovableClock(START)
    out, store = await console(
        database_url, EXPERTS + "/as Quentin\nneed --anonymous help with terraform state locking", clock
    )
    [first] = ASKED.findall(out)
    request = lines_to(out, first)[-1]
    assert "“help with terraform state locking”" in request and "Quentin" not in request
    assert "If you accept, I'll tell them who you are" in request
    # Typed where everyone sees it: the answer is private, and says so honestly.
    answer = lines_to(out, "Quentin")[-1]
    assert "Your need #1 is anonymous" in answer
    assert "this message itself shows everyone here that you wrote it" in answer
    assert "direct message" in answer and "I asked a colleague privately about Terraform" in answer
    assert not [line for line in public_lines(out) if "terraform" in line.lower()]
    [need] = store.open_needs(store.find_person("console", "quentin").id or 0)  # type: ignore[union-attr]
    assert need.anonymous and not need.public

    # The helper's App Home lists the request from "A colleague".
    view = home_view(store_services(database_url, clock), UserRef("console", first.lower(), first))
    assert view is not None
    [pending] = view.requests
    assert "".join(str(s) for s in pending.body) == "A colleague: “help with terraform state locking”"

    # The helper accepts: that is an offer, told to the asker; nobody is introduced yet.
    out, store = await console(database_url, f"/as {first}\naccept", clock)
    assert "I've told the colleague who asked that you offer to help" in lines_to(out, first)[-1]
    [offer] = lines_to(out, "Quentin")
    assert f"@{first} offers to help with your anonymous need #1" in offer
    assert "accept-helper 1" in offer and "decline-helper 1" in offer
    assert "Quentin" not in "\n".join(lines_to(out, first))
    [ask] = store.asks_for_need(need.id or 0)
    assert ask.status == AskStatus.OFFERED

    # The asker declines that helper: they never learn who asked, and the next colleague is asked.
    out, store = await console(database_url, "/as Quentin\nprofile\ndecline-helper", clock)
    assert "A colleague offers to help: accept-helper or decline-helper." in out
    assert "chose not to take up your offer this time" in lines_to(out, first)[-1]
    [second] = ASKED.findall(out)
    assert second != first
    assert "Understood: they won't learn who you are. I've asked another colleague." in out

    # The second accepts, and the asker accepts them (the French alias): introduced, privately.
    out, store = await console(database_url, f"/as {second}\naccept\n/as Quentin\naccepter-aide", clock)
    assert "@Quentin accepted your offer: they are the colleague who asked" in lines_to(out, second)[-1]
    assert f"I've introduced you to @{second}, privately" in lines_to(out, "Quentin")[-1]
    assert not [line for line in public_lines(out) if "Quentin" in line or "terraform" in line.lower()]

    # Solved: said to the asker alone; the helper is thanked by "A colleague".
    out, store = await console(database_url, "/as Quentin\nsolved", clock)
    assert public_lines(out) == []
    assert f"@{second} is credited for the help" in lines_to(out, "Quentin")[-1]
    assert "A colleague says your help solved their need #1 (Terraform)" in lines_to(out, second)[-1]

    # Neither helper's export carries the asker's person id; the asker's own export keeps it all.
    quentin = store.find_person("console", "quentin")
    assert quentin is not None and quentin.id is not None
    for name in (first, second):
        helper = store.find_person("console", name.lower())
        assert helper is not None and helper.id is not None
        data = store.export_person(helper.id)
        assert all(row["need_id"] == need.id for row in data["asks_received"])
        assert all(row["from_person_id"] is None for row in data["thanks_received"])
        assert str(quentin.id) not in json.dumps(
            [row.get("from_person_id") for row in data["thanks_received"]]
        )
    assert len(store.export_person(helper.id)["thanks_received"]) == 1
    assert store.export_person(quentin.id)["thanks_given"][0]["to_person_id"] is not None

    # The shout-out thanks the helper for helping "a colleague", not counting them as new here
    # (Quentin arrived today); the barometer names nobody.
    [given] = store.help_given(START - timedelta(days=1), START + timedelta(days=1))
    assert given.anonymous and not given.public
    [helper_row] = helpers([given], {}, store.first_seen([quentin.id]), newcomer_days=30)
    assert helper_row.helped == 1 and helper_row.newcomers == 0 and helper_row.skills == ()
    out, store = await console(database_url, "/time 2026-12-14 10:05\n/as Camille\nadmin barometer", clock)
    assert f"• @{second} helped a colleague." in out  # not "one of them new here", no skill named
    assert "new here" not in out and "Terraform" not in out
    assert "Quentin" not in out

    # No log line carries the asker's name, handle or the need's text.
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "quentin" not in logged.lower() and "state locking" not in logged


def store_services(url: str, clock: MovableClock) -> Any:
    return make_services(url, clock.now, **SETTINGS)


async def test_in_french_and_in_suggest_mode_the_answer_is_the_askers_alone(database_url: str) -> None:
    clock = MovableClock(START)
    french = "/as Quentin\nlangue fr\n/as Alice\nlangue fr\n/as Quentin\nbesoin --anonyme aide terraform"
    script = EXPERTS + french
    out, _ = await console(database_url, script, clock, routing={"ask_count": 2})
    to_alice = lines_to(out, "Alice")[-1]
    assert "Un·e collègue, qui demande anonymement, a besoin d'aide" in to_alice and "Quentin" not in to_alice
    assert "Votre besoin n°1 est anonyme" in lines_to(out, "Quentin")[-1]

    out, _ = await console(
        database_url, "/as Quentin\nneed --anon terraform workspaces", clock, routing={"mode": "suggest"}
    )
    assert public_lines(out) == []
    assert "[private to Quentin] entraide: Collègues qui peuvent aider pour Terraform" in out
    assert "@Alice" in out and "@Bruno" in out

    out, _ = await console(database_url, "/as Quentin\nneed --anonymous", clock)
    assert "Pour quoi cherchez-vous de l'aide\u00a0?" in out  # the flag alone is no need


async def test_on_slack_a_dm_need_stays_private_and_a_click_introduces(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, routing={"mode": "consent", "ask_count": 1}) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        dm = double.space.im_with(ALICE).id
        await double.say(ALICE, dm, "need --anonymous my terraform plan keeps failing")
        [request] = await double.wait_for(lambda: double.dms_to(BOB))
        assert "A colleague, who asks anonymously" in request.text and f"<@{ALICE}>" not in request.text
        answer = await double.wait_for(lambda: [m for m in double.bot_messages(dm) if "anonymous" in m.text])
        assert "shows everyone" not in answer[0].text  # a DM shows nobody who asked

        await double.click(BOB, request, "Accept")
        offer = await double.wait_for(
            lambda: [m for m in double.bot_messages(dm) if "offers to help" in m.text]
        )
        assert f"<@{BOB}> offers to help" in offer[0].text
        await double.click(ALICE, offer[0], "Accept this helper")
        intro = await double.wait_for(
            lambda: [m for m in double.dms_to(BOB) if "accepted your offer" in m.text]
        )
        assert intro[0].text.startswith(f"<@{ALICE}> accepted your offer")
        # Nothing of it in the help channel.
        assert double.bot_messages(HELP) == []
