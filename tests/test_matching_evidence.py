"""Evidence every community has: people's own answers, whom they helped, and availability that
changes when to ask, never who can help (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.context import Services
from skills_db.storage.models import HelpReply, HelpThread
from tests.support import make_services

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 UTC


@pytest.fixture
def services(database_url: str) -> Services:
    return make_services(database_url, clock=lambda: NOW)


def person(services: Services, handle: str, **changes: object) -> int:
    pid = services.store.person_for("slack", handle, handle.title()).id
    assert pid is not None
    if changes:
        services.store.update_person(pid, **changes)
    return pid


def thread(
    services: Services, asker: int, question: str, answers: list[tuple[int, str]], days_ago: float
) -> None:
    when = NOW - timedelta(days=days_ago)
    with services.store.session() as session:
        row = HelpThread(
            source="test", external_id=f"{asker}-{question}", asker_id=asker, text=question, created_at=when
        )
        session.add(row)
        session.flush()
        for helper, text in answers:
            session.add(HelpReply(thread_id=row.id or 0, person_id=helper, text=text, created_at=when))


def test_a_need_with_no_skill_finds_who_answered_it_in_their_own_words(services: Services) -> None:
    asker, zoe, max_, ann = (person(services, n) for n in ("asker", "zoe", "max", "ann"))
    # Zoe and Max answered the same threads; only Zoe's own words speak of the calibration.
    thread(
        services,
        asker,
        "my time machine stopped working",
        [
            (zoe, "recalibrate the flux capacitor with a quarter turn of the trim screw"),
            (max_, "have you tried switching it off and on again?"),
        ],
        days_ago=20,
    )
    thread(services, ann, "the printer jams again", [(max_, "open the tray"), (zoe, "pull the paper")], 5)
    for day in range(30):  # a history long enough for its words to say what people know
        thread(services, ann, f"which room for the meeting {day}", [(ann, "the blue one")], 40 + day)
    text = "how do I calibrate the capacitor trim screw?"
    assert services.matcher.recognise(text) == []
    match = services.matcher.rank(text, [], None, NOW)
    names = [c.name for c in match.candidates]
    assert names[:2] == ["Zoe", "Max"], names
    assert match.candidates[0].relevant
    # The reason quotes the question answered, not the answers that follow it in the thread.
    assert match.candidates[0].reasons[0].values["example"] == "my time machine stopped working"
    assert services.matcher.route(match, NOW, asks_this_week={})[0].name == "Zoe"


def test_who_helped_this_asker_before_counts(services: Services) -> None:
    asker, other, bea, cal = (person(services, n) for n in ("asker", "other", "bea", "cal"))
    for day in range(3):
        thread(services, asker, f"question {day} about lunch menus", [(bea, "try the canteen")], 10 + day)
        thread(services, other, f"question {day} about parking spots", [(cal, "level -2 is free")], 10 + day)
    text = "where can I find the holiday calendar?"
    for_asker = [c.name for c in services.matcher.rank(text, [], asker, NOW).candidates]
    for_other = [c.name for c in services.matcher.rank(text, [], other, NOW).candidates]
    assert for_asker.index("Bea") < for_asker.index("Cal")
    assert for_other.index("Cal") < for_other.index("Bea")


def test_working_hours_never_remove_a_candidate_from_the_ranking(services: Services) -> None:
    asker = person(services, "asker")
    # 10:00 UTC is 19:00 in Tokyo and 02:00 in Los Angeles: both off hours on a Wednesday.
    kim = person(services, "kim", timezone="Asia/Tokyo")
    lou = person(services, "lou", timezone="America/Los_Angeles")
    eva = person(services, "eva", timezone="Europe/Paris")
    for helper, days in ((kim, 2), (lou, 3), (eva, 4)):
        thread(
            services,
            asker,
            f"terraform state lock stuck {days}",
            [(helper, "force-unlock the terraform state")],
            days,
        )
    text = "terraform state lock is stuck"
    match = services.matcher.rank(text, services.matcher.recognise(text), None, NOW)
    by_name = {c.name: c for c in match.candidates}
    assert {"Kim", "Lou", "Eva"} <= set(by_name)
    assert by_name["Kim"].available_at is not None and by_name["Lou"].available_at is not None
    assert by_name["Eva"].available_at is None
    # Ranked by what they know (Kim helped most lately), not by who is at work now.
    assert [c.name for c in match.candidates][:3] == ["Kim", "Lou", "Eva"]
    # Routing asks the reachable one now; the others wait for their morning.
    asked = services.matcher.route(match, NOW, asks_this_week={})
    assert [c.name for c in asked] == ["Eva"]
