"""Real `entraide run` processes for the shout-out process tests, and the scenario they play.

Each process starts with a rehearsal clock (``--clock-start``) and JSON logs; the tests read its
logs, the database and the chat platform, waiting for what they expect with a deadline — never
for a fixed time — and stop it with SIGTERM or kill it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import col, select

from skills_db.storage.models import JobRun, OutboxMessage, OutboxStatus, Shoutout, Thanks, ThanksKind
from skills_db.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 90.0  # seconds; a start costs 5-10 s on a loaded 2-core machine
WEEK_ONE = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday at the default post time
WEEK_TWO = WEEK_ONE + timedelta(weeks=1)
LEASES = timedelta(minutes=5)  # a dead process's job run and delivery are taken over after this


class EntraideProcess:
    """``entraide run --config CONFIG --clock-start START``, its logs in ``folder/name.err``."""

    def __init__(self, config: Path, folder: Path, name: str, clock_start: datetime) -> None:
        self.name = name
        self.clock_start = clock_start
        self.err = folder / f"{name}.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRAIDE_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--log-level", "INFO"]
        self.began = time.monotonic()
        with open(folder / f"{name}.out", "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [*command, "--clock-start", clock_start.isoformat()],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=folder,
            )

    def logs(self) -> list[dict[str, Any]]:
        found = []
        for line in self.err.read_text("utf-8").splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def logged(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.logs() if line.get("message") == message]

    @property
    def owner(self) -> str:
        """Who this process's scheduler is in the ledger, once it ticked."""
        [running] = self.logged("scheduler running")
        return str(running["owner"])

    def clock_at_most(self) -> datetime:
        """The process's clock is no later than this: it started at ``clock_start`` at the
        earliest when the process was started, and runs at real speed."""
        return self.clock_start + timedelta(seconds=time.monotonic() - self.began)

    def alive(self) -> bool:
        return self.process.poll() is None

    def describe(self) -> str:
        lines = self.err.read_text("utf-8").splitlines()
        return f"--- {self.name} (exit {self.process.poll()}):\n" + "\n".join(lines[-30:])

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(DEADLINE)

    def stop(self) -> int:
        """SIGTERM, as a supervisor stops the bot; its exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(DEADLINE)


Start = Callable[[str, datetime], EntraideProcess]


@contextmanager
def starting(config: Callable[[str], Path], folder: Path) -> Iterator[Start]:
    """``start(name, clock_start)`` with the config file ``config(name)``; every process still
    running at the end is killed."""
    started: list[EntraideProcess] = []

    def start(name: str, clock_start: datetime) -> EntraideProcess:
        process = EntraideProcess(config(name), folder, name, clock_start)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.kill()


async def until(condition: Callable[[], bool], what: str, watched: Sequence[EntraideProcess]) -> None:
    """Poll ``condition`` until it holds; fail with the processes' logs after the deadline or
    as soon as one of them exited by itself."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        gone = [p for p in watched if not p.alive()]
        if gone or time.monotonic() > deadline:
            reason = "a process exited" if gone else f"not seen in {DEADLINE:g} s"
            logs = "\n".join(p.describe() for p in watched)
            raise AssertionError(f"waiting for {what}: {reason}\n{logs}")
        await asyncio.sleep(0.05)  # polling an observable condition, with a deadline


async def up(process: EntraideProcess, connected: str) -> None:
    """Until the process is connected to its platform and its scheduler ticked once."""
    await until(
        lambda: bool(process.logged(connected) and process.logged("scheduler running")),
        f"{process.name} to connect and tick",
        [process],
    )


def helped(
    store: Store, platform: str, helper: tuple[str, str], asker: tuple[str, str], at: datetime
) -> None:
    """``helper`` (handle, name) helped ``asker`` at ``at``: a thanks, as the thanks paths record it."""
    since = at - timedelta(days=400)  # long-standing colleagues, not newcomers
    to = store.person_for(platform, helper[0], helper[1], at=since)
    by = store.person_for(platform, asker[0], asker[1], at=since)
    assert to.id is not None and by.id is not None
    store.add_thanks(
        Thanks(
            from_person_id=by.id,
            to_person_id=to.id,
            text="thanks",
            created_at=at,
            kind=ThanksKind.THANKS,
            skills=["Terraform"],
            public=True,
        )
    )


def ledger(store: Store, job: str) -> list[JobRun]:
    with store.session() as session:
        return list(session.exec(select(JobRun).where(col(JobRun.job) == job)).all())


def outbox(store: Store, key: str) -> OutboxMessage | None:
    with store.session() as session:
        return session.exec(select(OutboxMessage).where(col(OutboxMessage.key) == key)).first()


def weeks(store: Store, channel: str) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.exec(select(Shoutout).where(col(Shoutout.channel) == channel)).all()
        return sorted((row.week, row.status) for row in rows)


class Platform(Protocol):
    """The channel as its members see it."""

    connected: str  # what the bot logs once connected to the platform

    def posts(self) -> list[str]:
        """The keys (Slack) or ids (Matrix) of the bot's shout-outs seen in the channel so far."""
        ...

    def hold_posts(self) -> Callable[[], None]:
        """From now on, a post lands but the bot hears nothing back; the callable releases."""
        ...

    async def settled_posts(self) -> list[str]:
        """``posts()`` once everything the stopped bot posted has surely shown."""
        ...


async def posted_once_through_kills_restarts_and_two_instances(
    start: Start, platform: Platform, store: Store, channel: str
) -> None:
    job, first, second = f"shoutout:{channel}", "2026-W50", "2026-W51"
    key = f"shoutout:{channel}:{first}"

    # 1. Up before the post's time, killed before it (on its own clock): nothing claimed, nothing said.
    early = start("early", WEEK_ONE - timedelta(minutes=2))
    await up(early, platform.connected)
    assert job in early.logged("scheduler running")[0]["jobs"]
    early.kill()
    assert early.clock_at_most() < WEEK_ONE, "started too slowly to be killed before the time"
    # Only the week before was looked at: too late for it (recorded skipped, said nothing).
    assert [(r.period, r.status) for r in ledger(store, job)] == [("2026-W49", "skipped")]
    assert weeks(store, channel) == [] and platform.posts() == []

    # 2. Restarted after the time, within grace: the post. Killed the moment it shows in the
    # channel, before the bot heard back from the platform: delivered, but neither the delivery
    # nor the run is recorded.
    release = platform.hold_posts()
    late = start("late", WEEK_ONE + timedelta(seconds=20))
    await until(lambda: bool(platform.posts()), "the shout-out in the channel", [late])
    late.kill()
    release()
    run = store.job_run(job, first)
    message = outbox(store, key)
    assert run is not None and run.status == "running" and weeks(store, channel) == [(first, "posted")]
    assert message is not None and (message.status, message.attempts) == (OutboxStatus.PENDING, 1)

    # 3. Restarted once the dead process's leases ran out, still within grace: it takes the run
    # over (the week already has its post) and delivers the message again, which finds the post
    # already there. Still one post.
    again = start("again", WEEK_ONE + LEASES + timedelta(minutes=5))
    await up(again, platform.connected)

    def settled() -> bool:
        found = outbox(store, key)
        sweeps = [r for r in ledger(store, "outbox-sweep") if r.owner == again.owner and r.status == "done"]
        return (
            bool(sweeps)
            and found is not None
            and found.status == OutboxStatus.SENT
            and _done(store, job, first)
        )

    await until(settled, "the restarted bot to finish the run and the delivery", [again])
    assert again.stop() == 0, again.describe()
    run = store.job_run(job, first)
    assert run is not None and (run.status, run.attempts, run.owner) == ("done", 2, again.owner)
    posts = await platform.settled_posts()
    assert len(posts) == 1, posts

    # 4. The next week, two instances started together after the time: one post.
    pair = [start(name, WEEK_TWO + timedelta(seconds=20)) for name in ("one", "two")]
    for process in pair:
        await up(process, platform.connected)
    await until(lambda: len(platform.posts()) == 2 and _done(store, job, second), "week two's post", pair)
    assert [process.stop() for process in pair] == [0, 0], [p.describe() for p in pair]
    posts = await platform.settled_posts()
    assert len(posts) == 2 and weeks(store, channel) == [(first, "posted"), (second, "posted")], posts
    runs = {r.period: r for r in ledger(store, job)}
    assert (runs[second].status, runs[second].attempts) == ("done", 1)
    assert runs[second].owner in {p.owner for p in pair} and len({p.owner for p in pair}) == 2


def _done(store: Store, job: str, period: str) -> bool:
    state = store.run_state(job, period)
    return state is not None and state.status == "done"
