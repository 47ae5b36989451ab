"""Real processes on one PostgreSQL database: started together, killed with SIGKILL, restarted.

Each process is ``python -m tests.job_process`` with its clock frozen by ``--now``; the tests wait
for what the processes print and what the database holds, with deadlines, never for a fixed
time. Without a PostgreSQL server they skip, except under CI=true where they fail (conftest).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from skills_db.storage.models import AuditEntry
from skills_db.storage.store import Store
from tests.conftest import _postgres_url
from tests.job_process import AUDIT_ACTION, JOB

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the daily job's time in job_process (--job-at 09:00)
PERIOD = "2026-12-01"
DEADLINE = 90.0  # seconds; starting Python and SQLAlchemy on a loaded 2-core machine is slow


class BotProcess:
    """A job_process child whose printed lines are collected as they come."""

    def __init__(self, url: str, now: datetime, *extra: str) -> None:
        self.lines: list[str] = []
        self._errors: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.job_process", "--url", url, "--now", now.isoformat(), *extra],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((self.process.stdout, self.lines), (self.process.stderr, self._errors))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str], into: list[str]) -> None:
        for line in stream:
            with self._changed:
                into.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:  # end of output: wake the waiters, who see the process gone
            self._changed.notify_all()

    def describe(self) -> str:
        return "stdout:\n" + "\n".join(self.lines) + "\nstderr:\n" + "\n".join(self._errors[-40:])

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or not self._readers[0].is_alive():
                    raise AssertionError(f"{what}: not seen in {DEADLINE} s\n{self.describe()}")
                self._changed.wait(min(left, 0.5))

    def wait_line(self, line: str) -> None:
        self.wait_for(lambda: line in self.lines, repr(line))

    def ticks(self) -> int:
        found = [int(m.group(1)) for line in self.lines if (m := re.fullmatch(r"tick (\d+)", line))]
        return max(found, default=0)

    def wait_ticks(self, count: int) -> None:
        """Wait until ``count`` more ticks are done than now: whatever was due has been seen."""
        target = self.ticks() + count
        self.wait_for(lambda: self.ticks() >= target, f"tick {target}")

    def started(self) -> list[str]:
        return [line for line in self.lines if line.startswith("started ")]

    def ran(self) -> list[str]:
        return [line for line in self.lines if line.startswith("ran ")]

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        self.send("stop")
        try:
            assert self.process.wait(DEADLINE) == 0, self.describe()
        finally:
            self.kill()
        assert "stopped" in self.lines, self.describe()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(DEADLINE)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine | None) -> Iterator[str]:
    yield from _postgres_url(postgres_admin)


@pytest.fixture
def store(postgres_url: str) -> Iterator[Store]:
    # Migrated here once, so that processes started together do not race on the schema.
    opened = Store.open(postgres_url)
    yield opened
    opened.close()


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.kill()


def audit_rows(store: Store) -> list[dict[str, object]]:
    with store.session() as session:
        rows = session.exec(select(AuditEntry).where(col(AuditEntry.action) == AUDIT_ACTION)).all()
        return [dict(row.details) for row in rows]


def wait_ledger(store: Store, status: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while (state := store.run_state(JOB, PERIOD)) is None or state.status != status:
        assert time.monotonic() < deadline, f"the ledger never said {status}: {state}"
        time.sleep(0.02)


def test_two_processes_started_together_run_a_due_job_once(
    store: Store, postgres_url: str, processes: list[BotProcess]
) -> None:
    for day in range(3):  # three rounds: three chances for a race to show
        now = DUE + timedelta(days=day, seconds=1)
        pair = [BotProcess(postgres_url, now, "--wait-go") for _ in range(2)]
        processes.extend(pair)
        for process in pair:
            process.wait_line("ready")
        for process in pair:
            process.send("go")
        for process in pair:
            process.wait_ticks(5)
        for process in pair:
            process.stop()
        period = (DUE + timedelta(days=day)).date().isoformat()
        ran = [line for process in pair for line in process.ran()]
        assert len(ran) == 1 and ran[0].startswith(f"ran {period} "), [p.describe() for p in pair]
        assert [row["period"] for row in audit_rows(store)].count(period) == 1
        run = store.job_run(JOB, period)
        assert run is not None and (run.status, run.attempts) == ("done", 1)


def test_killed_before_the_job_time_runs_once_after_restart(
    store: Store, postgres_url: str, processes: list[BotProcess]
) -> None:
    before = BotProcess(postgres_url, DUE - timedelta(minutes=1))
    processes.append(before)
    before.wait_ticks(3)
    before.kill()  # SIGKILL, a minute before the job's time
    assert before.started() == []

    after = BotProcess(postgres_url, DUE + timedelta(minutes=1))
    processes.append(after)
    after.wait_for(lambda: bool(after.ran()), "the run after the restart")
    after.wait_ticks(3)
    after.stop()
    again = BotProcess(postgres_url, DUE + timedelta(minutes=2))  # and one more restart
    processes.append(again)
    again.wait_ticks(3)
    again.stop()
    assert len(after.ran()) == 1 and again.started() == []
    assert [row["period"] for row in audit_rows(store)] == [PERIOD]


def test_killed_just_after_the_run_does_not_run_again(
    store: Store, postgres_url: str, processes: list[BotProcess]
) -> None:
    first = BotProcess(postgres_url, DUE + timedelta(seconds=1))
    processes.append(first)
    first.wait_for(lambda: bool(first.ran()), "the run")
    wait_ledger(store, "done")
    first.kill()  # SIGKILL once the ledger says done

    restarted = BotProcess(postgres_url, DUE + timedelta(minutes=1))
    processes.append(restarted)
    restarted.wait_ticks(3)
    restarted.stop()
    assert restarted.started() == []
    assert [row["period"] for row in audit_rows(store)] == [PERIOD]


def test_killed_during_the_run_runs_again_once_after_the_lease(
    store: Store, postgres_url: str, processes: list[BotProcess]
) -> None:
    lease = ["--lease", "30"]
    hung = BotProcess(postgres_url, DUE + timedelta(seconds=1), "--hang", *lease)
    processes.append(hung)
    hung.wait_for(lambda: bool(hung.started()), "the run to start")
    wait_ledger(store, "running")
    hung.kill()  # SIGKILL in the middle of the run: the ledger still says running

    early = BotProcess(postgres_url, DUE + timedelta(seconds=20), *lease)  # within the dead one's lease
    processes.append(early)
    early.wait_ticks(3)
    early.stop()
    assert early.started() == []

    late = BotProcess(postgres_url, DUE + timedelta(seconds=40), *lease)  # lease over, grace not
    processes.append(late)
    late.wait_for(lambda: bool(late.ran()), "the run taken over")
    late.wait_ticks(3)
    late.stop()
    assert len(late.ran()) == 1
    assert [row["period"] for row in audit_rows(store)] == [PERIOD]
    run = store.job_run(JOB, PERIOD)
    assert run is not None and (run.status, run.attempts) == ("done", 2)
