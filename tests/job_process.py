"""One bot process, for the tests that run several on one database and kill them (test_jobs_processes).

    python -m tests.job_process --url URL --now 2026-12-01T09:00:01+00:00 [--hang] [--wait-go]

Opens the Store, runs a live Scheduler whose clock is frozen at ``--now``, with one daily job at
``--job-at`` (UTC) whose run writes an audit row and prints ``ran PERIOD OWNER``. Prints
``ready`` once the database is open, ``tick N`` after each tick, ``started PERIOD`` when a run
begins; with ``--hang`` the run never ends (to be killed mid-run). With ``--wait-go`` it waits
for a ``go`` line on stdin before ticking, so that several processes start together. A ``stop``
line or the end of stdin stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from datetime import datetime, time, timedelta

from bot.jobs import Daily, JobContext, JobSpec, MovableClock, Scheduler
from skills_db.storage.store import Store

JOB = "process-test"
AUDIT_ACTION = "job_process.ran"


def say(line: str) -> None:
    print(line, flush=True)


def read_stdin(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line.strip())
    loop.call_soon_threadsafe(lines.put_nowait, "stop")


async def main(args: argparse.Namespace) -> None:
    store = Store.open(args.url)
    clock = MovableClock(frozen_at=datetime.fromisoformat(args.now))
    scheduler = Scheduler(
        store,
        clock,
        lease=timedelta(seconds=args.lease),
        interval=args.interval,
    )

    async def run(context: JobContext) -> None:
        say(f"started {context.period}")
        if args.hang:
            await asyncio.Event().wait()
        await asyncio.to_thread(store.audit, None, AUDIT_ACTION, period=context.period, owner=scheduler.owner)
        say(f"ran {context.period} {scheduler.owner}")

    at = time.fromisoformat(args.job_at)
    scheduler.add_job(JobSpec(JOB, Daily(at), timedelta(seconds=args.grace), run))

    lines: asyncio.Queue[str] = asyncio.Queue()
    threading.Thread(target=read_stdin, args=(asyncio.get_running_loop(), lines), daemon=True).start()
    say("ready")
    if args.wait_go:
        while (line := await lines.get()) != "go":
            if line == "stop":
                return
    scheduler.start()
    seen = 0
    stop = asyncio.create_task(_until_stop(lines))
    while not stop.done():
        if scheduler.ticks != seen:
            seen = scheduler.ticks
            say(f"tick {seen}")
        await asyncio.wait({stop}, timeout=0.01)
    await scheduler.stop(timeout=5)
    store.close()
    say("stopped")


async def _until_stop(lines: asyncio.Queue[str]) -> None:
    while await lines.get() != "stop":
        pass


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.job_process")
    parser.add_argument("--url", required=True)
    parser.add_argument("--now", required=True, help="the frozen clock, ISO 8601 with a zone")
    parser.add_argument("--job-at", default="09:00", help="the daily job's time, UTC")
    parser.add_argument("--grace", type=float, default=3600.0, help="seconds")
    parser.add_argument("--lease", type=float, default=30.0, help="seconds")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between ticks")
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--wait-go", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
