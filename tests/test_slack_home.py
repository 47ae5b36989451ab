"""App Home (views.publish) and the profile modal (views.open), through the double."""

from __future__ import annotations

from typing import Any

from tests.slack_double.harness import ALICE, BOB, HELP, Bot, slack_bot


def shown(view: dict[str, Any]) -> str:
    parts = []
    for block in view.get("blocks", []):
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            parts.append(str((element.get("text") or {}).get("text", "")))
    return "\n".join(parts)


async def home_of(bot: Bot, user: str, *, containing: str) -> dict[str, Any]:
    """The App Home last published for ``user``, once it shows ``containing``."""
    views = bot.double.space.home_views
    await bot.double.wait_for(lambda: user in views and containing in shown(views[user]))
    return views[user]


async def test_app_home_shows_profile_open_needs_and_requests_to_answer(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, routing={"mode": "consent", "ask_count": 1}) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        bot.knows(ALICE, "Alice", "Python")
        need = await double.say(ALICE, HELP, "anyone know Terraform workspaces?")
        await double.wait_for(lambda: double.dms_to(BOB))

        await double.open_home(ALICE)
        home = await home_of(bot, ALICE, containing="Your open needs")
        text = shown(home)
        assert f"Profile of <@{ALICE}>" in text and "Python" in text
        # Each open need with where it stands; the colleague asked is not named before they accept.
        assert "#1 “anyone know Terraform workspaces?” — A colleague is considering it." in text
        assert "Nobody is waiting for your answer." in text

        await double.open_home(BOB)
        home = await home_of(bot, BOB, containing="Colleagues asking for your help")
        assert f"<@{ALICE}>: “anyone know Terraform workspaces?”" in shown(home)
        await double.click_home(BOB, "Accept")
        intro = await double.wait_for(
            lambda: [m for m in double.bot_messages(HELP, need.ts) if "meet" in m.text]
        )
        assert f"meet <@{BOB}>" in intro[0].text
        await home_of(bot, BOB, containing="Nobody is waiting for your answer.")  # refreshed


async def test_the_profile_modal_edits_skills_and_language(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        bot.knows(ALICE, "Alice", "Python", "Excel")
        await double.open_home(ALICE)
        await home_of(bot, ALICE, containing="Edit my profile")
        assert (await double.click_home(ALICE, "Edit my profile")).status == 200
        [modal] = await double.wait_for(lambda: double.space.modals)
        assert modal["title"]["text"] == "My profile"
        skills_input = modal["blocks"][0]["element"]
        assert skills_input["initial_value"] == "Microsoft Excel, Python"

        ack = await double.submit(ALICE, modal, {"skills": "Python, Terraform", "language": "fr"})
        assert (ack.status, ack.body) == (200, "")  # the modal closes
        home = await home_of(bot, ALICE, containing="Vos besoins ouverts")
        assert "Terraform" in shown(home) and "Excel" not in shown(home)
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.id is not None and alice.language == "fr"
        declared = sorted(c.skill for c in bot.services.store.claims([alice.id]))
        assert declared == ["Python", "Terraform"]
        confirmations = double.dms_to(ALICE)
        assert len(confirmations) == 3  # added, removed, language: each said in the DM


async def test_the_profile_modal_refuses_what_is_too_long(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        double = bot.double
        await double.open_home(ALICE)
        await home_of(bot, ALICE, containing="Edit my profile")
        await double.click_home(ALICE, "Edit my profile")
        [modal] = await double.wait_for(lambda: double.space.modals)
        ack = await double.submit(ALICE, modal, {"skills": "x" * 1500, "language": "en"})
        assert ack.status == 200
        assert '"response_action": "errors"' in ack.body.replace('":"', '": "')
        assert "At most 1000 characters" in ack.body
        alice = bot.services.store.find_person("slack", ALICE)
        assert alice is not None and alice.id is not None
        assert bot.services.store.claims([alice.id]) == []
