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
    assert "Collègues qui peuvent aider pour Project management\u00a0:" in out
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
    script.write_text("need help with terraform state locking\n/as Alice\naccept\n", "utf-8")
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
    assert "helped 2 times with Terraform" in result.stdout
    assert "@you, meet @Alice" in result.stdout
