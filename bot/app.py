"""Wiring: run adapters on the services (built by :mod:`bot.services`), stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from bot.barometer.jobs import register as register_barometer
from bot.chat.actions import Actions
from bot.chat.adapter import Adapter
from bot.chat.context import Services
from bot.chat.pipeline import Pipeline
from bot.commands.imports import register as register_imports
from bot.commands.registry import Registry
from bot.followup.tasks import register as register_followups
from bot.jobs import MovableClock, Scheduler, TimeArgumentError, parse_time_argument
from bot.jobs.builtin import register as register_builtin_jobs
from bot.logs import log_failure
from bot.matching import snapshot
from bot.retention.job import register as register_retention
from bot.services import build_services as build_services  # re-exported: where callers find it
from bot.services import configured_vocabulary as configured_vocabulary
from bot.services import vocabulary as vocabulary
from bot.shoutouts.jobs import register as register_shoutouts

log = logging.getLogger("entraide")


@runtime_checkable
class TimeTraveller(Protocol):
    """An adapter that can move the bot's clock (the console's ``/time``)."""

    time_travel: Callable[[str, bool], Awaitable[str]] | None
    settle: Callable[[], Awaitable[None]] | None


class _ServicesClock:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()


INDEX_REFRESH_SECONDS = 3.0  # how soon this instance's indexes reflect another's changes
SNAPSHOT_EVERY = 100  # index refreshes between two saves of the index snapshot (5 minutes)


async def run_adapters(
    services: Services,
    adapters: Sequence[Adapter],
    commands: Registry | None = None,
    *,
    clock: MovableClock | None = None,
    tick_seconds: float = 5.0,
    replay: bool = False,
    index_snapshot: Path | None = None,
) -> bool:
    """Run until every adapter ends, one fails, or SIGTERM/SIGINT; then let the handlers in flight
    finish. False when an adapter failed. ``clock``: the movable clock ``services`` reads, for
    the console's ``/time``. ``replay``: that clock stands still and only the adapter moves it
    (``entraide console --clock-at``): no ticker runs, what a line makes due runs right after it,
    each unit of work reads indexes brought up to date as it starts, and whatever a killed
    predecessor held is taken over at start — so the same script gives the same records,
    whatever the timing and the crashes. ``index_snapshot``: where the indexes are loaded from
    at start if a valid snapshot is there, and saved now and then (`entraide run`)."""
    replay = replay and clock is not None and clock.frozen
    actions = Actions(services, fresh_indexes=replay)
    scheduler = Scheduler(services.store, clock or _ServicesClock(services.clock), interval=tick_seconds)
    register_builtin_jobs(scheduler, actions)
    register_followups(scheduler, actions)
    register_shoutouts(scheduler, actions)
    register_imports(scheduler, actions)
    register_barometer(scheduler, actions)
    register_retention(scheduler, actions)
    for adapter in adapters:
        actions.attach(adapter)
    pipeline = Pipeline(services, commands, actions=actions)
    # Build the in-memory indexes before the first need (from the snapshot, if a valid one is
    # there), read what the first needs would otherwise wait for (Matcher.warm_up), then keep
    # the garbage collector from walking their millions of long-lived objects at every full
    # collection.
    await actions.in_thread(partial(snapshot.restore, services.matcher, services.store, index_snapshot))
    await actions.in_thread(services.matcher.refresh)
    await actions.in_thread(services.matcher.warm_up)
    gc.freeze()
    for adapter in adapters:
        if clock is not None and isinstance(adapter, TimeTraveller):
            adapter.time_travel = partial(_travel, clock, scheduler)
            if replay:
                adapter.settle = partial(_settle, scheduler)
    if replay:
        await _take_over(actions, services)
    else:
        scheduler.start()
    refresher = asyncio.create_task(_refresh_indexes(actions, index_snapshot), name="index-refresh")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or not Unix
            loop.add_signal_handler(sig, stop.set)

    runs = [
        asyncio.create_task(a.run(functools.partial(pipeline.handle, a)), name=f"adapter:{a.platform}")
        for a in adapters
    ]
    stopper = asyncio.create_task(stop.wait())
    log.info("started", extra={"adapters": [a.platform for a in adapters]})
    failed = False
    pending: set[asyncio.Future[Any]] = {stopper, *runs}
    while not stop.is_set() and pending - {stopper}:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for run in done - {stopper}:
            error = None if run.cancelled() else run.exception()
            if error is not None:
                # One platform down stops the bot: a supervisor restarts it whole, visibly.
                name = run.get_name() if isinstance(run, asyncio.Task) else "?"
                log_failure(log, "adapter failed", error, {"adapter": name})
                failed = True
                stop.set()
    if stop.is_set():
        log.info("stopping: finishing the handlers in flight")
    for adapter in adapters:
        await adapter.close()
    finished = await pipeline.drain(services.config.bot.shutdown_grace_seconds)
    refresher.cancel()
    await scheduler.stop(services.config.bot.shutdown_grace_seconds)
    if not finished:
        log.warning("stopped with handlers still running")
    for run in runs:
        run.cancel()
    await asyncio.gather(*runs, return_exceptions=True)
    stopper.cancel()
    if index_snapshot is not None:  # the next start reads only what comes after
        with contextlib.suppress(Exception):
            await actions.in_thread(partial(snapshot.keep, services.matcher, services.store, index_snapshot))
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(sig)
    actions.close()
    log.info("stopped")
    return not failed


async def _travel(clock: MovableClock, scheduler: Scheduler, argument: str, run_due: bool = True) -> str:
    """``/time +3d``: move the clock, then run what became due, as it would have run live.
    Without ``run_due`` (a script's line replayed after a crash, whose due work ran before the
    crash), only the clock moves."""
    try:
        target = parse_time_argument(argument, clock.now())
    except TimeArgumentError as error:
        return str(error)
    clock.set(target)
    if not run_due:
        return f"time is now {target:%Y-%m-%d %H:%M} UTC; what was due ran before"
    report = await scheduler.run_due()
    statuses = [outcome.status for outcome in report.outcomes]
    counts = {status: statuses.count(status) for status in ("done", "failed", "skipped")}
    said = f"time is now {target:%Y-%m-%d %H:%M} UTC; due jobs and tasks done: {counts['done']}"
    if counts["failed"]:
        said += f", failed: {counts['failed']}"
    if counts["skipped"]:
        said += f", skipped as too late: {counts['skipped']}"
    return said


async def _settle(scheduler: Scheduler) -> None:
    """On a clock that stands still, run what a line made due at once (there is no ticker)."""
    await scheduler.run_due()


async def _take_over(actions: Actions, services: Services) -> None:
    """A replay's clock stands still (the console's ``--clock-at``) and it has no ticker: its
    leases would never run out: whatever a killed predecessor held — a job run, a task, a
    message printed or not — is taken over now, and what it left undelivered is sent."""
    now = services.clock()
    store = services.store
    released = await actions.in_thread(lambda: store.release_leases(now) + store.release_deliveries(now))
    if released:
        log.info("frozen clock: took over leases left by a stopped process", extra={"count": released})
    await actions.sweep()


async def _refresh_indexes(actions: Actions, index_snapshot: Path | None = None) -> None:
    """Keep this instance's indexes in step with the database (another instance's erasures),
    and every SNAPSHOT_EVERY refreshes save them for a quick restart (when it read something)."""
    services, saved_at, count = actions.services, None, 0
    while True:
        await asyncio.sleep(INDEX_REFRESH_SECONDS)
        count += 1
        try:
            await actions.in_thread(services.matcher.refresh)
            if index_snapshot is not None and count % SNAPSHOT_EVERY == 0:
                keep = partial(
                    snapshot.keep, services.matcher, services.store, index_snapshot, unless_at=saved_at
                )
                await actions.in_thread(keep)
                saved_at = snapshot.positions(services.matcher)
        except Exception:
            log.exception("index refresh failed")
