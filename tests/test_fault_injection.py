"""SIGKILL at random points, restart, and nothing is lost or done twice.

A seeded stream of more than a thousand console events (needs from several colleagues, accepts,
declines, thanks, solved, skills, ``/as`` switches and ``/time`` moves) runs once as a real
``entraide console --script`` process without faults, then on a fresh database as a process
SIGKILLed at 20 random points — after a random delay, or when its output reached a random line
count — and restarted each time until it completes. The script resumes (each line's event id is
the script and its line), the clock is the script's (``--clock-at``), so both databases must
hold the same needs, asks, thanks, delayed tasks and messages, every message sent once.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.chat.events import Event
from skills_db.storage.models import (
    Ask,
    DelayedTask,
    Need,
    OutboxMessage,
    OutboxStatus,
    Person,
    SkillClaim,
    Thanks,
)

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday morning, UTC
EVENTS = 1000
KILLS = 20
PARTS = 4  # scripts run one after the other: a restart replays only the current one
DEADLINE = 120.0  # seconds for one process to end by itself

PEOPLE = (
    "Alice",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Emma",
    "Farid",
    "Gaby",
    "Hugo",
    "Ines",
    "Jules",
    "Karim",
    "Lea",
)
SKILLS = ("Terraform", "Python", "Kubernetes", "SQL", "React", "Docker", "Java", "Figma")
TOPICS = ("state locking", "a slow query", "pods crash looping", "hooks", "a memory leak", "the build")


@dataclass(frozen=True)
class Part:
    """One script of the stream, and where its clock starts (where the part before left it)."""

    clock_at: datetime
    lines: list[str]

    @property
    def events(self) -> int:
        return sum(not line.startswith(("/", "#")) for line in self.lines)

    @property
    def echoed(self) -> int:
        """Lines every run of it prints at least: each line is echoed, handled before or not."""
        return len(self.lines)


def stream(seed: int, events: int, parts: int) -> list[Part]:
    """``parts`` scripts of ``events`` events in all, the same for the same seed."""
    rng = random.Random(seed)
    found: list[Part] = []
    lines: list[str] = []
    clock, count = START, 0

    def say(who: str, line: str) -> None:
        nonlocal count
        lines.extend([f"/as {who}", line])
        count += 1

    for person in PEOPLE:
        say(person, f"skills add {', '.join(rng.sample(SKILLS, 2))}")
    part_start = START
    while count < events:
        roll = rng.random()
        someone, other = rng.sample(PEOPLE, 2)
        if roll < 0.22:
            say(someone, f"need help with {rng.choice(SKILLS)} {rng.choice(TOPICS)}")
        elif roll < 0.42:
            say(someone, "accept")
        elif roll < 0.54:
            say(someone, "decline")
        elif roll < 0.66:
            say(someone, f"thanks @{other.lower()} for {rng.choice(SKILLS)}")
        elif roll < 0.76:
            say(someone, "solved")
        elif roll < 0.82:
            say(someone, f"skills add {rng.choice(SKILLS)}")
        elif roll < 0.88:
            say(someone, "profile")
        elif roll < 0.93:
            say(someone, rng.choice(("away 1d", "away off", "cap 2", "cap 5")))
        else:
            hours = rng.choice((1, 2, 4, 9, 20))
            lines.append(f"/time +{hours}h")
            clock += timedelta(hours=hours)
        if count >= events * (len(found) + 1) / parts or count >= events:
            lines.append("/time +2h")  # what is left to run (a message a crash left) runs
            clock += timedelta(hours=2)
            found.append(Part(part_start, lines))
            lines, part_start = [], clock
    return found


def console(config: Path, script: Path, clock_at: datetime, out: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bot.cli", "console", "--config", str(config)]
    command += ["--script", str(script), "--clock-at", clock_at.isoformat()]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    with open(out, "wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def finish(process: subprocess.Popen[bytes], out: Path) -> None:
    code = process.wait(DEADLINE)
    assert code == 0, out.read_text("utf-8")[-3000:]


def lines_in(path: Path) -> int:
    with open(path, "rb") as file:
        return file.read().count(b"\n")


def kill_when(process: subprocess.Popen[bytes], out: Path, *, delay: float | None, lines: int | None) -> bool:
    """SIGKILL after ``delay`` seconds or once ``out`` has ``lines`` lines; False if it ended first."""
    deadline = time.monotonic() + (delay if delay is not None else DEADLINE)
    while process.poll() is None and time.monotonic() < deadline:
        if lines is not None and lines_in(out) >= lines:
            break
        time.sleep(0.005)  # another process: poll it, with a deadline
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait(DEADLINE)
    return True


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored need, ask, thanks, task, message, person and skill claim, as a user would
    tell them apart."""
    engine = sa.create_engine(url)
    with engine.connect() as db:

        def rows(columns: list[Any], order: Any) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in db.execute(sa.select(*columns).order_by(order))]

        n, a, t, d, o = Need, Ask, Thanks, DelayedTask, OutboxMessage
        p, c = Person, SkillClaim
        found = {
            "needs": rows(
                [
                    n.id,
                    n.person_id,
                    n.text,
                    n.status,
                    n.solved_by_id,
                    n.created_at,
                    n.solved_at,
                    n.notified_at,
                    n.exhausted_told,
                    n.solved_asked,
                    n.thread,
                    n.skills,
                ],
                n.id,
            ),
            "asks": rows(
                [
                    a.need_id,
                    a.person_id,
                    a.status,
                    a.asked_at,
                    a.answered_at,
                    a.due_at,
                    a.wait_reason,
                    a.reasons,
                ],
                sa.text("need_id, person_id"),
            ),
            "thanks": rows(
                [t.from_person_id, t.to_person_id, t.need_id, t.text, t.created_at, t.kind, t.skills, t.ref],
                t.id,
            ),
            "tasks": rows([d.kind, d.key, d.status, d.due_at, d.payload], d.key),
            # Ids, delivery times and attempts legitimately differ: a crash makes a second attempt.
            "people": rows(
                [p.id, p.name, p.away_until, p.weekly_ask_cap, p.matching_opt_out, p.created_at],
                p.id,
            ),
            "skills": rows([c.person_id, c.skill_id, c.source, c.weight, c.ref, c.created_at], c.id),
            "outbox": rows(
                [o.key, o.platform, o.status, o.reply, o.about_kind, o.about_id, o.created_at, o.message_id],
                o.key,
            ),
        }
    engine.dispose()
    return found


def test_a_script_killed_twenty_times_ends_as_one_never_killed(tmp_path: Path) -> None:
    rng = random.Random(1212)
    parts = stream(seed=12, events=EVENTS, parts=PARTS)
    scripts = []
    for number, part in enumerate(parts):
        scripts.append(tmp_path / f"stream-{number}.txt")
        scripts[-1].write_text("\n".join(part.lines) + "\n", "utf-8")
    assert sum(part.events for part in parts) >= EVENTS

    def config(name: str) -> tuple[Path, str]:
        url = f"sqlite:///{tmp_path}/{name}.db"
        path = tmp_path / f"{name}.toml"
        path.write_text(f'[database]\nurl = "{url}"\n[routing]\nask_count = 2\n', "utf-8")
        return path, url

    began = time.monotonic()
    calm, calm_url = config("calm")

    def calm_run() -> None:
        for number, (part, script) in enumerate(zip(parts, scripts, strict=True)):
            out = tmp_path / f"calm-{number}.out"
            finish(console(calm, script, part.clock_at, out), out)

    # The run without faults goes alongside: it reads nothing of the other.
    with ThreadPoolExecutor(1) as pool:
        calm_done = pool.submit(calm_run)
        faulty, faulty_url = config("faulty")
        kills, starts = 0, 0
        for number, (part, script) in enumerate(zip(parts, scripts, strict=True)):
            # Kill points spread over the part: after a random delay (often while starting), or
            # when its output reached a random line count — which every run of it reaches.
            quota = KILLS // PARTS + (number < KILLS % PARTS)
            points = sorted(rng.randrange(5, part.echoed) for _ in range(quota))
            while True:
                out = tmp_path / f"faulty-{starts}.out"
                process = console(faulty, script, part.clock_at, out)
                starts += 1
                if points:
                    by_delay = rng.random() < 0.3
                    delay = rng.uniform(0.05, 2.0) if by_delay else None
                    if kill_when(process, out, delay=delay, lines=None if by_delay else points[0]):
                        kills += 1
                        points.pop(0)
                        continue
                finish(process, out)
                break
        calm_done.result()
    elapsed = time.monotonic() - began
    print(f"fault injection: {EVENTS}+ events, {kills} kills, {starts} starts, {elapsed:.1f} s")
    assert kills == KILLS

    expected, got = snapshot(calm_url), snapshot(faulty_url)
    assert len(expected["needs"]) > 50 and len(expected["asks"]) > 50 and len(expected["thanks"]) > 50
    kept = Path(tempfile.gettempdir()) / f"entraide-fault-injection-{os.getpid()}"
    for table in expected:
        if got[table] != expected[table]:
            # Kept for a post-mortem: pytest's own temporary folders are rotated away.
            shutil.copytree(tmp_path, kept, dirs_exist_ok=True)
        assert got[table] == expected[table], f"{table} (databases and outputs kept in {kept})"
    statuses = {row[2] for row in got["outbox"]}
    assert statuses == {OutboxStatus.SENT}


async def test_script_lines_keep_their_ids_and_typed_lines_do_not() -> None:
    seen: list[Event] = []

    async def sink(event: Event) -> None:
        seen.append(event)

    for _ in range(2):
        adapter = ConsoleAdapter(
            script=["# a comment", "help", "/as Bob", "profile"], output=io.StringIO(), script_id="abc"
        )
        await adapter.run(sink)
    assert [e.event_id for e in seen] == ["script-abc-2", "script-abc-4"] * 2
    assert seen[1].sender.display == "Bob"
    typed = [ConsoleAdapter(script=["help"], output=io.StringIO()) for _ in range(2)]
    for adapter in typed:
        await adapter.run(sink)
    assert seen[-1].event_id != seen[-2].event_id


def test_a_script_run_again_after_a_long_time_handles_no_line_twice(tmp_path: Path) -> None:
    """Its clock moved past the processed events' retention: the marks of its lines are kept."""
    script = tmp_path / "long.txt"
    script.write_text("/as Ann\nneed help with terraform state\n/time +40d\n", "utf-8")
    config = tmp_path / "entraide.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/long.db"\n', "utf-8")
    for run in range(2):
        out = tmp_path / f"long-{run}.out"
        finish(console(config, script, START, out), out)
    assert "need #1 stays open" in (tmp_path / "long-0.out").read_text("utf-8")
    again = (tmp_path / "long-1.out").read_text("utf-8")
    assert "need #" not in again and "Ann> need help with terraform state" in again
    assert [row[2] for row in snapshot(f"sqlite:///{tmp_path}/long.db")["needs"]] == [
        "help with terraform state"
    ]
