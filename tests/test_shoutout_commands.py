"""Shout-outs in console sessions with a moved clock: managers preview, send and skip (audited),
people asked first answer, an opt-out takes effect at once, a profile says why, the demo shows one."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.cli.demo import demo_config, seed_demo
from bot.jobs import MovableClock
from skills_db.storage.models import Thanks, ThanksKind
from skills_db.storage.store import Store
from tests.support import make_services

WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


async def console(url: str, script: str, clock: MovableClock, **sections: Any) -> tuple[str, Store]:
    settings: dict[str, Any] = {"channels": ["console:general"], "max_people": 2}
    settings.update(sections.pop("shoutouts", {}))
    services = make_services(
        url, clock.now, shoutouts=settings, bot={"admins": ["console:cam"], "log_format": "text"}, **sections
    )
    seed_help(services.store, clock.now())
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    return out.getvalue(), make_services(url, clock.now).store


def seed_help(store: Store, now: datetime) -> None:
    """Ana helped three colleagues this week, Bob two, Cyd one (all in public, Terraform)."""
    if store.find_person("console", "ana") is not None:
        return
    ids = {
        n: store.person_for("console", n.lower(), n, at=now - timedelta(days=300)).id or 0
        for n in ("Ana", "Bob", "Cyd", "Dee", "Eli", "Fox", "cam")
    }
    for helper, askers in (("Ana", ("Dee", "Eli", "Fox")), ("Bob", ("Dee", "Eli")), ("Cyd", ("Fox",))):
        for hours, asker in enumerate(askers, 1):
            store.add_thanks(
                Thanks(
                    from_person_id=ids[asker],
                    to_person_id=ids[helper],
                    text="thanks",
                    created_at=now - timedelta(hours=hours),
                    kind=ThanksKind.THANKS,
                    skills=["Terraform"],
                    public=True,
                )
            )


def posts(out: str) -> list[str]:
    """The shout-outs posted in the console room (each from its title to its last line)."""
    found = []
    lines = out.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("entraide: 🙌"):
            found.append("\n".join(lines[index : index + 8]))
    return found


async def test_managers_preview_send_and_skip_and_every_action_is_audited(sqlite_url: str) -> None:
    clock = MovableClock(WEDNESDAY)
    out, store = await console(
        sqlite_url,
        """
/as Ana
admin shoutout preview
/as cam
admin shoutout preview
admin shoutout send
admin shoutout send
admin shoutout skip
admin shoutout preview console:nowhere
admin audit 3
/as Dee
thanks @Cyd for the terraform import
/as Eli
thanks @Bob for terraform again
/as cam
/time monday 10:05
admin shoutout skip
/as Dee
thanks @Ana for terraform modules
/as cam
/time monday 08:00
admin shoutout skip
/time monday 10:05
""",
        clock,
    )
    assert "admin is for community managers" in out or "community managers" in out.split("/as cam")[0]
    preview = out.split("cam> admin shoutout preview\n", 1)[1].split("cam> admin shoutout send", 1)[0]
    assert "Posted now, it would read:" in preview and "@Ana helped 3 colleagues with Terraform." in preview
    assert "@Bob helped 2 colleagues with Terraform." in preview and "@Cyd" not in preview
    sent = posts(out)
    assert len(sent) == 2, out  # the one sent early, the next week's; the third week is skipped
    assert "Posted the shout-out in console:general; there will be no other there this week." in out
    assert out.count("Nothing done in console:general: this week's is posted.") == 3
    assert "Which channel? One of: console:general" in out
    audit = out.split("cam> admin audit 3\n", 1)[1]
    assert "The audit log, latest first (3 entries):" in audit
    assert "— cam: admin.shoutout (action=preview, channel=console:nowhere)" in audit
    assert "This week's shout-out in console:general is skipped." in out
    actions = [(e.action, e.details["arguments"].get("action")) for e in reversed(store.audit_log())]
    done = ("preview", "send", "send", "skip", "preview", "audit", "skip", "skip")
    assert [a for a, _ in actions] == ["admin.audit" if d == "audit" else "admin.shoutout" for d in done]
    assert [d for _, d in actions if d] == [d for d in done if d != "audit"]  # even what did nothing
    # The next week counts only help since the post sent early: Cyd and Bob's new help, not Ana's.
    assert "@Cyd helped a colleague with Terraform." in sent[1] and "@Ana" not in sent[1]
    assert "from Wednesday 2 December to Monday 7 December" in sent[1]


async def test_asked_first_they_answer_an_opt_out_counts_at_once_and_the_silent_are_included(
    database_url: str,
) -> None:
    clock = MovableClock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))  # Sunday, before the asking
    out, store = await console(
        database_url,
        """
/time sunday 10:01
/as Ana
shoutout-yes
/as Bob
optout shoutouts
/time monday 10:01
/as Ana
profile
/as Bob
profile
""",
        clock,
        shoutouts={"ask_first": True, "answer_hours": 24, "max_people": 3},
    )
    asked = [line for line in out.splitlines() if "May I name you in the shout-out on" in line]
    assert [line.split("]")[0] for line in asked] == ["[private to Ana", "[private to Bob", "[private to Cyd"]
    assert "Thank you! You will be named in the shout-out on Monday 7 December, 10:00 UTC" in out
    (post,) = posts(out)
    assert "@Ana helped 3 colleagues" in post and "@Cyd helped a colleague" in post  # Cyd did not answer
    assert "@Bob" not in post, "an opt-out after the asking still takes Bob out of the post"
    assert "[private to Bob] entraide: You helped 2 colleagues this week: thank you! You are not named" in out
    assert "Week of Sunday 29 November: you helped 3 colleagues; you were featured." in out
    assert "Week of Sunday 29 November: you helped 2 colleagues; not featured, as you opted out." in out
    store.close()


async def test_with_omit_those_who_did_not_answer_are_left_out_and_a_no_gives_the_next_a_chance(
    sqlite_url: str,
) -> None:
    clock = MovableClock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    out, _ = await console(
        sqlite_url,
        """
/time sunday 10:01
/as Bob
shoutout-no
/as Ana
shoutout-yes
/time monday 10:01
""",
        clock,
        shoutouts={"ask_first": True, "if_no_answer": "omit", "max_people": 2},
    )
    asked = [line.split("]")[0] for line in out.splitlines() if "May I name you in the shout-out on" in line]
    assert asked == ["[private to Ana", "[private to Bob", "[private to Cyd"], "Cyd is asked after Bob's no"
    assert "Understood: you will not be named this week." in out
    (post,) = posts(out)
    assert "@Ana" in post and "@Bob" not in post and "@Cyd" not in post


async def test_french_channel_post_and_a_shout_out_in_the_demo(tmp_path: Any) -> None:
    clock = MovableClock(WEDNESDAY)
    out, _ = await console(
        f"sqlite:///{tmp_path}/fr.db", "/time monday 10:05", clock, shoutouts={"language": "fr"}
    )
    (post,) = posts(out)
    assert "Merci à celles et ceux qui ont aidé cette semaine" in post
    assert "@Ana a aidé 3 collègues sur Terraform." in post
    assert "du lundi 30 novembre au lundi 7 décembre" in post

    clock = MovableClock(WEDNESDAY)
    demo = make_services(f"sqlite:///{tmp_path}/demo.db", clock.now)
    services = type(demo)(
        **{**demo.__dict__, "config": demo_config(demo.config, f"sqlite:///{tmp_path}/demo.db")}
    )
    seed_demo(services.store, services.taxonomy, clock.now())
    output = io.StringIO()
    adapter = ConsoleAdapter(script=["/time monday 10:05"], output=output)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    (shown,) = posts(output.getvalue())
    assert "@Jules helped 2 colleagues with Microsoft Excel." in shown, shown
