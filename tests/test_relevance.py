"""Ask nobody rather than the wrong person: only evidence specific to the need routes an ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.chat.context import Services
from skills_db.storage.models import Ask, ClaimSource, HelpReply, HelpThread
from skills_db.vocabulary.textnorm import fold
from tests.support import make_services, run_console

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)

# A small coffee community: who answered what.
HISTORY = [
    (
        "Bruno",
        "Is Nespresso real espresso? When I use an espresso coffee pod the crema is thin",
        "pods are pre-ground and stale, the crema is from pressure",
    ),
    ("Alice", "How do I descale my espresso machine?", "run citric acid through the machine"),
    ("Alice", "My espresso machine leaks water at the group head", "replace the group head gasket"),
    ("Chloé", "Which grinder for pour over?", "a burr grinder, set it medium coarse"),
    ("Chloé", "Aeropress recipe for a strong cup", "inverted method, two minutes, fine grind"),
]


def coffee(url: str, **sections: dict[str, object]) -> Services:
    services = make_services(url, clock=lambda: NOW, **sections)
    store = services.store
    asker = person(services, "Dmitri")
    for days, (helper, question, answer) in enumerate(HISTORY):
        when = NOW - timedelta(days=20 + days)
        with store.session() as session:
            row = HelpThread(
                source="test",
                external_id=question,
                asker_id=asker,
                text=question,
                created_at=when,
                solved_by_id=person(services, helper),
            )
            session.add(row)
            session.flush()
            session.add(
                HelpReply(
                    thread_id=row.id or 0,
                    person_id=person(services, helper),
                    text=answer,
                    created_at=when,
                    solved=True,
                )
            )
    return services


def person(services: Services, name: str) -> int:
    """A colleague, with the identity the console gives ``/as NAME``."""
    pid = services.store.person_for("console", fold(name), name).id
    assert pid is not None
    return pid


def test_one_common_word_is_a_loose_hint_not_a_reason_to_ask(sqlite_url: str) -> None:
    services = coffee(sqlite_url)
    text = "how do I fix my kubernetes pods"
    match = services.matcher.rank(text, services.matcher.recognise(text), None, NOW)
    assert not [c.name for c in match.candidates if c.relevant]
    bruno = next(c for c in match.candidates if c.name == "Bruno")  # "pod" is in his thread
    assert bruno.weak and not bruno.relevant
    assert all(not c.weak for c in match.candidates if c.name != "Bruno")  # activity is no hint
    assert services.matcher.route(match, NOW) == []


def test_a_need_close_to_a_past_thread_finds_who_answered_it(sqlite_url: str) -> None:
    services = coffee(sqlite_url)
    text = "my espresso machine leaks under the group head"
    match = services.matcher.rank(text, services.matcher.recognise(text), None, NOW)
    relevant = [c for c in match.candidates if c.relevant]
    assert [c.name for c in relevant] == ["Alice"] and not relevant[0].weak
    assert relevant[0].reasons[0].key == "reason.similar"


def test_a_recognised_skill_with_evidence_is_specific_without_any_text(sqlite_url: str) -> None:
    services = coffee(sqlite_url)
    ops = person(services, "Olga")
    services.store.add_claim(ops, "Kubernetes", ClaimSource.HELPED, at=NOW - timedelta(days=3))
    text = "how do I fix my kubernetes pods"
    match = services.matcher.rank(text, services.matcher.recognise(text), None, NOW)
    assert [c.name for c in match.candidates if c.relevant] == ["Olga"]


def asked(services: Services) -> list[str]:
    with services.store.session() as session:
        people = {
            p.id: p.name
            for p in services.store.people([a.person_id for a in session.exec(select(Ask))]).values()
        }
        return sorted(people[a.person_id] for a in session.exec(select(Ask)))


async def test_console_an_unrelated_need_asks_nobody_a_related_one_asks_the_right_colleague(
    sqlite_url: str,
) -> None:
    services = coffee(sqlite_url)
    out = await run_console(services, "/as Erin\nneed how do I fix my kubernetes pods")
    assert asked(services) == []
    # The asker is told why, and that the need stays open.
    told = out.split("Erin> need", 1)[1]
    assert "I found no colleague who clearly knows about Kubernetes (only loose hints)" in told
    assert "so I asked nobody rather than the wrong person. Your need #1 stays open" in told
    out = await run_console(services, "/as Erin\nneed my espresso machine leaks under the group head")
    assert asked(services) == ["Alice"]
    answer = out.split("Erin> need", 1)[1]
    assert "I thought of you because you answered " in answer
    assert "similar question" in answer and "“My espresso machine leaks" in answer
