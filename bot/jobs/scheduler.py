"""The ticker that runs recurring jobs and delayed tasks once each, whatever the number of processes.

The scheduler holds no truth of its own: at each tick it asks the ledger (``JobRun``) and the
task queue (``DelayedTask``) what is due, and the database decides who runs it (see
:mod:`skills_db.storage.jobs`). Any number of processes may tick the same database, and a
process restarted after a crash picks up where the ledger says.

Rules, all reading the injected clock:

* a job runs for the latest occurrence of its schedule at or before now, if now is within the
  job's ``grace`` of it; runs missed while the bot was down are not replayed one by one;
* an occurrence beyond grace that never ran is recorded ``skipped``, logged once;
* a run (or task) holds a lease, renewed while it runs; if its process dies, another one takes
  it over after the lease (a job only within grace); what raises is recorded ``failed`` and a
  job's period is not retried;
* delayed tasks due at or before now are taken earliest first, a few at a time.

What is once is the claim. A process killed after its run's effects committed but before the
ledger says ``done`` is taken over after its lease, so a run should key what it writes by its
period (an outbox key such as ``digest:2026-W49:alice``), making the takeover a no-op.

Store calls run in worker threads (``asyncio.to_thread``) so the event loop never waits on the
database. APScheduler is not used: its job stores are not safe to share between processes (its
FAQ says so), and a loop of a few lines reads the injected clock where its scheduler would read
the system's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from bot.jobs.clock import Clock, SystemClock
from bot.jobs.schedules import Occurrence, Schedule
from bot.jobs.spec import JobContext, JobFunction, JobSpec, Outcome, TaskHandler, TickReport
from bot.logs import log_failure
from skills_db.storage.jobs import JobQueries, RunState
from skills_db.storage.models import DelayedTask

log = logging.getLogger("entraide.jobs")

P = ParamSpec("P")
R = TypeVar("R")


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


class Scheduler:
    def __init__(
        self,
        store: JobQueries,
        clock: Clock | None = None,
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        interval: float = 5.0,
        heartbeat: float | None = None,
        task_batch: int = 8,
        max_task_attempts: int = 5,
        max_run_due_steps: int = 10_000,
    ) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        # Who holds a lease: distinct per process and per scheduler, readable in the ledger.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease = lease
        self.interval = interval
        # Renewals are in real seconds (they prove this process is alive), leases in clock time.
        self.heartbeat = heartbeat if heartbeat is not None else min(60.0, lease.total_seconds() / 3)
        self.task_batch = task_batch
        self.max_task_attempts = max_task_attempts
        self.max_run_due_steps = max_run_due_steps
        self.ticks = 0  # ticks completed, for whoever watches the live ticker
        self._jobs: dict[str, JobSpec] = {}
        self._handlers: dict[str, TaskHandler] = {}
        # job -> period known finished in the ledger: no more reads until the next period.
        self._settled: dict[str, str] = {}
        self._busy_jobs: set[str] = set()  # a job never overlaps itself in one process
        self._busy_tasks: set[int] = set()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()  # ticks and run_due of one scheduler never interleave
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    # -- registration --------------------------------------------------------------------------

    def add_job(self, spec: JobSpec) -> JobSpec:
        if spec.name in self._jobs:
            raise ValueError(f"a job named {spec.name!r} is already registered")
        self._jobs[spec.name] = spec
        return spec

    def job(self, name: str, schedule: Schedule, grace: timedelta) -> Callable[[JobFunction], JobFunction]:
        """Decorator form of :meth:`add_job`."""

        def register(run: JobFunction) -> JobFunction:
            self.add_job(JobSpec(name, schedule, grace, run))
            return run

        return register

    def on_task(self, kind: str, handler: TaskHandler) -> None:
        """Run ``handler`` for delayed tasks of this kind; tasks of other kinds are left to others."""
        if kind in self._handlers:
            raise ValueError(f"delayed tasks of kind {kind!r} already have a handler")
        self._handlers[kind] = handler

    @property
    def jobs(self) -> list[JobSpec]:
        return list(self._jobs.values())

    # -- one pass ------------------------------------------------------------------------------

    async def tick(self, *, wait: bool = True) -> TickReport:
        """Start what is due now; with ``wait`` (tests, the console), return once it finished."""
        report = TickReport()
        async with self._lock:
            now = self.clock.now()
            started: list[asyncio.Task[None]] = []
            for spec in list(self._jobs.values()):
                try:
                    run = await self._consider(spec, spec.schedule.latest(now), now, report)
                except Exception:
                    log.exception("could not check job %s", spec.name, extra={"job": spec.name})
                    continue
                if run is not None:
                    started.append(run)
            room = self.task_batch - len(self._busy_tasks)
            try:
                started += await self._take_tasks(now, room, report)
            except Exception:
                log.exception("could not take delayed tasks")
            if wait and started:
                await asyncio.wait(started)
        self.ticks += 1
        return report

    async def run_due(self, until: datetime | None = None) -> TickReport:
        """After the clock moved (the console's ``/time``), run what became due, in time order.

        It does what a live scheduler coming back at ``until`` (default: now) after being down
        since the last tick would do: each job runs once, for its latest occurrence, if that is
        within grace of ``until`` (older occurrences are neither run nor recorded; the latest
        one beyond grace is recorded skipped); every delayed task due by ``until`` runs, one at
        a time in due order, including those the handlers schedule on the way. Job runs and
        tasks are interleaved by their due times. Handlers see the clock at ``until``; the
        time they were due is ``JobContext.scheduled_at`` and ``DelayedTask.due_at``.
        """
        now = self.clock.now()
        until = now if until is None else until
        if until > now:
            raise ValueError("run_due runs what is due by the clock's time: move the clock first")
        report = TickReport()
        async with self._lock:
            jobs = sorted(
                ((spec.schedule.latest(until), spec) for spec in self._jobs.values()),
                key=lambda pair: pair[0].scheduled_at,
            )
            kinds = list(self._handlers)
            for _ in range(self.max_run_due_steps):
                next_task = await self._db(self.store.next_task_due, until, kinds) if kinds else None
                if jobs and (next_task is None or jobs[0][0].scheduled_at <= next_task):
                    occurrence, spec = jobs.pop(0)
                    try:
                        run = await self._consider(spec, occurrence, until, report)
                    except Exception:
                        log.exception("could not check job %s", spec.name, extra={"job": spec.name})
                        continue
                    if run is not None:
                        await run
                elif next_task is not None:
                    # Possibly taken by another process meanwhile: then the loop looks again.
                    for run in await self._take_tasks(until, 1, report):
                        await run
                else:
                    break
            else:
                log.warning("run_due stopped after %d steps: tasks keep adding more", self.max_run_due_steps)
        self.ticks += 1
        return report

    # -- live ticker ---------------------------------------------------------------------------

    def start(self, interval: float | None = None) -> None:
        """Tick every ``interval`` seconds (default: the constructor's) until :meth:`stop`."""
        if self._ticker is not None:
            raise RuntimeError("the scheduler is already started")
        self._stopping.clear()
        every = self.interval if interval is None else interval
        self._ticker = asyncio.get_running_loop().create_task(self._tick_forever(every), name="scheduler")

    def wake(self) -> None:
        """Tick now rather than at the end of the interval (e.g. a task was just scheduled)."""
        self._wake.set()

    async def stop(self, timeout: float | None = None) -> None:
        """Stop ticking and wait for the runs in flight; after ``timeout`` seconds, cancel them.

        A cancelled run stays ``running`` in the ledger: another process takes it over once its
        lease runs out, within grace.
        """
        if self._ticker is not None:
            self._stopping.set()
            self._wake.set()
            try:
                await self._ticker
            finally:
                self._ticker = None
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=timeout)
            for run in pending:
                run.cancel()
            if pending:
                await asyncio.wait(pending)

    async def _tick_forever(self, interval: float) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick(wait=False)
            except Exception:  # tick catches what it knows; nothing may end the loop
                log.exception("scheduler tick failed")
            if self.ticks == 1:  # once per start: what is due now has been claimed, here or elsewhere
                log.info("scheduler running", extra={"jobs": sorted(self._jobs), "owner": self.owner})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()

    # -- jobs ----------------------------------------------------------------------------------

    async def _consider(
        self, spec: JobSpec, occurrence: Occurrence, now: datetime, report: TickReport
    ) -> asyncio.Task[None] | None:
        """Claim and start this occurrence if it is due and ours; record it skipped if too late."""
        if spec.name in self._busy_jobs or self._settled.get(spec.name) == occurrence.key:
            return None
        state = await self._db(self.store.run_state, spec.name, occurrence.key)
        if state is not None and state.finished:
            self._settled[spec.name] = occurrence.key
            return None
        late = now - occurrence.scheduled_at
        if late > spec.grace:
            await self._too_late(spec, occurrence, state, now, late, report)
            return None
        if state is not None and not state.lease_expired(now):
            return None  # running in another process, which is alive
        if not await self._db(self.store.claim_run, spec.name, occurrence.key, self.owner, now, self.lease):
            return None
        context = JobContext(spec.name, occurrence.key, occurrence.period_start, occurrence.scheduled_at, now)
        self._busy_jobs.add(spec.name)
        return self._launch(self._run_job(spec, context, report))

    async def _too_late(
        self,
        spec: JobSpec,
        occurrence: Occurrence,
        state: RunState | None,
        now: datetime,
        late: timedelta,
        report: TickReport,
    ) -> None:
        extra = {"job": spec.name, "period": occurrence.key}
        due = occurrence.scheduled_at
        if state is None:
            detail = f"due at {occurrence.scheduled_at.isoformat()}, {late} late; grace {spec.grace}"
            # Only the process whose insert wins logs it: one line, whatever the ticks and processes.
            ran_before = bool(await self._db(self.store.job_runs, spec.name, 1))
            if await self._db(self.store.record_skipped, spec.name, occurrence.key, now, detail):
                # A job seen for the first time (a new install, a channel just configured) was
                # not missed: it starts with its next period. Only a job that ran before warns.
                log.log(
                    logging.WARNING if ran_before else logging.INFO,
                    "job %s skipped period %s: %s (%s)",
                    spec.name,
                    occurrence.key,
                    detail,
                    "the bot was down or busy" if ran_before else "a new job: it starts with its next period",
                    extra=extra,
                )
                report.outcomes.append(Outcome("job", spec.name, occurrence.key, "skipped", due))
                self._settled[spec.name] = occurrence.key
        elif state.lease_expired(now):
            detail = f"its process stopped during the run (lease until {state.lease_until}); too late now"
            if await self._db(self.store.abandon_run, spec.name, occurrence.key, now, detail):
                log.warning("job %s period %s: %s", spec.name, occurrence.key, detail, extra=extra)
                report.outcomes.append(Outcome("job", spec.name, occurrence.key, "failed", due))
                self._settled[spec.name] = occurrence.key

    async def _run_job(self, spec: JobSpec, context: JobContext, report: TickReport) -> None:
        extra = {"job": spec.name, "period": context.period}
        try:
            status, detail = "done", ""

            def renew() -> bool:
                return self.store.renew_run(
                    spec.name, context.period, self.owner, self.clock.now(), self.lease
                )

            try:
                await self._beating(spec.run(context), renew, f"job {spec.name} period {context.period}")
            except Exception as error:
                log_failure(log, f"job {spec.name} failed for period {context.period}", error, extra)
                status, detail = "failed", _describe(error)
            finish = self.store.finish_run
            now = self.clock.now()
            recorded = await self._db(finish, spec.name, context.period, self.owner, status, detail, at=now)
            if recorded:
                self._settled[spec.name] = context.period
            else:
                log.warning(
                    "job %s period %s finished after losing its lease; another process may run it too",
                    spec.name,
                    context.period,
                    extra=extra,
                )
            report.outcomes.append(Outcome("job", spec.name, context.period, status, context.scheduled_at))
        except Exception:
            # The ledger could not be written (database away): the lease runs out and, within
            # grace, the period runs again somewhere.
            log.exception("could not record job %s period %s", spec.name, context.period, extra=extra)
        finally:
            self._busy_jobs.discard(spec.name)

    # -- delayed tasks -------------------------------------------------------------------------

    def _claim_tasks(self, now: datetime, limit: int) -> tuple[list[DelayedTask], list[DelayedTask]]:
        """In a worker thread: fail the tasks that keep killing their process, then take some."""
        given_up = self.store.give_up_tasks(now, self.max_task_attempts)
        kinds = list(self._handlers)
        return given_up, self.store.claim_due_tasks(now, self.owner, self.lease, limit, kinds=kinds)

    async def _take_tasks(self, now: datetime, limit: int, report: TickReport) -> list[asyncio.Task[None]]:
        if not self._handlers or limit <= 0:
            return []
        given_up, claimed = await self._db(self._claim_tasks, now, limit)
        for task in given_up:
            log.error(
                "delayed task %s (%s) given up: %d processes stopped while running it",
                task.key,
                task.kind,
                task.attempts,
                extra={"task_id": task.id, "kind": task.kind},
            )
            report.outcomes.append(Outcome("task", task.kind, task.key, "failed", task.due_at))
        return [self._launch(self._run_task(task, report)) for task in claimed]

    async def _run_task(self, task: DelayedTask, report: TickReport) -> None:
        assert task.id is not None
        task_id = task.id
        extra = {"task_id": task_id, "kind": task.kind, "key": task.key}
        self._busy_tasks.add(task_id)
        try:
            status = "done"
            try:
                await self._beating(
                    self._handlers[task.kind](task),
                    lambda: self.store.renew_task(task_id, self.owner, self.clock.now(), self.lease),
                    f"delayed task {task.key}",
                )
            except Exception as error:
                log_failure(log, f"delayed task {task.key} ({task.kind}) failed", error, extra)
                status = "failed"
            if not await self._db(self.store.finish_task, task_id, self.owner, status, at=self.clock.now()):
                # A handler may finish its task in its own unit of work, with its effects.
                finished = await self._db(self.store.get_task, task.key)
                if status != "done" or finished is None or finished.status != "done":
                    log.warning("delayed task %s finished after losing its lease", task.key, extra=extra)
            report.outcomes.append(Outcome("task", task.kind, task.key, status, task.due_at))
        except Exception:
            log.exception("could not record delayed task %s", task.key, extra=extra)
        finally:
            self._busy_tasks.discard(task_id)

    # -- helpers -------------------------------------------------------------------------------

    def _launch(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        run = asyncio.get_running_loop().create_task(work)
        self._in_flight.add(run)
        run.add_done_callback(self._in_flight.discard)
        return run

    async def _beating(self, work: Awaitable[None], renew: Callable[[], bool], label: str) -> None:
        """Await ``work``, renewing its lease every ``heartbeat`` seconds while it runs."""
        running = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({running}, timeout=self.heartbeat)
                if done:
                    running.result()  # re-raises the work's error
                    return
                try:
                    if not await self._db(renew):
                        log.warning("%s lost its lease while running; another process may take it", label)
                except Exception:
                    log.exception("could not renew the lease of %s", label)
        finally:
            if not running.done():
                running.cancel()  # we were cancelled (stop's timeout): so is the work

    @staticmethod
    async def _db(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        # Store calls block on the database: a worker thread keeps the event loop free.
        return await asyncio.to_thread(function, *args, **kwargs)


__all__ = ["JobContext", "JobFunction", "JobSpec", "Outcome", "Scheduler", "TaskHandler", "TickReport"]
