"""Recurring jobs and delayed tasks run once each, on SQLite and PostgreSQL, with a moved clock.

Time only moves through the injected MovableClock; where a test waits for the live ticker it
waits on an event or a row, with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.jobs import Daily, Every, JobContext, JobSpec, MovableClock, Scheduler
from skills_db.storage.models import DelayedTask
from skills_db.storage.store import Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
LEASE = timedelta(minutes=5)
DEADLINE = 30.0  # seconds: generous, for a loaded machine


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(frozen_at=T0)


class Recorder:
    """A job and a task handler that note what they were called for."""

    def __init__(self) -> None:
        self.runs: list[JobContext] = []
        self.tasks: list[DelayedTask] = []
        self.order: list[str] = []

    async def job(self, context: JobContext) -> None:
        await asyncio.sleep(0)  # let the other scheduler of a race go on meanwhile
        self.runs.append(context)
        self.order.append(f"job {context.job} {context.period}")

    async def task(self, task: DelayedTask) -> None:
        self.tasks.append(task)
        self.order.append(f"task {task.key}")


def daily(recorder: Recorder, grace: timedelta = timedelta(hours=2), name: str = "digest") -> JobSpec:
    return JobSpec(name, Daily(time(9, 0)), grace, recorder.job)


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


# -- the ledger ----------------------------------------------------------------------------------


def test_a_period_is_claimed_once(store: Store) -> None:
    assert store.claim_run("digest", "2026-12-01", "a", T0, LEASE)
    assert not store.claim_run("digest", "2026-12-01", "a", T0, LEASE)
    assert not store.claim_run("digest", "2026-12-01", "b", T0 + timedelta(minutes=1), LEASE)
    assert store.claim_run("digest", "2026-12-02", "b", T0, LEASE)  # another period
    assert store.claim_run("other", "2026-12-01", "b", T0, LEASE)  # another job
    assert not store.finish_run("digest", "2026-12-01", "b", "done")  # not b's run
    assert store.finish_run("digest", "2026-12-01", "a", "done", at=T0)
    assert not store.claim_run("digest", "2026-12-01", "b", T0 + timedelta(days=1), LEASE)  # done is done
    state = store.run_state("digest", "2026-12-01")
    assert state is not None and state.finished and state.status == "done" and state.attempts == 1


def test_claims_refuse_to_hide_in_a_unit_of_work(store: Store) -> None:
    with store.unit_of_work(), pytest.raises(RuntimeError, match="outside a unit of work"):
        store.claim_run("digest", "2026-12-01", "a", T0, LEASE)
    with store.unit_of_work(), pytest.raises(RuntimeError, match="outside a unit of work"):
        store.claim_due_tasks(T0, "a", LEASE, 10)


def test_a_task_taken_over_still_waits_for_its_due_time(store: Store) -> None:
    """A script resumed after a crash replays its clock from the start: a task its killed
    predecessor took at a later time is taken over only once that time comes again."""
    due = T0 + timedelta(hours=3)
    store.schedule_task("expire", "expire:later", due, {}, now=T0)
    assert [t.key for t in store.claim_due_tasks(due + timedelta(hours=17), "dead", LEASE, 1)] == [
        "expire:later"
    ]
    store.release_leases(T0)  # the replaying console takes over what the dead one held
    assert store.claim_due_tasks(T0, "b", LEASE, 1) == []  # not before it is due
    assert [t.key for t in store.claim_due_tasks(due, "b", LEASE, 1)] == ["expire:later"]


def test_an_expired_lease_is_taken_over_once(store: Store) -> None:
    assert store.claim_run("digest", "2026-12-01", "dead", T0, LEASE)  # then its process died
    assert not store.claim_run("digest", "2026-12-01", "b", T0 + LEASE, LEASE)  # lease not yet past
    later = T0 + LEASE + timedelta(seconds=1)
    assert store.claim_run("digest", "2026-12-01", "b", later, LEASE)
    assert not store.claim_run("digest", "2026-12-01", "c", later, LEASE)
    assert not store.finish_run("digest", "2026-12-01", "dead", "done")  # the old owner lost it
    assert store.finish_run("digest", "2026-12-01", "b", "done")
    run = store.job_run("digest", "2026-12-01")
    assert run is not None and (run.owner, run.attempts, run.status) == ("b", 2, "done")


# -- the scheduler: once per period ------------------------------------------------------------


async def test_two_schedulers_ticking_together_run_each_period_once(database_url: str) -> None:
    stores = [Store.open(database_url), Store.open(database_url)]
    clock = MovableClock(frozen_at=T0)
    recorder = Recorder()
    schedulers = [Scheduler(s, clock, owner=f"p{i}") for i, s in enumerate(stores)]
    for scheduler in schedulers:
        scheduler.add_job(JobSpec("sweep", Every(timedelta(minutes=1)), timedelta(minutes=1), recorder.job))
        scheduler.on_task("remind", recorder.task)
    for i in range(30):
        stores[0].schedule_task("remind", f"remind:{i}", T0 + timedelta(seconds=20 * i))
    try:
        for _ in range(12):
            await asyncio.gather(*(s.tick() for s in schedulers))
            clock.advance(timedelta(minutes=1))
    finally:
        for s in stores:
            s.close()
    periods = [run.period for run in recorder.runs]
    assert periods == sorted(set(periods)) and len(periods) == 12
    assert sorted(t.key for t in recorder.tasks) == sorted(f"remind:{i}" for i in range(30))


def test_two_claimers_never_take_the_same_task(database_url: str) -> None:
    stores = [Store.open(database_url), Store.open(database_url)]
    for i in range(60):
        stores[0].schedule_task("remind", f"remind:{i}", T0 - timedelta(minutes=60 - i))

    def claim_all(index: int) -> list[int]:
        taken: list[int] = []
        while batch := stores[index].claim_due_tasks(T0, f"p{index}", LEASE, 7):
            taken += [t.id for t in batch if t.id is not None]
        return taken

    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(claim_all, [0, 1])
    finally:
        for s in stores:
            s.close()
    assert not set(first) & set(second)
    assert len(first) + len(second) == 60


async def test_a_run_whose_process_died_reruns_once_after_lease(store: Store, clock: MovableClock) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock, owner="b", lease=LEASE)
    scheduler.add_job(daily(recorder))
    clock.advance(timedelta(minutes=1))
    assert store.claim_run("digest", "2026-12-01", "dead", clock.now(), LEASE)  # died during the run
    await scheduler.tick()
    assert recorder.runs == []  # its lease still holds
    clock.advance(LEASE + timedelta(seconds=1))
    await scheduler.tick()
    await scheduler.tick()
    assert [r.period for r in recorder.runs] == ["2026-12-01"]
    run = store.job_run("digest", "2026-12-01")
    assert run is not None and (run.owner, run.attempts, run.status) == ("b", 2, "done")


async def test_a_long_run_keeps_its_lease_while_alive(database_url: str, clock: MovableClock) -> None:
    stores = [Store.open(database_url), Store.open(database_url)]
    started, release = asyncio.Event(), asyncio.Event()
    recorder = Recorder()

    async def slow(context: JobContext) -> None:
        started.set()
        await release.wait()
        await recorder.job(context)

    busy = Scheduler(stores[0], clock, owner="busy", lease=LEASE, heartbeat=0.01)
    busy.add_job(JobSpec("digest", Daily(time(9, 0)), timedelta(hours=2), slow))
    other = Scheduler(stores[1], clock, owner="other", lease=LEASE)
    other.add_job(daily(recorder))
    try:
        running = asyncio.create_task(busy.tick())
        await asyncio.wait_for(started.wait(), DEADLINE)
        clock.advance(LEASE * 3)  # far past the first lease: only the renewals keep it

        def renewed() -> bool:
            state = stores[1].run_state("digest", "2026-12-01")
            return state is not None and state.lease_until is not None and state.lease_until > clock.now()

        await wait_until(renewed, "the lease to be renewed")
        await other.tick()
        assert recorder.runs == []
        release.set()
        await running
        await other.tick()
    finally:
        for s in stores:
            s.close()
    assert [r.period for r in recorder.runs] == ["2026-12-01"]


# -- the scheduler: grace ------------------------------------------------------------------------


async def test_a_run_missed_while_down_runs_once_within_grace(store: Store, clock: MovableClock) -> None:
    recorder = Recorder()
    clock.set(T0 + timedelta(hours=1, minutes=30))  # back 1 h 30 after 09:00; grace is 2 h
    for _ in range(3):
        scheduler = Scheduler(store, clock)  # a restart each time
        scheduler.add_job(daily(recorder))
        await scheduler.tick()
        await scheduler.tick()
        clock.advance(timedelta(minutes=10))
    assert [(r.period, r.scheduled_at, r.started_at) for r in recorder.runs] == [
        ("2026-12-01", T0, T0 + timedelta(hours=1, minutes=30))
    ]


async def test_many_periods_missed_run_once_not_once_per_tick(store: Store, clock: MovableClock) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock)
    scheduler.add_job(JobSpec("sweep", Every(timedelta(minutes=5)), timedelta(hours=1), recorder.job))
    await scheduler.tick()
    clock.advance(timedelta(minutes=42))  # down for eight periods
    await scheduler.tick()
    await scheduler.tick()
    assert [r.period for r in recorder.runs] == ["2026-12-01T09:00", "2026-12-01T09:40"]


async def test_a_run_missed_beyond_grace_is_skipped_and_logged_once(
    store: Store, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="entraide.jobs")
    recorder = Recorder()
    clock.set(T0 + timedelta(hours=3))  # 09:00 + 3 h; grace is 2 h
    for _ in range(2):
        scheduler = Scheduler(store, clock)  # a restart (or a second process) logs nothing more
        scheduler.add_job(daily(recorder))
        for _ in range(3):
            report = await scheduler.tick()
        clock.advance(timedelta(minutes=5))
    assert recorder.runs == [] and report.outcomes == []
    run = store.job_run("digest", "2026-12-01")
    assert run is not None and run.status == "skipped" and "grace" in run.detail
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1
    # A job that never ran (just installed) was not missed: it says so, without a warning.
    assert skipped[0].levelno == logging.INFO and "a new job" in skipped[0].getMessage()
    clock.set(T0 + timedelta(days=1, minutes=10))  # the next day runs as usual
    await scheduler.tick()
    assert [r.period for r in recorder.runs] == ["2026-12-02"]
    clock.set(T0 + timedelta(days=2, hours=3))  # down again past grace: now it was missed
    await scheduler.tick()
    missed = [r for r in caplog.records if "skipped period 2026-12-03" in r.getMessage()]
    assert [r.levelno for r in missed] == [logging.WARNING] and "was down" in missed[0].getMessage()


async def test_a_failing_run_is_recorded_and_the_scheduler_goes_on(
    store: Store, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()

    async def broken(context: JobContext) -> None:
        raise RuntimeError("boom")

    async def broken_task(task: DelayedTask) -> None:
        raise LookupError("no such ask")

    scheduler = Scheduler(store, clock)
    scheduler.add_job(JobSpec("broken", Daily(time(9, 0)), timedelta(hours=2), broken))
    scheduler.add_job(daily(recorder))
    scheduler.on_task("expire", broken_task)
    store.schedule_task("expire", "expire:1", T0)
    report = await scheduler.tick()
    assert {(o.name, o.status) for o in report.outcomes} == {
        ("broken", "failed"),
        ("digest", "done"),
        ("expire", "failed"),
    }
    run = store.job_run("broken", "2026-12-01")
    assert run is not None and run.status == "failed" and run.detail == "RuntimeError: boom"
    task = store.get_task("expire:1")
    assert task is not None and task.status == "failed"
    # At ERROR the exception's type and frames (its message may quote texts), in full at DEBUG.
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "broken" in r.getMessage()]
    assert [getattr(r, "error", None) for r in errors] == ["RuntimeError"] and not errors[0].exc_info
    assert "test_jobs.py" in getattr(errors[0], "trace", "")
    assert (await scheduler.tick()).outcomes == []  # a failed period is not retried
    clock.advance(timedelta(days=1))
    assert {o.name for o in (await scheduler.tick()).runs} == {"broken", "digest"}


# -- delayed tasks ---------------------------------------------------------------------------------


async def test_a_delayed_task_survives_a_restart(database_url: str, clock: MovableClock) -> None:
    first = Store.open(database_url)
    with first.unit_of_work():
        assert first.schedule_task("remind", "remind:alice:1", T0 + timedelta(hours=1), {"who": "alice"})
        assert not first.schedule_task("remind", "remind:alice:1", T0 + timedelta(hours=2), {"who": "bob"})
    with pytest.raises(ZeroDivisionError), first.unit_of_work():
        first.schedule_task("remind", "remind:rolled-back", T0)
        _ = 1 / 0
    first.close()

    second = Store.open(database_url)  # the bot restarted
    try:
        recorder = Recorder()
        scheduler = Scheduler(second, clock)
        scheduler.on_task("remind", recorder.task)
        await scheduler.tick()
        assert recorder.tasks == []
        clock.advance(timedelta(hours=1))
        await scheduler.tick()
        await scheduler.tick()
        assert [(t.key, t.payload) for t in recorder.tasks] == [("remind:alice:1", {"who": "alice"})]
        assert second.get_task("remind:rolled-back") is None
        done = second.get_task("remind:alice:1")
        assert done is not None and done.status == "done" and done.attempts == 1
    finally:
        second.close()


async def test_a_cancelled_task_does_not_run(store: Store, clock: MovableClock) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock)
    scheduler.on_task("expire", recorder.task)
    store.schedule_task("expire", "expire:7", T0)
    assert store.cancel_task("expire:7")
    assert not store.cancel_task("expire:7")
    await scheduler.tick()
    assert recorder.tasks == []


async def test_a_task_that_keeps_killing_its_process_is_given_up(
    store: Store, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock, max_task_attempts=3)
    scheduler.on_task("expire", recorder.task)
    store.schedule_task("expire", "expire:poison", T0)
    for _ in range(3):  # three processes take the poison task and die
        assert [t.key for t in store.claim_due_tasks(clock.now(), "dead", LEASE, 1)] == ["expire:poison"]
        clock.advance(LEASE + timedelta(seconds=1))
    store.schedule_task("expire", "expire:once-dead", T0 - timedelta(minutes=1))
    assert [t.key for t in store.claim_due_tasks(clock.now(), "dead", LEASE, 1)] == ["expire:once-dead"]
    clock.advance(LEASE + timedelta(seconds=1))
    await scheduler.tick()
    assert [t.key for t in recorder.tasks] == ["expire:once-dead"]  # taken over after the lease
    poison = store.get_task("expire:poison")
    assert poison is not None and poison.status == "failed"
    assert any("given up" in r.getMessage() for r in caplog.records)


# -- /time: run_due after the clock moved --------------------------------------------------------


async def test_run_due_after_moving_the_clock_runs_in_time_order(store: Store, clock: MovableClock) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock)
    scheduler.add_job(daily(recorder))

    async def follow_up(task: DelayedTask) -> None:
        await recorder.task(task)
        if task.key == "remind:b":  # a handler scheduling more, due before the new time
            store.schedule_task("remind", "remind:b:again", task.due_at + timedelta(hours=1))

    scheduler.on_task("remind", follow_up)
    clock.set(T0 + timedelta(hours=1))  # Tuesday 10:00
    await scheduler.tick()
    for key, due in [
        ("remind:d", datetime(2026, 12, 4, 9, 30, tzinfo=UTC)),  # after Friday's 09:00 run
        ("remind:a", datetime(2026, 12, 1, 11, 0, tzinfo=UTC)),
        ("remind:c", datetime(2026, 12, 3, 8, 0, tzinfo=UTC)),
        ("remind:b", datetime(2026, 12, 2, 12, 0, tzinfo=UTC)),
        ("remind:later", datetime(2026, 12, 4, 10, 1, tzinfo=UTC)),
    ]:
        store.schedule_task("remind", key, due)
    with pytest.raises(ValueError, match="move the clock first"):
        await scheduler.run_due(clock.now() + timedelta(days=3))
    clock.advance(timedelta(days=3))  # /time +3d: Friday 10:00
    report = await scheduler.run_due()
    assert recorder.order == [
        "job digest 2026-12-01",
        "task remind:a",
        "task remind:b",
        "task remind:b:again",
        "task remind:c",
        "job digest 2026-12-04",  # Wednesday's and Thursday's are past grace: only the last runs
        "task remind:d",
    ]
    assert [o.key for o in report.outcomes][-2:] == ["2026-12-04", "remind:d"]
    assert store.job_run("digest", "2026-12-02") is None
    assert (await scheduler.run_due()).outcomes == []


async def test_run_due_records_the_last_period_skipped_when_beyond_grace(
    store: Store, clock: MovableClock
) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock)
    scheduler.add_job(daily(recorder, grace=timedelta(minutes=30)))
    clock.advance(timedelta(days=3, hours=1))  # Friday 10:00, 09:00 + 1 h > 30 min of grace
    report = await scheduler.run_due()
    assert recorder.runs == [] and [(o.key, o.status) for o in report.outcomes] == [("2026-12-04", "skipped")]


# -- the live ticker ---------------------------------------------------------------------------


async def test_the_live_ticker_runs_due_work_and_stop_waits_for_it(store: Store, clock: MovableClock) -> None:
    started, release, reminded = asyncio.Event(), asyncio.Event(), asyncio.Event()
    recorder = Recorder()

    async def slow(context: JobContext) -> None:
        started.set()
        await release.wait()
        await recorder.job(context)

    async def remind(task: DelayedTask) -> None:
        await recorder.task(task)
        reminded.set()

    scheduler = Scheduler(store, clock, interval=0.02)
    scheduler.add_job(JobSpec("digest", Daily(time(9, 0)), timedelta(hours=2), slow))
    scheduler.on_task("remind", remind)
    scheduler.start()
    with pytest.raises(RuntimeError):
        scheduler.start()
    await asyncio.wait_for(started.wait(), DEADLINE)
    # The slow run does not hold up the delayed tasks, nor the event loop.
    store.schedule_task("remind", "remind:1", clock.now())
    scheduler.wake()
    await asyncio.wait_for(reminded.wait(), DEADLINE)
    stopping = asyncio.create_task(scheduler.stop())
    done, _ = await asyncio.wait({stopping}, timeout=0.2)
    assert not done  # stop waits for the run in flight
    release.set()
    await asyncio.wait_for(stopping, DEADLINE)
    assert [r.period for r in recorder.runs] == ["2026-12-01"]
    run = store.job_run("digest", "2026-12-01")
    assert run is not None and run.status == "done"


async def test_finished_tasks_and_old_runs_are_pruned_but_pending_tasks_stay(
    store: Store, clock: MovableClock
) -> None:
    recorder = Recorder()
    scheduler = Scheduler(store, clock)
    scheduler.on_task("expire", recorder.task)
    scheduler.add_job(daily(recorder))
    store.schedule_task("expire", "expire:1", T0)
    store.schedule_task("expire", "expire:2", T0 + timedelta(days=60))
    clock.set(T0 + timedelta(days=1))
    await scheduler.run_due()
    assert [t.key for t in recorder.tasks] == ["expire:1"] and len(recorder.runs) == 1
    assert store.prune_jobs(T0) == 0  # nothing finished that long ago
    assert store.prune_jobs(T0 + timedelta(days=2)) == 2  # the task done and the day's run
    # The pending task is still due, and runs when its time comes.
    clock.set(T0 + timedelta(days=61))
    await scheduler.run_due()
    assert [t.key for t in recorder.tasks] == ["expire:1", "expire:2"]
