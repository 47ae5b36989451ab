"""Curation in console sessions: managers add, alias, rename and list skills (bad input answered
with usage, in both languages), announce in the help channels without pinging anyone, set the
focus skills (a learner then asked beside the experts), and import a history file."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.chat.text import WORD_JOINER
from bot.commands import imports
from bot.jobs import MovableClock
from skills_db.storage.models import Ask, AuditEntry, ClaimSource, HelpThread, OutboxMessage
from skills_db.storage.store import Store
from tests.support import make_services

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


async def console(url: str, script: str, **sections: Any) -> tuple[str, Store]:
    clock = MovableClock(MONDAY)
    services = make_services(
        url, clock.now, bot={"admins": ["console:cam"], "log_format": "text"}, **sections
    )
    seed(services.store)
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    return out.getvalue(), services.store


def seed(store: Store) -> None:
    """Four colleagues who helped with Terraform, Lea who wants to learn it, Dee who asks."""
    for name in ("Ana", "Bob", "Cyd", "Eli", "Lea", "Dee", "cam"):
        store.person_for("console", name.lower(), name, at=MONDAY)
    for number, name in enumerate(("ana", "bob", "cyd", "eli")):
        person = store.find_person("console", name)
        assert person is not None and person.id is not None
        for ref in range(3):
            store.add_claim(
                person.id, "Terraform", ClaimSource.HELPED, ref=f"need:{number * 10 + ref}", at=MONDAY
            )
    lea = store.find_person("console", "lea")
    assert lea is not None and lea.id is not None
    store.add_learning_goal(lea.id, "Terraform")


def answers(out: str, line: str) -> str:
    """What the bot said after ``line`` was typed, up to the next line typed."""
    said = []
    for row in out.split(f"> {line}\n", 1)[1].splitlines():
        if re.match(r"\w+> ", row):
            break
        said.append(row)
    return "\n".join(said)


async def test_skills_added_aliased_renamed_and_listed_and_bad_input_answered(sqlite_url: str) -> None:
    out, store = await console(
        sqlite_url,
        """
/as cam
admin skill add Terramate, tm-cli
admin skill add terraform
admin skill add Spacelift, tfstate
admin skill alias Terramate tmate
admin skill alias Terramate, terraform
admin skill alias Terramate, tmate
admin skill rename Terramate, Terramate CLI
admin skill rename Terramate CLI, Terraform
admin skill merge Terraform, terraform
admin skill merge Nosuchthing, Terraform
admin skill merge Terraform
admin skill
admin skill list terr
admin skill frobnicate
/as Dee
admin skill list
need help with tmate pipelines
/as cam
language fr
admin compétence fusionner Inconnue, Terraform
admin compétence liste terr
""",
    )
    assert "Added the skill Terramate, also written tm-cli: I recognise it in needs from now on." in out
    assert "“terraform” already names the skill Terraform." in out
    assert "“tfstate” already names the skill Terraform: choose another alias." in out
    assert "“tmate” now names Terramate." in out
    assert "“terraform” already names the skill Terraform: choose another alias." in out
    assert "“tmate” already names Terramate: nothing changed." in out
    assert "Renamed Terramate to Terramate CLI; “Terramate” still names it." in out
    rename = answers(out, "admin skill rename Terramate CLI, Terraform")
    assert "“Terraform” already names the skill Terraform: to make them one skill, merge them" in rename
    assert "“Terraform” and “terraform” are the same skill (Terraform)." in out
    unknown = answers(out, "admin skill merge Nosuchthing, Terraform")
    assert "I don't know the skill “Nosuchthing”." in unknown and "Usage: admin skill add <name>" in unknown
    assert "Something is missing: the second skill" in answers(out, "admin skill merge Terraform")
    assert "Something is missing: action (add, alias, rename, merge or list)." in answers(out, "admin skill")
    assert "“frobnicate” is not a valid action (add, alias, rename, merge or list)." in out
    listed = answers(out, "admin skill list terr")
    assert "Skills starting with “terr”, those with the most evidence first:" in listed
    # Four colleagues hold Terraform evidence: fewer than the barometer's minimum group of 5.
    assert (
        "• Terraform — evidence about fewer than 5 colleagues (not counted) (also written terraform cloud"
        in listed
    )
    assert "• Terramate CLI — no evidence yet (also written tm-cli, tmate, Terramate)" in listed
    assert "Only community managers may run admin." in answers(out, "admin skill list")
    need = answers(out, "need help with tmate pipelines")
    assert "Terramate CLI" in need, need  # an alias added a moment ago is recognised in needs
    french = answers(out, "admin compétence fusionner Inconnue, Terraform")
    assert "Je ne connais pas la compétence «\u202fInconnue\u202f»." in french
    assert "Usage\u00a0: admin compétence ajouter" in french or "admin compétence ajouter <nom>" in french
    assert "Compétences commençant par «\u202fterr\u202f», les plus étayées d'abord" in out
    with Session(store.engine) as session:
        audited = [e.action for e in session.exec(select(AuditEntry))]
    # Every one the dispatcher could read, even those then refused (not "admin skill" alone, nor frobnicate).
    assert audited.count("admin.skill") == 14
    store.close()


async def test_announce_goes_to_every_help_channel_and_pings_nobody(sqlite_url: str) -> None:
    out, store = await console(
        sqlite_url,
        """
/as cam
admin announce Hello @channel and @here: the wiki moved <!channel>
admin announce
/as Dee
admin announce hi
""",
        console={"conversation": "entraide"},
    )
    posted = [line for line in out.splitlines() if line.startswith("entraide: 📣")]
    assert posted == [
        f"entraide: 📣 From the community managers: Hello @{WORD_JOINER}channel and @{WORD_JOINER}here: "
        f"the wiki moved <!{WORD_JOINER}channel>"
    ]
    assert "Announced in one help channel: console:entraide." in out
    assert "Something is missing: the text to announce." in out
    assert "Only community managers may run admin." in answers(out, "admin announce hi")
    with Session(store.engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.reply["conversation"].as_string() == "entraide")
        ).all()
    assert len(rows) == 1 and "@channel" not in json.dumps(rows[0].reply, ensure_ascii=False)
    store.close()


@pytest.mark.parametrize("focus", [True, False])
async def test_with_focus_a_learner_is_asked_besides_the_experts(database_url: str, focus: bool) -> None:
    script = "/as cam\nadmin focus terraform\nadmin focus\n" if focus else ""
    out, store = await console(database_url, script + "/as Dee\nneed help with terraform state locking")
    asked = sorted(
        line.split("]")[0].removeprefix("[private to ") for line in out.splitlines() if "needs help:" in line
    )
    with Session(store.engine) as session:
        asks = session.exec(select(Ask)).all()
    if focus:
        assert "The organisation's focus skills are now: Terraform." in out
        assert "The organisation's focus skills, since Monday 2 November: Terraform." in out
        assert len(asked) == 4 and "Lea" in asked, out  # three experts, and Lea besides them
        (lea,) = [line for line in out.splitlines() if line.startswith("[private to Lea]")]
        assert "because the organisation wants to grow Terraform, and you are learning it." in lea
    else:  # as before: the learner takes the last of the three places
        assert len(asked) == 3 and "Lea" in asked, out
    assert len(asks) == len(asked)
    store.close()


async def test_focus_shown_cleared_and_refused_for_unknown_skills(sqlite_url: str) -> None:
    out, store = await console(
        sqlite_url,
        """
/as cam
admin focus
admin focus Kubernetes, Nosuchthing
admin focus Kubernetes, terraform
admin focus none
admin focus
language fr
admin priorités
""",
    )
    assert "No focus skills are set. Set some with admin focus Terraform, Kubernetes." in out
    assert "I don't know the skill “Nosuchthing”: nothing changed." in out
    assert "The organisation's focus skills are now: Kubernetes, Terraform." in out
    assert "The organisation has no focus skills any more: learners are asked as before." in out
    assert "Aucune compétence prioritaire n'est choisie." in out
    assert store.get_setting("focus_skills") == {"skills": [], "since": MONDAY.isoformat()}
    store.close()


def history_file(path: Path, threads: int, *, broken_at: int | None = None) -> Path:
    lines = [json.dumps({"type": "user", "handle": h, "name": h.title()}) for h in ("asker", "helper")]
    for number in range(threads):
        thread = {
            "thread_id": f"t{number}",
            "channel": "ask-infra",
            "root": {
                "author": "asker",
                "text": f"How do I fix terraform state {number}?",
                "ts": "2024-03-01T10:00:00Z",
            },
            "replies": [{"author": "helper", "text": "terraform force-unlock", "ts": "2024-03-01T10:05:00Z"}],
            "solved_by": 0,
        }
        lines.append("{not json" if number == broken_at else json.dumps(thread))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_import_history_reports_progress_and_a_broken_file_imports_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(imports, "PROGRESS_SECONDS", 0.0)
    good = history_file(tmp_path / "good.jsonl", 5)
    broken = history_file(tmp_path / "broken.jsonl", 4, broken_at=2)
    out, store = await console(
        database_url,
        f"""
/as cam
admin import-history {tmp_path}/nowhere.jsonl
admin import-history {broken}
/time +1m
admin import-history {good} --platform console
/time +2m
admin import-history {good}
/time +3m
""",
    )
    assert f"There is no file or folder {tmp_path}/nowhere.jsonl on the bot's host." in out
    assert f"Nothing was imported from {broken}: {broken} line 5:" in out
    progress = [
        line for line in out.splitlines() if line.startswith("[private to cam]") and str(good) in line
    ]
    assert [line.split("entraide: ")[1] for line in progress[:4]] == [
        f"Importing {good}: I will tell you here how it goes.",
        f"Import of {good}: 40% (4 of 10 messages)…",
        f"Import of {good}: 80% (8 of 10 messages)…",
        f"Imported {good}: 5 threads (0 already there), 5 replies, 5 solved, 2 new people, "
        "5 pieces of skill evidence, 5 thanks, 0 terms learned.",
    ], out
    assert f"Imported {good}: 0 threads (5 already there)" in out  # a second import adds nothing
    with Session(store.engine) as session:
        threads = session.exec(select(HelpThread)).all()
        keys = [m.key for m in session.exec(select(OutboxMessage)) if m.key.startswith("task:import-history")]
    assert len(threads) == 5  # the broken file's three good threads were never written
    assert (
        len(keys) == len(set(keys)) == 1 + 3 + 3
    )  # the broken file's answer; two progress and a summary each
    store.close()
