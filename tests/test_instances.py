"""Two bot instances (real `entraide run` processes) on one PostgreSQL database: a due job runs
once, and its message is delivered once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from skills_db.storage.models import JobRun, Need, NeedStatus
from skills_db.storage.store import Store

DEADLINE = 90.0


def _start(config: Path, tmp_path: Path, name: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRAIDE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--log-level", "INFO"],
        stdin=subprocess.PIPE,  # the console reads it: kept open, the instance keeps running
        stdout=open(tmp_path / f"{name}.out", "w"),
        stderr=open(tmp_path / f"{name}.err", "w"),
        text=True,
        env=env,
        cwd=tmp_path,
    )


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling an observable condition, with a deadline


@pytest.fixture
def instances(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Path, str]]:
    config = tmp_path / "entraide.toml"
    config.write_text(
        f'[database]\nurl = "{postgres_url}"\n[bot]\nlog_format = "json"\n[console]\nuser = "ops"\n', "utf-8"
    )
    yield config, postgres_url


@pytest.mark.postgres
def test_two_instances_started_together_run_a_due_job_once(
    tmp_path: Path, instances: tuple[Path, str]
) -> None:
    config, url = instances
    store = Store.open(url)
    asker = store.person_for("console", "alice", "Alice")
    long_ago = datetime.now(UTC) - timedelta(days=20)
    store.create_need(
        Need(
            person_id=asker.id or 0,
            text="repot the office fern",
            platform="console",
            conversation="general",
            created_at=long_ago,
        )
    )
    processes = [_start(config, tmp_path, name) for name in ("one", "two")]
    try:
        for name in ("one", "two"):
            err = tmp_path / f"{name}.err"
            _wait(lambda e=err: "scheduler running" in e.read_text("utf-8"), f"instance {name} to tick")
        _wait(lambda: _need_status(store) == NeedStatus.CLOSED, "the need to be closed")
        closed = "[private to Alice] entraide: Your need #1 (“repot the office fern”) is closed"
        _wait(
            lambda: any(closed in (tmp_path / f"{n}.out").read_text("utf-8") for n in ("one", "two")),
            "the last word to be delivered",
        )
    finally:
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()  # end of the console's input: the instance stops cleanly
        codes = [process.wait(timeout=60) for process in processes]
    outputs = [(tmp_path / f"{n}.out").read_text("utf-8") for n in ("one", "two")]
    assert sum(output.count("is closed") for output in outputs) == 1, outputs
    with store.session() as session:
        (run,) = session.exec(sa.select(JobRun).where(JobRun.job == "close-needs")).scalars().all()
        assert (run.status, run.attempts) == ("done", 1)
    owners = [
        json.loads(line)["owner"]
        for n in ("one", "two")
        for line in (tmp_path / f"{n}.err").read_text("utf-8").splitlines()
        if '"scheduler running"' in line
    ]
    assert run.owner in owners and len(set(owners)) == 2, "two distinct instances, one ran it"
    assert codes == [0, 0]
    store.close()


def _need_status(store: Store) -> str:
    with store.session() as session:
        need = session.get(Need, 1)
        return need.status if need else ""
