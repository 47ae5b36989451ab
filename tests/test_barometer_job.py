"""The weekly barometer in the managers' channel: posted once a week whoever runs it (two
schedulers on one database, a re-run of the same week), late within grace, never beyond."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.barometer.jobs import post_barometer, register
from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.jobs import MovableClock, Scheduler
from skills_db.storage.models import JobRun, OutboxMessage
from tests.barometer_world import build
from tests.support import MemoryAdapter, make_services

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # [barometer] day and time: monday 09:00 UTC
CHANNEL = "memory:managers"


async def test_posted_once_a_week_whoever_runs_it_and_late_only_within_grace(database_url: str) -> None:
    clock = MovableClock(MONDAY + timedelta(hours=3))  # the bot was down at 09:00: back 3 h late
    settings = {"channel": CHANNEL, "weeks": 2, "grace_hours": 12}
    services = [make_services(database_url, clock.now, barometer=settings) for _ in range(2)]
    build(services[0].store)
    adapters = [MemoryAdapter(), MemoryAdapter()]
    schedulers, actions = [], []
    for service, adapter in zip(services, adapters, strict=True):
        action = Actions(service)
        action.attach(adapter)
        scheduler = Scheduler(service.store, clock)
        register(scheduler, action)
        schedulers.append(scheduler)
        actions.append(action)

    def keys() -> list[str]:
        with services[0].store.session() as session:
            query = select(OutboxMessage.key).where(col(OutboxMessage.key).like("barometer:%"))
            return sorted(session.exec(query).all())

    await asyncio.gather(*(s.tick() for s in schedulers))
    await asyncio.gather(*(s.tick() for s in schedulers))
    assert keys() == [f"barometer:{CHANNEL}:2026-W50"]
    (post,) = [reply for adapter in adapters for reply in adapter.sent]
    assert post.conversation == "managers" and post.to is None
    assert post.plain.startswith("Barometer of the 2 weeks from 23 November 2026 to 6 December 2026")
    assert "Needs posted: 14;" in post.plain

    # The same week's job run again (a takeover after a crash that lost the ledger's "done"):
    # the post's key is taken, nothing more is written.
    def again() -> list[Outgoing]:
        ctx = Context(services[1], "memory")
        post_barometer(ctx, CHANNEL, MONDAY, "2026-W50")
        return ctx.outgoing

    assert actions[1].unit(again, "test:again") == []
    assert keys() == [f"barometer:{CHANNEL}:2026-W50"]

    clock.set(MONDAY + timedelta(weeks=1, hours=13))  # next week, back beyond grace: skipped
    reports = [await s.tick() for s in schedulers]
    assert [o.status for r in reports for o in r.outcomes if o.name.startswith("barometer")] == ["skipped"]
    clock.set(MONDAY + timedelta(weeks=2))  # the week after, on time: posted, 4 weeks later
    await asyncio.gather(*(s.tick() for s in schedulers))
    assert keys() == [f"barometer:{CHANNEL}:2026-W50", f"barometer:{CHANNEL}:2026-W52"]
    # Either instance may have posted either week: the post is found by its key, not its order.
    (latest,) = [r for a in adapters for r in a.sent if r.key == f"barometer:{CHANNEL}:2026-W52"]
    assert "from 7 December 2026 to 20 December 2026" in latest.plain
    with services[0].store.session() as session:
        runs = session.exec(select(JobRun.period, JobRun.status).where(JobRun.job == f"barometer:{CHANNEL}"))
        assert sorted(runs.all()) == [("2026-W50", "done"), ("2026-W51", "skipped"), ("2026-W52", "done")]
    for action, service in zip(actions, services, strict=True):
        action.close()
        service.store.close()


async def test_no_channel_no_job(database_url: str) -> None:
    services = make_services(database_url, MovableClock(MONDAY).now)
    scheduler = Scheduler(services.store, MovableClock(MONDAY))
    action = Actions(services)
    register(scheduler, action)
    assert [o for o in (await scheduler.tick()).outcomes if o.name.startswith("barometer")] == []
    action.close()
    services.store.close()
