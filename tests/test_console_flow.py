"""Whole conversations through the console adapter, as a newcomer would type them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import make_services, run_console

ENGLISH_SUGGEST = """
/as Alice
skills add Terraform, AWS
/as Bob
need anyone knows terraform state locking?
thanks @alice for the terraform help
profile @alice
"""


async def test_english_suggestion_with_reason_thanks_and_profile(sqlite_url: str) -> None:
    services = make_services(sqlite_url, routing={"mode": "suggest"})
    out = await run_console(services, ENGLISH_SUGGEST)
    assert "Noted, you know: Terraform, AWS" in out
    assert "Colleagues who can help with Terraform:" in out
    assert "• @Alice — declared Terraform" in out
    assert "Thanks recorded for @Alice." in out
    profile = out.split("Bob> profile @alice", 1)[1]
    assert "Profile of @Alice" in profile
    assert "Thanks received: 1" in profile
    assert "“the terraform help” — @Bob" in profile
    # the thanks named Terraform: it now counts as help given
    assert "• Terraform: helped once" in profile


FRENCH_SUGGEST = """
/as Chloé
langue fr
compétences ajouter développement web, gestion de projet
/as Hugo
langue fr
besoin de quelqu'un pour la gestion de projet
merci @chloe pour la gestion de projet
profil @chloé
"""


async def test_french_suggestion_with_reason_thanks_and_profile(sqlite_url: str) -> None:
    services = make_services(sqlite_url, routing={"mode": "suggest"})
    out = await run_console(services, FRENCH_SUGGEST)
    assert "Désormais je vous parlerai en français." in out
    assert "C'est noté, vous connaissez\u00a0: Web development, Project management" in out
    assert "Collègues qui peuvent aider pour Gestion de projet\u00a0:" in out  # named in French
    # About Chloé, to Hugo: in the third person, the skill named in French.
    assert "• @Chloé — a déclaré Gestion de projet" in out
    assert "Remerciement enregistré pour @Chloé." in out
    profile = out.split("Hugo> profil @chloé", 1)[1]
    assert "Profil de @Chloé" in profile
    assert "Remerciements reçus\u00a0: 1" in profile
    assert "«\u00a0la gestion de projet\u00a0» — @Hugo" in profile


CONSENT = """
/as Alice
skills add Terraform
/as Bob
need help with terraform state locking
/as Alice
accept
/as Bob
solved
profile @alice
"""


async def test_consent_mode_asks_privately_then_introduces(sqlite_url: str) -> None:
    services = make_services(sqlite_url)  # consent is the default mode
    out = await run_console(services, CONSENT)
    asked_part = out.split("Bob> need help", 1)[1].split("Alice> accept", 1)[0]
    # the asker is not told who was asked: nobody is exposed before they agree
    assert "I asked a colleague privately about Terraform" in asked_part
    assert "@Alice" not in asked_part.split("[private to Alice]")[0]
    assert "[private to Alice] entraide: @Bob needs help: “help with terraform state locking”" in asked_part
    assert "because you declared Terraform" in asked_part
    accepted = out.split("Alice> accept", 1)[1]
    assert "Thank you! I've introduced you to @Bob." in accepted
    assert "@Bob, meet @Alice, who offers to help with" in accepted
    assert "@Alice is credited for the help." in accepted
    assert "• Terraform: helped once" in accepted.split("Bob> profile @alice", 1)[1]


async def test_decline_asks_the_next_colleague(sqlite_url: str) -> None:
    services = make_services(sqlite_url, routing={"ask_count": 1})
    out = await run_console(
        services,
        """
/as Alice
skills add Kubernetes
/as Dmitri
skills add Kubernetes
/as Bob
need kubernetes pods keep restarting
""",
    )
    first = "Alice" if "[private to Alice] entraide: @Bob needs help" in out else "Dmitri"
    second = "Dmitri" if first == "Alice" else "Alice"
    assert f"[private to {second}] entraide: @Bob needs help" not in out
    out = await run_console(services, f"/as {first}\ndecline")
    assert "No problem: I've asked someone else." in out
    assert f"[private to {second}] entraide: @Bob needs help" in out
    # Nobody is left: the answer does not pretend someone else is asked.
    out = await run_console(services, f"/as {second}\ndecline")
    assert "No problem, thanks for saying so." in out
    assert "asked someone else" not in out


def test_demo_script_from_the_command_line(tmp_path: Path) -> None:
    script = tmp_path / "demo.txt"
    script.write_text(
        "/entraide need help with terraform state locking\n/as alice\naccept\n/as Camille\nstats\n", "utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "I asked a colleague privately about Terraform" in result.stdout
    assert "[private to Alice]" in result.stdout
    assert "helped 3 times with Terraform" in result.stdout
    assert "@you, meet @Alice" in result.stdout
    assert "(need #1)" in result.stdout and "(you are now Alice)" in result.stdout
    assert "[private to Camille] entraide: People: 14 · open needs: 1" in result.stdout


async def test_entraide_prefixes_as_on_slack_and_matrix(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    out = await run_console(
        services,
        """
/entraide skills add Helm
!entraide skills list
!ENTRAIDE
/entraidex
/as Bob
""",
    )
    assert "Noted, you know: Helm" in out
    assert out.count("Here is what I can do:") == 1  # the bare prefix asks for help
    listed = out.split("you> !entraide skills list", 1)[1].split("you> !ENTRAIDE", 1)[0]
    assert "Helm" in listed
    # the console's own slash commands are untouched
    assert "(console: /as NAME to act as a colleague" in out.split("you> /entraidex", 1)[1]
    assert "(you are now Bob)" in out


async def test_as_a_name_that_folds_to_a_colleague_becomes_them(database_url: str) -> None:
    from adapters.console import store_names
    from bot.cli.demo import seed_demo

    services = make_services(database_url)
    store = services.store
    seed_demo(store, services.taxonomy, services.clock())
    people = store.count_people()
    out = await run_console(
        services, "/as chloe\nskills add Figma\n/as CHLOÉ\nprofile", names=store_names(store)
    )
    assert out.count("(you are now Chloé)") == 2
    assert "Chloé> profile" in out and "Profil de @Chloé" in out
    chloe = store.find_person("console", "chloe")
    assert chloe is not None and chloe.id is not None
    assert [(i.handle, i.display) for i in store.identities(chloe.id)] == [("chloe", "Chloé")]
    assert store.count_people() == people  # nobody new


async def test_as_remembers_who_was_who_in_the_session(sqlite_url: str) -> None:
    services = make_services(sqlite_url)  # no colleague list: what this session typed counts
    out = await run_console(services, "/as Inès\nskills add Pandas\n/as ines\nprofile")
    assert out.count("(you are now Inès)") == 2 and "Profile of @Inès" in out


async def test_in_the_demo_the_first_need_is_number_one(database_url: str) -> None:
    from bot.cli.demo import seed_demo

    services = make_services(database_url)
    seed_demo(services.store, services.taxonomy, services.clock())
    out = await run_console(services, "need help with terraform state locking\n/as Alice\nprofile")
    assert "(need #1)" in out
    assert "Answer: accept 1 or decline 1" in out
    # the seeded history is still evidence: Alice's past help and thanks
    assert "helped 3 times with Terraform" in out
    assert "“unblocked our Terraform state lock in minutes” — @Hugo" in out


async def test_the_demo_community_manager_sees_stats(database_url: str) -> None:
    from bot.app import build_services
    from bot.cli.demo import demo_config, seed_demo
    from skills_db.storage.store import Store
    from tests.support import config_with

    config = demo_config(config_with(database_url), database_url)
    services = build_services(config, Store.open(config.database.url))
    seed_demo(services.store, services.taxonomy, services.clock())
    out = await run_console(services, "stats\n/as Camille\nstats")
    mine, camille = out.split("Camille> stats", 1)
    assert "Only community managers may run stats." in mine
    assert "People: 14 · open needs: 0 · solved in the last 7 days: 0" in camille
