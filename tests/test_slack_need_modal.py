"""The need modal, through the Slack double: `/entraide need` with no text, or the global
shortcut, opens it; its submission is the `need` command (anonymous when the box is ticked),
answered in the asker's DM; an empty text is refused in the modal, in the asker's language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from adapters.slack.needform import NEED_CALLBACK, bare_need
from skills_db.storage.models import Need
from tests.slack_double.checks import ApiError, check_blocks
from tests.slack_double.harness import ALICE, BOB, HELP, Bot, slack_bot

CONSENT = {"mode": "consent", "ask_count": 1}


def labels(modal: dict[str, Any]) -> list[str]:
    """The title, the fields' labels and the checkbox's text, as the person sees them."""
    shown = [modal["title"]["text"], modal["submit"]["text"]]
    for block in modal["blocks"]:
        shown.append(block["label"]["text"])
        shown.extend(option["text"]["text"] for option in block["element"].get("options", []))
    return shown


def needs_of(bot: Bot, user: str) -> list[Need]:
    person = bot.services.store.find_person("slack", user)
    assert person is not None and person.id is not None
    return bot.services.store.open_needs(person.id)


def test_only_the_need_command_with_nothing_to_ask_opens_the_modal() -> None:
    assert bare_need("need") == (True, False)
    assert bare_need("  besoin d'aide ") == (True, False)
    assert bare_need("need --anonymous") == (True, True)
    assert bare_need("--anonyme besoin") == (True, True)
    assert bare_need("need help with Terraform")[0] is False
    assert bare_need("profile")[0] is False
    assert bare_need("")[0] is False


def test_the_manifest_declares_the_shortcut() -> None:
    manifest = yaml.safe_load((Path(__file__).parents[1] / "slack-manifest.yml").read_text("utf-8"))
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("global", NEED_CALLBACK)


def test_the_double_refuses_checkboxes_slack_would_refuse() -> None:
    box = {"text": {"type": "plain_text", "text": "Ask anonymously"}, "value": "anonymous"}
    block = {
        "type": "input",
        "block_id": "anonymous",
        "label": {"type": "plain_text", "text": "Privacy"},
        "element": {"type": "checkboxes", "action_id": "box", "options": [box]},
    }
    check_blocks([block], limit=100)
    too_long = {**box, "text": {"type": "plain_text", "text": "x" * 76}}
    other = {**box, "value": "other"}
    for element in (
        {"type": "checkboxes", "action_id": "box", "options": [too_long]},
        {"type": "checkboxes", "action_id": "box", "options": [box], "initial_options": [other]},
        {"type": "checkboxes", "action_id": "box", "options": []},
        {"type": "radio_buttons", "action_id": "box", "options": [box]},
    ):
        with pytest.raises(ApiError):
            check_blocks([{**block, "element": element}], limit=100)


async def test_the_slash_command_opens_the_modal_and_a_ticked_box_asks_anonymously(database_url: str) -> None:
    async with slack_bot(database_url, routing=CONSENT) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        ack = await double.command(ALICE, HELP, "need")
        assert ack.status == 200
        [modal] = await double.wait_for(lambda: double.space.modals)
        assert modal["callback_id"] == NEED_CALLBACK and modal["user"] == ALICE
        assert labels(modal) == [
            "Ask for help",
            "Ask",
            "What do you need help with?",
            "Privacy",
            "Ask anonymously — colleagues are asked without your name",
        ]
        assert "initial_options" not in modal["blocks"][1]["element"]  # unticked unless asked

        text = "my terraform plan keeps failing on state locking"
        ack = await double.submit(ALICE, modal, {"need": text, "anonymous": ["anonymous"]})
        assert (ack.status, ack.body) == (200, "")  # the modal closes
        [request] = await double.wait_for(lambda: double.dms_to(BOB))
        assert "A colleague, who asks anonymously" in request.text and text in request.text
        assert f"<@{ALICE}>" not in request.text and "Alice" not in request.text
        [answer] = await double.wait_for(lambda: double.dms_to(ALICE))
        assert "Your need #1 is anonymous" in answer.text and "shows everyone" not in answer.text
        [need] = needs_of(bot, ALICE)
        assert need.anonymous and not need.public and need.text == text
        assert double.bot_messages(HELP) == [] and double.ephemerals_for(ALICE) == []

        # The flag typed after the command ticks the box already.
        await double.command(ALICE, HELP, "need --anonymous")
        ticked = await double.wait_for(lambda: double.space.modals[1:])
        [option] = ticked[0]["blocks"][1]["element"]["initial_options"]
        assert option["value"] == "anonymous"


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_the_shortcut_opens_the_modal_and_an_unticked_box_asks_with_the_name(
    sqlite_url: str, mode: str
) -> None:
    async with slack_bot(sqlite_url, mode=mode, routing=CONSENT) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        assert (await double.shortcut(ALICE, NEED_CALLBACK)).status == 200
        [modal] = await double.wait_for(lambda: double.space.modals)
        await double.submit(ALICE, modal, {"need": "help with terraform modules", "anonymous": []})
        [request] = await double.wait_for(lambda: double.dms_to(BOB))
        assert f"<@{ALICE}>" in request.text and "anonymously" not in request.text
        [answer] = await double.wait_for(lambda: double.dms_to(ALICE))
        assert "I asked a colleague privately about Terraform" in answer.text
        [need] = needs_of(bot, ALICE)
        assert not need.anonymous and need.text == "help with terraform modules"
        assert double.bot_messages(HELP) == []


async def test_the_modal_speaks_french_and_refuses_an_empty_need_in_french(database_url: str) -> None:
    async with slack_bot(database_url, routing=CONSENT) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        alice = bot.services.store.person_for("slack", ALICE, "Alice")
        bot.services.store.update_person(alice.id or 0, language="fr")
        await double.command(ALICE, HELP, "besoin")
        [modal] = await double.wait_for(lambda: double.space.modals)
        assert labels(modal) == [
            "Demander de l'aide",
            "Demander",
            "Pour quoi cherchez-vous de l'aide\u00a0?",
            "Confidentialité",
            "Demander anonymement — vos collègues sont sollicités sans votre nom",
        ]

        for empty in ("   ", "besoin d'aide svp", "--anonyme"):
            ack = await double.submit(ALICE, modal, {"need": empty, "anonymous": ["anonymous"]})
            assert ack.status == 200
            answer = json.loads(ack.body)
            assert answer["response_action"] == "errors"
            assert answer["errors"]["need"].startswith("Pour quoi cherchez-vous de l'aide")
        assert needs_of(bot, ALICE) == [] and double.dms_to(BOB) == []

        await double.submit(
            ALICE, modal, {"need": "verrouillage d'état terraform", "anonymous": ["anonymous"]}
        )
        [answer] = await double.wait_for(lambda: double.dms_to(ALICE))
        assert "Votre besoin n°1 est anonyme" in answer.text


async def test_when_slack_refuses_the_modal_the_command_says_what_is_missing(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        double.refuse("views.open", "expired_trigger_id")
        await double.command(ALICE, HELP, "need")
        [response] = await double.wait_for(lambda: double.responses)
        assert "Usage: need [--anonymous]" in response["text"]
        assert double.space.modals == [] and needs_of(bot, ALICE) == []
