"""Help recorded from every path — `thanks`, a solved need's credit (✅, `solved`, the button) and
imported history — once each, with its skills and whether it was said in public; the thanked
hear of it privately in their language; daily limits per giver and per receiver, in their day."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.chat.context import Services
from bot.chat.events import ButtonPress, EventKind, Reply, UserRef
from bot.chat.pipeline import Pipeline
from skills_db.importers.history import import_archive
from skills_db.importers.read import read_history
from skills_db.storage.models import HelpThread, Need, Thanks, ThanksKind
from skills_db.storage.store import Store
from tests.support import Clock, MemoryAdapter, event, make_services, pipeline_for

NNBSP = "\u202f"
BOB = UserRef("memory", "bob", "Bob")


class Bot:
    """The bot on an in-memory platform, with a clock the test moves."""

    def __init__(self, url: str, clock: Clock | None = None, **sections: dict[str, object]) -> None:
        self.clock = clock or Clock()
        self.adapter = MemoryAdapter()
        self.services: Services = make_services(url, self.clock, **sections)
        self.pipeline: Pipeline = pipeline_for(self.services, self.adapter)

    async def say(self, text: str, who: str = "alice", **extra: Any) -> list[Reply]:
        before = len(self.adapter.sent)
        await self.pipeline.handle(self.adapter, event(text, who, **extra))
        return self.adapter.sent[before:]

    async def in_channel(self, text: str, who: str = "alice", **extra: Any) -> list[Reply]:
        return await self.say(text, who, in_help_channel=True, **extra)

    async def in_dm(self, text: str, who: str = "alice") -> list[Reply]:
        return await self.say(text, who, conversation=f"dm:{who}", is_direct=True)

    async def check_mark(self, who: str, *, thread: str, on: str, author: UserRef | None) -> list[Reply]:
        return await self.say(
            "",
            who,
            kind=EventKind.REACTION,
            reaction="✅",
            thread=thread,
            target_message=on,
            target_author=author,
        )

    def thanks(self) -> list[Thanks]:
        with Session(self.services.store.engine) as session:
            return list(session.exec(select(Thanks).order_by(col(Thanks.id))).all())

    def person_id(self, who: str) -> int:
        person = self.services.store.find_person("memory", who)
        assert person is not None and person.id is not None
        return person.id

    def need(self, need_id: int) -> Need:
        need = self.services.store.get_need(need_id)
        assert need is not None
        return need


def summary(row: Thanks) -> tuple[str, list[str], bool, str | None, int | None]:
    return row.kind, row.skills, row.public, row.ref, row.need_id


def to(replies: list[Reply], who: str) -> list[str]:
    """What ``who`` was told privately."""
    return [r.plain for r in replies if r.to is not None and r.to.handle == who]


async def test_thanks_in_a_help_channel_and_in_a_dm(database_url: str) -> None:
    bot = Bot(database_url)
    await bot.say("skills add Unit testing", "bob")
    said = await bot.in_channel("thanks @bob for the terraform review")
    assert to(said, "bob") == ["@Alice thanked you: “the terraform review”"]
    await bot.in_dm("thanks @bob for the lunch tip")
    # After Bob accepted my need, "thanks @bob" is for that need: its number and its skills.
    await bot.in_channel("need help with unit testing", message_id="m1")
    await bot.in_dm("accept", "bob")
    said = await bot.in_channel("thanks @bob")
    assert to(said, "bob") == ["@Alice thanks you for your help with their need #1 (Unit testing)."]
    assert [summary(t) for t in bot.thanks()] == [
        (ThanksKind.THANKS, ["Terraform"], True, None, None),
        (ThanksKind.THANKS, [], False, None, None),  # said in a DM: not public
        (ThanksKind.THANKS, ["Unit testing"], True, None, 1),
    ]
    assert {(t.from_person_id, t.to_person_id) for t in bot.thanks()} == {
        (bot.person_id("alice"), bot.person_id("bob"))
    }


async def test_no_thanking_yourself_nor_crediting_yourself(database_url: str) -> None:
    bot = Bot(database_url)
    (answer,) = await bot.in_channel("thanks @alice for the docs")
    assert answer.plain.startswith("You cannot thank yourself.")
    await bot.in_channel("need help with unit testing", message_id="m1")
    (answer,) = await bot.in_channel("solved @alice")
    assert answer.plain == "Marked as solved: “help with unit testing”."
    assert bot.thanks() == []


async def test_a_check_mark_by_the_asker_credits_the_helper_once(database_url: str) -> None:
    bot = Bot(database_url, routing={"mode": "suggest"})
    await bot.say("skills add Unit testing", "bob")
    await bot.in_channel("need help with unit testing flakiness", message_id="m1")
    assert bot.need(1).public
    # Someone else's ✅ on Bob's reply means nothing.
    assert await bot.check_mark("carol", thread="m1", on="m2", author=BOB) == []
    assert bot.thanks() == []
    said = await bot.check_mark("alice", thread="m1", on="m2", author=BOB)
    assert [r.plain for r in said if r.to is None] == [
        "Marked as solved: “help with unit testing flakiness”. @Bob is credited for the help."
    ]
    # Bob hears privately what for: the need's number and skill, not its text.
    assert to(said, "bob") == ["@Alice says your help solved their need #1 (Unit testing). Thank you!"]
    (row,) = bot.thanks()
    assert summary(row) == (ThanksKind.SOLVED, ["Unit testing"], True, "need:1", 1)
    assert (row.from_person_id, row.to_person_id) == (bot.person_id("alice"), bot.person_id("bob"))
    assert row.created_at == bot.clock.now
    # A second ✅, and `solved` again, find the need solved: nothing more counts, nobody is told.
    assert await bot.check_mark("alice", thread="m1", on="m3", author=BOB) == []
    (answer,) = await bot.in_channel("solved 1 @bob")
    assert answer.plain.startswith("You have no open need")
    assert len(bot.thanks()) == 1
    # And the ref keeps it once even if a path ran twice.
    assert not bot.services.store.add_thanks_once(Thanks(**row.model_dump(exclude={"id"})))
    assert len(bot.thanks()) == 1
    with Session(bot.services.store.engine) as session:
        (thread,) = session.exec(select(HelpThread)).all()
    assert thread.public


async def test_solved_by_command_and_by_button_credit_the_one_who_accepted(database_url: str) -> None:
    bot = Bot(database_url)
    await bot.say("skills add Unit testing", "bob")
    await bot.in_channel("need more unit testing", message_id="m1")
    await bot.in_dm("accept", "bob")
    said = await bot.in_channel("solved")  # the one colleague who accepted is credited
    assert to(said, "bob") == ["@Alice says your help solved their need #1 (Unit testing). Thank you!"]
    await bot.in_channel("need a faster unit testing setup", message_id="m5")
    await bot.in_dm("accept", "bob")
    said = await bot.say(
        "", kind=EventKind.ACTION, action=ButtonPress("solved", 2), conversation="dm:alice", is_direct=True
    )
    assert to(said, "bob") == ["@Alice says your help solved their need #2 (Unit testing). Thank you!"]
    assert [summary(t) for t in bot.thanks()] == [
        (ThanksKind.SOLVED, ["Unit testing"], True, "need:1", 1),
        (ThanksKind.SOLVED, ["Unit testing"], True, "need:2", 2),
    ]


async def test_a_french_speaking_helper_is_told_in_french(database_url: str) -> None:
    bot = Bot(database_url)
    await bot.say("language fr", "bob")
    await bot.say("skills add Unit testing", "bob")
    await bot.in_channel("need help with unit testing", message_id="m1")
    await bot.in_dm("accept", "bob")
    said = await bot.in_channel("solved")
    assert to(said, "bob") == [
        f"@Alice indique que votre aide a résolu son besoin n°1 (Tests unitaires). Merci{NNBSP}!"
    ]
    await bot.in_channel("need a review of my unit testing", message_id="m3")
    await bot.in_dm("accept", "bob")
    said = await bot.in_channel("thanks @bob")
    assert to(said, "bob") == ["@Alice vous remercie pour votre aide sur son besoin n°2 (Tests unitaires)."]


async def test_a_need_posted_in_a_dm_and_its_credit_are_private(database_url: str) -> None:
    bot = Bot(database_url)
    await bot.say("skills add Unit testing", "bob")
    await bot.in_dm("need help with unit testing")
    assert not bot.need(1).public
    await bot.in_dm("accept", "bob")
    said = await bot.in_dm("solved")
    assert to(said, "bob") == ["@Alice says your help solved their need #1 (Unit testing). Thank you!"]
    (row,) = bot.thanks()
    assert summary(row) == (ThanksKind.SOLVED, ["Unit testing"], False, "need:1", 1)
    with Session(bot.services.store.engine) as session:
        (thread,) = session.exec(select(HelpThread)).all()
    assert not thread.public


async def test_the_givers_daily_limit_is_their_own_calendar_day(database_url: str) -> None:
    # 10:00 UTC is 11:00 in Paris; Paris midnight is 23:00 UTC (winter time).
    bot = Bot(database_url, thanks={"max_given_per_day": 2})
    for who in ("alice", "bob", "carol", "dan"):
        await bot.say("skills list", who)
    bot.services.store.update_person(bot.person_id("alice"), timezone="Europe/Paris")
    await bot.in_channel("thanks @bob for the review")
    said = await bot.in_channel("thanks @carol @dan for the pairing")
    assert [r.plain for r in said] == [
        "Nothing was recorded: you can give only one more thanks today (the daily limit is 2). "
        "Thank one colleague, or the others tomorrow."
    ]
    await bot.in_channel("thanks @carol for the pairing")
    bot.clock.now = datetime(2026, 11, 2, 22, 59, tzinfo=UTC)  # 23:59 in Paris: still today
    said = await bot.in_channel("thanks @dan for the demo")
    assert [r.plain for r in said] == [
        "Nothing was recorded: you have reached the daily limit of thanks given (2). It resets tomorrow."
    ]
    assert said[0].to is not None and said[0].to.handle == "alice"  # only the sender is told
    assert len(bot.thanks()) == 2
    bot.clock.now = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # midnight in Paris: a new day
    said = await bot.in_channel("thanks @dan for the demo")
    assert to(said, "dan") == ["@Alice thanked you: “the demo”"]
    assert [t.to_person_id for t in bot.thanks()][-1] == bot.person_id("dan")


async def test_the_receivers_daily_limit_is_their_own_calendar_day(database_url: str) -> None:
    # Bob lives in New York: his day ends at 05:00 UTC (winter time), not at UTC midnight.
    bot = Bot(database_url, thanks={"max_received_per_day": 2})
    await bot.say("skills list", "bob")
    bot.services.store.update_person(bot.person_id("bob"), timezone="America/New_York")
    await bot.in_channel("thanks @bob for the review", "carol")
    await bot.in_channel("thanks @bob for the pairing", "dan")
    bot.clock.now = datetime(2026, 11, 3, 4, 59, tzinfo=UTC)  # a new day in UTC, not in New York
    said = await bot.in_channel("thanks @bob for the demo", "erin")
    assert [r.plain for r in said] == [
        "Nothing was recorded: @Bob has reached the daily limit of thanks received (2). It resets tomorrow."
    ]
    assert to(said, "bob") == []
    bot.clock.now = datetime(2026, 11, 3, 5, 0, tzinfo=UTC)
    said = await bot.in_channel("thanks @bob for the demo", "erin")
    assert to(said, "bob") == ["@Erin thanked you: “the demo”"]
    assert len(bot.thanks()) == 3


async def test_a_solved_need_over_a_limit_is_solved_but_its_thanks_not_counted(database_url: str) -> None:
    bot = Bot(database_url, routing={"mode": "suggest"}, thanks={"max_given_per_day": 1})
    await bot.say("skills list", "carol")
    await bot.say("skills list", "bob")  # Bob uses Entraide: a ✅ on his reply may credit him
    await bot.in_channel("thanks @carol for the review")
    await bot.in_channel("need help with unit testing", message_id="m1")
    said = await bot.check_mark("alice", thread="m1", on="m2", author=BOB)
    assert bot.need(1).status == "solved" and bot.need(1).solved_by_id == bot.person_id("bob")
    assert [r.plain for r in said if r.to is None] == [
        "Marked as solved: “help with unit testing”. @Bob is credited for the help."
    ]
    # The asker alone is told the truth; Bob is not told of thanks that did not count.
    assert to(said, "alice") == [
        "Your thanks to @Bob was not counted: you have reached the daily limit of thanks given (1). "
        "It resets tomorrow."
    ]
    assert to(said, "bob") == []
    assert [t.kind for t in bot.thanks()] == [ThanksKind.THANKS]


async def test_a_solved_need_credit_counts_toward_the_receivers_limit(database_url: str) -> None:
    bot = Bot(database_url, routing={"mode": "suggest"}, thanks={"max_received_per_day": 1})
    await bot.say("skills list", "bob")  # Bob uses Entraide: a ✅ on his reply may credit him
    await bot.in_channel("need help with unit testing", message_id="m1")
    await bot.check_mark("alice", thread="m1", on="m2", author=BOB)  # Bob's one for today
    await bot.in_channel("need unit testing advice", "carol", message_id="m3")
    said = await bot.check_mark("carol", thread="m3", on="m4", author=BOB)
    assert to(said, "carol") == [
        "Your thanks was not counted: @Bob has reached the daily limit of thanks received (1). "
        "It resets tomorrow."
    ]
    assert to(said, "bob") == []
    (answer,) = await bot.in_channel("thanks @bob for everything", "dan")
    assert answer.plain.startswith("Nothing was recorded: @Bob has reached the daily limit")
    assert [t.ref for t in bot.thanks()] == ["need:1"]


def history(path: Path, day: datetime) -> Path:
    """Four threads: solved by another, solved by the asker, unsolved, solved by a bot."""

    def at(minutes: int) -> str:
        return (day + timedelta(minutes=minutes)).isoformat()

    lines = [
        {"type": "user", "handle": "alice", "name": "Alice"},
        {"type": "user", "handle": "bob", "name": "Bob"},
        {"type": "user", "handle": "helperbot", "name": "Helper bot", "is_bot": True},
        {
            "thread_id": "t1",
            "channel": "ask-dev",
            "root": {"author": "alice", "text": "Our unit testing suite is flaky", "ts": at(0)},
            "replies": [
                {"author": "bob", "text": "Freeze the clock", "ts": at(5)},
                {"author": "bob", "text": "And seed the random generator", "ts": at(9)},
            ],
            "solved_by": 1,
        },
        {
            "thread_id": "t2",
            "channel": "ask-dev",
            "root": {"author": "alice", "text": "unit testing of dates?", "ts": at(20)},
            "replies": [
                {"author": "bob", "text": "Inject a clock", "ts": at(21)},
                {"author": "alice", "text": "found it myself", "ts": at(22)},
            ],
            "solved_by": 1,
        },
        {
            "thread_id": "t3",
            "channel": "ask-dev",
            "root": {"author": "bob", "text": "unit testing coverage tools?", "ts": at(30)},
            "replies": [{"author": "alice", "text": "coverage.py", "ts": at(31)}],
            "solved_by": None,
        },
        {
            "thread_id": "t4",
            "channel": "ask-dev",
            "root": {"author": "bob", "text": "unit testing docs?", "ts": at(40)},
            "replies": [{"author": "helperbot", "text": "see the wiki", "ts": at(41)}],
            "solved_by": 0,
        },
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", "utf-8")
    return path


async def test_imported_solved_threads_are_thanks_once_and_do_not_count_toward_limits(
    database_url: str, tmp_path: Path
) -> None:
    bot = Bot(database_url, thanks={"max_received_per_day": 1})
    archive = read_history(history(tmp_path / "history.jsonl", bot.clock.now - timedelta(hours=1)))
    store, recognise = bot.services.store, bot.services.matcher.recognise
    first = import_archive(store, archive, recognise, platform="memory")
    again = import_archive(store, archive, recognise, platform="memory")
    assert (first.thanks, again.thanks, again.skipped_threads) == (1, 0, 4)
    (row,) = bot.thanks()
    with Session(store.engine) as session:
        thread = session.exec(select(HelpThread).where(HelpThread.external_id == "t1")).one()
    assert summary(row) == (ThanksKind.IMPORTED, ["Unit testing"], True, f"import:{thread.id}", None)
    assert (row.from_person_id, row.to_person_id) == (bot.person_id("alice"), bot.person_id("bob"))
    assert row.created_at == bot.clock.now - timedelta(hours=1) + timedelta(minutes=9)  # the solving reply
    # The skills are those the solver's claims for the thread were given.
    claims = [c for c in store.claims([bot.person_id("bob")]) if c.ref == f"thread:{thread.id}"]
    assert sorted({c.skill for c in claims}) == row.skills
    # History is not today's thanks: Bob may still be thanked once today.
    said = await bot.in_channel("thanks @bob for the flaky tests", "alice")
    assert to(said, "bob") == ["@Alice thanked you: “the flaky tests”"]


@pytest.mark.parametrize("timezone", [None, "Not/AZone"])
def test_an_unknown_time_zone_counts_the_utc_day(timezone: str | None) -> None:
    from bot.commands.thanks import start_of_day

    now = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
    assert start_of_day(now, timezone) == datetime(2026, 11, 2, tzinfo=UTC)
    assert start_of_day(now, "Europe/Paris") == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)


def test_two_instances_cannot_both_record_the_receivers_last_thanks_of_the_day(postgres_url: str) -> None:
    """The count and the insert are one unit of work, behind a lock on the people's rows: while
    one instance records Bob's last thanks of the day, another's count waits for its commit, then
    sees it (READ COMMITTED: each statement sees what was committed before it began)."""
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    alice, bob, carol = (first.person_for("memory", who).id or 0 for who in ("alice", "bob", "carol"))
    since = datetime(2026, 11, 2, tzinfo=UTC)
    counted: list[dict[int, int]] = []

    def other_instance() -> None:
        with second.unit_of_work():
            counted.append(second.live_thanks_today_locked(carol, since, {bob: since})[1])

    with first.unit_of_work():
        assert first.live_thanks_today_locked(alice, since, {bob: since})[1] == {bob: 0}
        first.add_thanks(Thanks(from_person_id=alice, to_person_id=bob, text="review", created_at=since))
        racer = threading.Thread(target=other_instance)
        racer.start()
        deadline = time.monotonic() + 30
        while not counted and not _waiting_for_a_lock(first):
            assert time.monotonic() < deadline, "the other instance neither waited nor counted"
            time.sleep(0.02)  # polling an observable condition, with a deadline
        assert not counted, "the other instance counted while the first had not committed"
    racer.join(timeout=30)
    assert counted == [{bob: 1}]
    first.close()
    second.close()


def _waiting_for_a_lock(store: Store) -> bool:
    with store.engine.connect() as conn:
        waiting = "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query ilike :q"
        return bool(conn.execute(sa.text(waiting), {"q": "update person%"}).scalar_one())
