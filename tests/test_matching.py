"""Matching: evidence ordering, decay, text evidence, exclusions and fair routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.chat.context import Services
from skills_db.storage.models import ClaimSource, HelpReply, HelpThread, Need, Offer, Thanks
from tests.support import make_services

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 UTC


@pytest.fixture
def services(sqlite_url: str) -> Services:
    return make_services(sqlite_url, clock=lambda: NOW)


def person(services: Services, handle: str, **changes: object) -> int:
    pid = services.store.person_for("slack", handle, handle.title()).id
    assert pid is not None
    if changes:
        services.store.update_person(pid, **changes)
    return pid


def claim(
    services: Services, pid: int, skill: str, source: ClaimSource, days_ago: float = 1, weight: float = 1.0
) -> None:
    services.store.add_claim(pid, skill, source, weight=weight, at=NOW - timedelta(days=days_ago))


def ranked(
    services: Services, text: str, asker: int | None = None, skills: list[str] | None = None
) -> list[str]:
    skills = services.matcher.recognise(text) if skills is None else skills
    return [c.name for c in services.matcher.rank(text, skills, asker, NOW).candidates]


def thread(
    services: Services, asker: int, helper: int, text: str, days_ago: float, solved: bool = True
) -> None:
    with services.store.session() as session:
        row = HelpThread(
            source="test",
            external_id=f"{asker}-{helper}-{text}",
            asker_id=asker,
            text=text,
            created_at=NOW - timedelta(days=days_ago),
            solved_by_id=helper if solved else None,
        )
        session.add(row)
        session.flush()
        session.add(
            HelpReply(
                thread_id=row.id or 0,
                person_id=helper,
                created_at=NOW - timedelta(days=days_ago),
                solved=solved,
            )
        )
        session.flush()


def test_demonstrated_help_beats_self_declaration(services: Services) -> None:
    declarer, helper = person(services, "declarer"), person(services, "helper")
    for skill in ("Terraform", "AWS", "Kubernetes"):
        claim(services, declarer, skill, ClaimSource.DECLARED, days_ago=0)
    claim(services, helper, "Terraform", ClaimSource.HELPED, days_ago=700)  # old, decayed help
    assert ranked(services, "terraform state locking")[:2] == ["Helper", "Declarer"]


def test_evidence_decays_with_time(services: Services) -> None:
    old, recent = person(services, "old"), person(services, "recent")
    claim(services, old, "Python", ClaimSource.HELPED, days_ago=900)
    claim(services, old, "Python", ClaimSource.HELPED, days_ago=901)
    claim(services, recent, "Python", ClaimSource.HELPED, days_ago=10)
    assert ranked(services, "python decorators", skills=["Python"])[:2] == ["Recent", "Old"]


def test_endorsements_count_per_distinct_peer(services: Services) -> None:
    a, b, c, d = (person(services, n) for n in ("anna", "bert", "carl", "dora"))
    store = services.store
    store.endorse(c, a, "SQL", at=NOW)
    store.endorse(d, a, "SQL", at=NOW)
    store.endorse(c, b, "SQL", at=NOW)
    assert not store.endorse(c, b, "SQL", at=NOW)  # the same peer twice counts once
    claim(services, b, "SQL", ClaimSource.DECLARED)
    (first, second) = services.matcher.rank("sql", ["SQL"], None, NOW).candidates[:2]
    assert (first.name, second.name) == ("Anna", "Bert")
    assert any(r.key == "reason.endorsed" and r.values["count"] == 2 for r in first.reasons)


def test_a_need_with_no_known_skill_finds_people_by_the_text_of_past_threads(services: Services) -> None:
    asker, helper, other = person(services, "asker"), person(services, "helper"), person(services, "other")
    thread(services, asker, helper, "The espresso grinder burrs squeak after cleaning", days_ago=20)
    thread(services, asker, other, "Quarterly budget spreadsheet formulas", days_ago=20)
    text = "my grinder burrs squeak"
    assert services.matcher.recognise(text) == [] or "Espresso" not in services.matcher.recognise(text)
    match = services.matcher.rank(text, [], None, NOW)
    best = match.candidates[0]
    assert best.name == "Helper" and best.relevant
    assert best.reasons[0].key == "reason.similar"
    assert "grinder burrs squeak" in best.reasons[0].values["example"]


def test_ranking_leaves_out_asker_opted_out_deleted_and_dates_away_off_hours(services: Services) -> None:
    names = ["asker", "optout", "away", "gone", "tokyo", "paris", "unknown"]
    ids = {n: person(services, n) for n in names}
    services.store.update_person(ids["optout"], matching_opt_out=True)
    services.store.update_person(ids["away"], away_until=NOW + timedelta(days=3))
    services.store.update_person(ids["gone"], deleted=True)
    services.store.update_person(ids["tokyo"], timezone="Asia/Tokyo")  # 19:00 there: after hours
    services.store.update_person(ids["paris"], timezone="Europe/Paris")  # 11:00 there
    for pid in ids.values():
        claim(services, pid, "Rust", ClaimSource.HELPED)
    match = services.matcher.rank("rust lifetimes", ["Rust"], ids["asker"], NOW)
    back = {c.name: c.available_at for c in match.candidates}
    # The unavailable are ranked, with when they can be asked: not mistaken for unknown.
    assert sorted(back) == ["Away", "Paris", "Tokyo", "Unknown"]
    assert back["Paris"] is None and back["Unknown"] is None
    assert back["Away"] == NOW + timedelta(days=3)
    tokyo = back["Tokyo"]
    assert tokyo is not None and tokyo > NOW and tokyo.astimezone(ZoneInfo("Asia/Tokyo")).hour == 8
    # Only those who can be asked now are routed.
    routed = services.matcher.route(match, NOW, count=5)
    assert sorted(c.name for c in routed) == ["Paris", "Unknown"]
    services.store.update_person(ids["away"], away_until=NOW - timedelta(hours=1))  # back
    match = services.matcher.rank("rust lifetimes", ["Rust"], ids["asker"], NOW)
    assert {c.name: c.available_at for c in match.candidates}["Away"] is None


def test_routing_respects_the_weekly_cap_and_spreads_asks(services: Services) -> None:
    experts = [person(services, f"expert{i}") for i in range(5)]
    for pid in experts:
        claim(services, pid, "Kubernetes", ClaimSource.HELPED)
    asker = person(services, "asker")
    asked: dict[int, int] = {}
    for day in range(5):
        need = services.store.create_need(
            Need(
                person_id=asker,
                text="k8s",
                skills=["Kubernetes"],
                platform="slack",
                conversation="C1",
                created_at=NOW,
            )
        )
        match = services.matcher.rank("kubernetes pods", ["Kubernetes"], asker, NOW + timedelta(hours=day))
        route = services.matcher.route(match, NOW + timedelta(hours=day))
        assert len(route) == 3
        services.store.create_asks(
            need.id or 0, [(c.person_id, []) for c in route], at=NOW + timedelta(hours=day)
        )
        for c in route:
            asked[c.person_id] = asked.get(c.person_id, 0) + 1
    assert max(asked.values()) <= 3  # the weekly cap
    assert set(asked) == set(experts)  # asks were spread over all comparable experts
    assert sum(asked.values()) == 15


def test_personal_cap_and_exhausted_experts(services: Services) -> None:
    solo = person(services, "solo", weekly_ask_cap=1)
    claim(services, solo, "Haskell", ClaimSource.HELPED)
    asker = person(services, "asker")
    need = services.store.create_need(
        Need(
            person_id=asker,
            text="monads",
            skills=["Haskell"],
            platform="slack",
            conversation="C",
            created_at=NOW,
        )
    )
    match = services.matcher.rank("haskell monads", ["Haskell"], asker, NOW)
    assert [c.name for c in services.matcher.route(match, NOW)] == ["Solo"]
    services.store.create_asks(need.id or 0, [(solo, [])], at=NOW)
    assert services.matcher.route(match, NOW + timedelta(hours=1)) == []
    assert [c.name for c in services.matcher.route(match, NOW + timedelta(days=8))] == ["Solo"]


def test_a_learner_gets_a_place_next_to_the_experts(services: Services) -> None:
    for i in range(4):
        claim(services, person(services, f"expert{i}"), "Terraform", ClaimSource.HELPED)
    learner = person(services, "learner")
    services.store.add_learning_goal(learner, "Terraform")
    match = services.matcher.rank("terraform modules", ["Terraform"], None, NOW)
    route = services.matcher.route(match, NOW)
    assert [c.learner for c in route] == [False, False, True]
    assert route[-1].name == "Learner" and route[-1].reasons[0].key == "reason.learner"


def test_an_active_offer_boosts_its_author_and_says_so(services: Services) -> None:
    a, b = person(services, "anna"), person(services, "bert")
    claim(services, a, "SQL", ClaimSource.HELPED)
    claim(services, b, "SQL", ClaimSource.HELPED)
    services.store.create_offer(
        Offer(
            person_id=b, text="SQL tuning", skills=["SQL"], created_at=NOW, expires_at=NOW + timedelta(days=7)
        )
    )
    first = services.matcher.rank("slow sql query", ["SQL"], None, NOW).candidates[0]
    assert first.name == "Bert" and first.reasons[0].key == "reason.offer"


def test_solving_a_need_live_becomes_text_evidence(services: Services) -> None:
    asker, helper = person(services, "asker"), person(services, "helper")
    need = services.store.create_need(
        Need(
            person_id=asker,
            text="flaky websocket reconnects in the mobile app",
            skills=[],
            platform="slack",
            conversation="C",
            created_at=NOW - timedelta(days=1),
        )
    )
    services.store.solve_need(need.id or 0, helper, at=NOW - timedelta(hours=20))
    services.store.add_thanks(Thanks(from_person_id=asker, to_person_id=helper, text="merci", created_at=NOW))
    assert ranked(services, "websocket reconnects keep failing")[0] == "Helper"
