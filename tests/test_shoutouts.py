"""Weekly shout-outs over simulated weeks, with a moved clock: they reach the quiet, rotate, leave
out who opted out, never repeat a need's or a DM's words, and are posted once a week."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing, Services
from bot.chat.events import Mention, Reply
from bot.chat.wire import reply_from_json
from bot.jobs import MovableClock, Scheduler
from bot.shoutouts.jobs import register
from bot.shoutouts.plan import plans
from bot.shoutouts.weekly import Result, Week, post_week
from skills_db.storage.models import (
    Need,
    OutboxMessage,
    PickOutcome,
    Shoutout,
    ShoutoutPick,
    Thanks,
    ThanksKind,
)
from tests.support import make_services

MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # the default post time: Monday 10:00 UTC
CHANNEL = "memory:kudos"
SECRET_NEED = "our payroll export leaks salaries to the wiki"
SECRET_DM = "between us, the reorg is next month"


class World:
    """People on the 'memory' platform, help recorded as the thanks paths record it."""

    def __init__(self, services: Services, clock: MovableClock) -> None:
        self.services, self.clock = services, clock
        self.store = services.store
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}

    def person(self, name: str, *, days_ago: int = 400) -> int:
        if name not in self.ids:
            found = self.store.person_for(
                "memory", name.lower(), name, at=self.clock.now() - timedelta(days=days_ago)
            )
            assert found.id is not None
            self.ids[name], self.names[found.id] = found.id, name
        return self.ids[name]

    def helped(
        self,
        helper: str,
        asker: str,
        at: datetime,
        *,
        skills: tuple[str, ...] = ("Terraform",),
        public: bool = True,
        text: str = "thanks",
        need: int | None = None,
    ) -> None:
        self.store.add_thanks(
            Thanks(
                from_person_id=self.person(asker),
                to_person_id=self.person(helper),
                text=text,
                created_at=at,
                kind=ThanksKind.THANKS,
                skills=list(skills),
                public=public,
                need_id=need,
            )
        )

    def post(self, at: datetime) -> tuple[Result, Reply | None]:
        """The week's post as the job makes it at ``at``; the reply it wrote to the outbox."""
        self.clock.set(at)
        plan = plans(self.services.config)[0]
        actions = Actions(self.services)
        results: list[Result] = []

        def unit() -> list[Outgoing]:
            ctx = Context(self.services, plan.platform)
            results.append(post_week(ctx, Week.ending(plan, at)))
            return ctx.outgoing

        written = actions.unit(unit, f"test:{at.isoformat()}")
        actions.close()
        posts = [
            reply_from_json(p.reply)
            for p in written
            if p.key.startswith("shoutout:") and ":private:" not in p.key
        ]
        return results[0], (posts[0] if posts else None)

    def featured(self, reply: Reply | None) -> list[str]:
        if reply is None:
            return []
        return [part.user.display for part in reply.body if isinstance(part, Mention)]


def make_world(url: str, **shoutouts: Any) -> World:
    clock = MovableClock(MONDAY - timedelta(days=7))
    settings = {"channels": [CHANNEL], "max_people": 3, **shoutouts}
    return World(make_services(url, clock.now, shoutouts=settings), clock)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    made = make_world(database_url)
    yield made
    made.store.close()


def _text(reply: Reply) -> str:
    return reply.plain


def test_twelve_skewed_weeks_reach_twice_the_people_a_top_helpers_board_would(world: World) -> None:
    rng = random.Random(7)
    stars = ["Star1", "Star2", "Star3"]  # help very often, and are seen everywhere
    occasional = [f"Quiet{n:02d}" for n in range(1, 19)]  # help now and then
    askers = [f"Asker{n:02d}" for n in range(1, 31)]
    shy = "Quiet07"
    world.person(shy)
    world.store.update_person(world.ids[shy], shoutouts_opt_out=True)
    ours: list[list[str]] = []
    helpers_by_week: list[Counter[str]] = []
    for week in range(12):
        start = MONDAY + timedelta(weeks=week) - timedelta(days=7)
        counts: Counter[str] = Counter()
        for star in stars:
            for asker in rng.sample(askers, 8):
                world.helped(star, asker, start + timedelta(hours=rng.randint(1, 160)))
                counts[star] += 1
        for quiet in occasional:
            if rng.random() < 0.35:
                for asker in rng.sample(askers, rng.randint(1, 2)):
                    world.helped(
                        quiet, asker, start + timedelta(hours=rng.randint(1, 160)), skills=("Python",)
                    )
                    counts[quiet] += 1
        # A need asked in private and a thanks given in a DM: counted, never quoted.
        private_need = world.store.create_need(
            Need(
                person_id=world.person("Asker01"),
                text=SECRET_NEED,
                skills=["Payroll"],
                platform="memory",
                conversation="dm-asker01",
                created_at=start + timedelta(hours=2),
            )
        )
        world.helped(
            "Quiet03",
            "Asker01",
            start + timedelta(hours=3),
            skills=("Payroll",),
            public=False,
            text=SECRET_DM,
            need=private_need.id,
        )
        counts["Quiet03"] += 1
        result, reply = world.post(MONDAY + timedelta(weeks=week))
        assert result is Result.POSTED and reply is not None
        assert SECRET_NEED not in _text(reply) and SECRET_DM not in _text(reply)
        assert "Payroll" not in _text(reply), "a skill of help given in private was named in public"
        ours.append(world.featured(reply))
        helpers_by_week.append(counts)

    board = [[name for name, _ in counts.most_common(3)] for counts in helpers_by_week]
    reached, board_reached = {n for week in ours for n in week}, {n for week in board for n in week}
    assert all(len(week) == 3 for week in ours)
    assert len(reached) >= 2 * len(board_reached), (sorted(reached), sorted(board_reached))
    print(f"distinct people featured in 12 weeks: {len(reached)} (top-3 board: {len(board_reached)})")
    assert shy not in reached, "someone who opted out was featured"
    for before, after, counts in zip(ours, ours[1:], helpers_by_week[1:], strict=False):
        waiting = [name for name in counts if name not in before and name != shy]
        again = set(before) & set(after)
        assert not again or all(name in after for name in waiting), (before, after, waiting)


def test_the_post_is_concrete_by_skill_counts_newcomers_and_names_no_more_than_allowed(world: World) -> None:
    since = MONDAY - timedelta(days=7)
    world.person("Newbie", days_ago=3)
    world.helped("Ana", "Newbie", since + timedelta(days=1), skills=("Terraform",))
    world.helped("Ana", "Bob", since + timedelta(days=2), skills=("Terraform", "Kubernetes"))
    world.helped("Ana", "Cyd", since + timedelta(days=3), skills=("Kubernetes",))
    world.helped("Dan", "Bob", since + timedelta(days=2), skills=("Python",))
    for name in ("Eve", "Fay"):
        world.helped(name, "Cyd", since + timedelta(days=4))
    world.helped("Old", "Bob", since - timedelta(days=2))  # before the week: not counted
    result, reply = world.post(MONDAY)
    assert result is Result.POSTED and reply is not None
    text = _text(reply)
    assert "@Ana helped 3 colleagues with Kubernetes and Terraform, one of them new here." in text
    assert "@Dan helped a colleague with Python." in text
    assert len(world.featured(reply)) == 3 and "Old" not in world.featured(reply)
    assert reply.title and "optout shoutouts" in _text(Reply(body=reply.note))
    assert "from Monday 30 November to Monday 7 December" in text
    with world.store.session() as session:
        outcomes = {world.names[p.person_id]: p.outcome for p in session.exec(select(ShoutoutPick)).all()}
    assert outcomes["Ana"] == PickOutcome.FEATURED and list(outcomes.values()).count(PickOutcome.NO_ROOM) == 1


def test_the_quiet_come_before_the_already_seen_and_nobody_twice_in_a_row_while_others_wait(
    database_url: str,
) -> None:
    world = make_world(database_url, max_people=1)
    since = MONDAY - timedelta(days=7)
    for n in range(30):  # Loud is thanked in public all the time: seen by everyone already
        world.helped("Loud", f"Fan{n}", since - timedelta(days=10 + n % 20))
    for name in ("Loud", "Quiet"):
        for asker in ("Bob", "Cyd"):
            world.helped(name, asker, since + timedelta(days=1))
    _, first = world.post(MONDAY)
    assert world.featured(first) == ["Quiet"], "the one already seen everywhere came first"
    for name in ("Loud", "Quiet"):
        world.helped(name, "Dee", MONDAY + timedelta(days=1))
    _, second = world.post(MONDAY + timedelta(weeks=1))
    assert world.featured(second) == ["Loud"], "Quiet was featured twice in a row while Loud waited"
    world.helped("Quiet", "Eli", MONDAY + timedelta(days=8))
    _, third = world.post(MONDAY + timedelta(weeks=2))
    assert world.featured(third) == ["Quiet"], "alone to have helped, Quiet may come back"
    world.store.close()


def test_one_post_per_channel_and_week_whoever_runs_it(world: World) -> None:
    world.helped("Ana", "Bob", MONDAY - timedelta(days=1))
    first, reply = world.post(MONDAY)
    again, nothing = world.post(MONDAY + timedelta(hours=2))
    assert (first, again, nothing) == (Result.POSTED, Result.ALREADY, None) and reply is not None
    with world.store.session() as session:
        rows = session.exec(select(Shoutout)).all()
        keys = session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).like("shoutout:%"))).all()
    assert [(r.week, r.status) for r in rows] == [("2026-W50", "posted")] and keys == [
        f"shoutout:{CHANNEL}:2026-W50"
    ]


async def test_two_schedulers_on_one_database_post_once_and_a_late_start_within_grace_still_posts(
    database_url: str,
) -> None:
    clock = MovableClock(MONDAY + timedelta(hours=11))  # the bot was down: back 11 h late, grace 12 h
    services = [make_services(database_url, clock.now, shoutouts={"channels": [CHANNEL]}) for _ in range(2)]
    world = World(services[0], clock)
    world.helped("Ana", "Bob", MONDAY - timedelta(days=1))
    schedulers: list[Scheduler] = []
    actions: list[Actions] = []
    for service in services:
        action = Actions(service)
        scheduler = Scheduler(service.store, clock)
        register(scheduler, action)
        schedulers.append(scheduler)
        actions.append(action)
    await asyncio.gather(*(s.tick() for s in schedulers))
    await asyncio.gather(*(s.tick() for s in schedulers))
    with services[0].store.session() as session:
        keys = session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).like("shoutout:%"))).all()
        week = session.exec(select(Shoutout)).one()
    assert keys == [f"shoutout:{CHANNEL}:2026-W50"] and week.until == MONDAY
    clock.set(MONDAY + timedelta(weeks=1, hours=13))  # down again, back beyond grace: no post
    world.helped("Ana", "Cyd", MONDAY + timedelta(days=3))
    reports = [await s.tick() for s in schedulers]
    assert [o.status for r in reports for o in r.outcomes] == ["skipped"]
    for action, service in zip(actions, services, strict=True):
        action.close()
        service.store.close()
