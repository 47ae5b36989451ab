"""Who is a community manager, on the console ([bot] admins "console:name"): every admin command
refused to everyone else, briefly and in their language, with nothing audited or changed; allowed
and audited for a manager; help that names admin commands only to managers; the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.admin_commands import admin_lines, audit_actions, refusal, snapshot
from tests.support import Clock, make_services, run_console

PROMPT = re.compile(r"^(\S+)> (.*)$")
MANAGERS: dict[str, object] = {"admins": ["console:cam"]}


def answers(out: str) -> list[tuple[str, str, str]]:
    """(who, what they typed, what the bot answered) for every line typed in a console session."""
    found: list[tuple[str, str, list[str]]] = []
    for line in out.splitlines():
        prompt = PROMPT.match(line)
        if prompt:
            found.append((prompt.group(1), prompt.group(2), []))
        elif found and not line.startswith("("):  # "(you are now …)" is the console's own
            found[-1][2].append(line)
    return [(who, typed, "\n".join(said)) for who, typed, said in found]


def said_to(out: str, who: str) -> list[tuple[str, str]]:
    return [
        (typed, said) for person, typed, said in answers(out) if person == who and not typed.startswith("/")
    ]


async def test_every_admin_command_is_refused_to_a_normal_user_in_their_language(sqlite_url: str) -> None:
    services = make_services(sqlite_url, bot=MANAGERS)
    lines = admin_lines()
    before = snapshot(services.store)
    typed = "\n".join(line.text for line in lines)
    out = await run_console(services, f"/as Bob\n{typed}\n/as Zoé\nlangue fr\n{typed}")

    english = said_to(out, "Bob")
    assert english == [(line.text, f"[private to Bob] entraide: {refusal(services, line)}") for line in lines]
    assert english[0][1].endswith("Only community managers may run stats.")
    french = said_to(out, "Zoé")[1:]  # after "langue fr"
    assert french == [
        (line.text, f"[private to Zoé] entraide: {refusal(services, line, 'fr')}") for line in lines
    ]
    assert french[-1][1].endswith("Seuls les animateurs de communauté peuvent lancer admin.")
    assert audit_actions(services.store) == []
    assert snapshot(services.store) == before


async def test_every_admin_command_is_allowed_to_a_manager_and_audited(sqlite_url: str) -> None:
    services = make_services(sqlite_url, bot=MANAGERS)
    lines = admin_lines()
    out = await run_console(services, "/as cam\n" + "\n".join(line.text for line in lines))

    cam = services.store.find_person("console", "cam")
    assert cam is not None
    said = said_to(out, "cam")
    assert [typed for typed, _ in said] == [line.text for line in lines]
    for line, (_, answer) in zip(lines, said, strict=True):
        assert "entraide: " in answer, (line.text, answer)  # an answer came (privately or not)
        assert "Only community managers" not in answer, line.text
        if line.action is None:  # it needs more words: its usage says which
            usage = services.catalog.text("en", line.usage_key).splitlines()[0]
            assert "Usage: " in answer and usage in answer, (line.text, answer)
    expected = [(line.action, cam.id) for line in lines if line.action is not None]
    assert audit_actions(services.store) == expected
    assert len(expected) >= 2  # stats and admin audit at least


async def test_help_names_admin_commands_only_to_managers(sqlite_url: str) -> None:
    services = make_services(sqlite_url, bot=MANAGERS)
    out = await run_console(
        services,
        "/as Bob\nhelp\nhelp admin\nhelp stats\nhelp gestion\nstat\nstats now\n"
        "/as cam\nhelp\nhelp admin\nstat\n/as Zoé\nlangue fr\naide admin\naide",
    )
    bob = dict(said_to(out, "Bob"))
    assert "• need " in bob["help"] and "stats" not in bob["help"] and "admin" not in bob["help"]
    for line in ("help admin", "help gestion"):
        assert bob[line] == "[private to Bob] entraide: Only community managers may run admin."
    assert bob["help stats"] == "[private to Bob] entraide: Only community managers may run stats."
    assert bob["stats now"] == "[private to Bob] entraide: Only community managers may run stats."
    # A typo close to an admin command does not name it to someone who may not run it.
    assert (
        bob["stat"]
        == "[private to Bob] entraide: I don't know the command “stat”. Send help to see what I can do."
    )

    cam = dict(said_to(out, "cam"))
    assert "• stats — aggregate activity figures" in cam["help"]
    assert "• admin … — run the network" in cam["help"]  # one line; `help admin` lists them
    assert "admin audit [n]" in cam["help admin"] and "admin shoutout preview" in cam["help admin"]
    assert "Did you mean stats?" in cam["stat"]

    zoe = said_to(out, "Zoé")
    assert zoe[1] == (
        "aide admin",
        "[private to Zoé] entraide: Seuls les animateurs de communauté peuvent lancer admin.",
    )
    assert "statistiques" not in zoe[2][1] and "• besoin " in zoe[2][1]
    assert audit_actions(services.store) == []


async def test_the_audit_log_says_who_did_what_when_latest_first_in_both_languages(sqlite_url: str) -> None:
    clock = Clock()  # 2026-11-02 10:00 UTC
    services = make_services(sqlite_url, clock, bot={"admins": ["console:cam", "console:dom"]})
    await run_console(services, "/as cam\nstats\nadmin audit 1")
    clock.now += timedelta(hours=2, minutes=30)
    out = await run_console(
        services, "/as dom\nadmin shoutout preview\nadmin audit 3\nlangue fr\nadmin journal 2"
    )

    [(_, preview), (_, english), _, (_, french)] = said_to(out, "dom")
    assert "Only community managers" not in preview
    assert english == (
        "[private to dom] entraide: The audit log, latest first (3 entries):\n"
        "                           • 2026-11-02 12:30 UTC — dom: admin.audit (count=3)\n"
        "                           • 2026-11-02 12:30 UTC — dom: admin.shoutout (action=preview)\n"
        "                           • 2026-11-02 10:00 UTC — cam: admin.audit (count=1)"
    )
    # French: the words and typography of French (a no-break space before the colon).
    assert french == (
        "[private to dom] entraide: Le journal, du plus récent au plus ancien (2 entrées)\u00a0:\n"
        "                           • 2026-11-02 12:30 UTC — dom\u00a0: admin.audit (count=2)\n"
        "                           • 2026-11-02 12:30 UTC — dom\u00a0: admin.audit (count=3)"
    )


async def test_an_erased_manager_is_not_shown_as_the_bot_in_the_audit_log(sqlite_url: str) -> None:
    services = make_services(sqlite_url, bot={"admins": ["console:cam", "console:dom"]})
    out = await run_console(services, "/as cam\nstats\nforget-me confirm\n/as dom\nadmin audit 2")
    [(_, log)] = said_to(out, "dom")
    assert "— dom: admin.audit (count=2)" in log
    assert "— someone who has since erased their data: admin.stats" in log
    assert "the bot" not in log
