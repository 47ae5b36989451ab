"""Slack HTTP mode, end to end: events per second handled, and how fast Slack gets its acks.

The bot runs as in production — ``entraide --config … run`` in its own process, HTTP mode — with
``api_url`` pointing at the Slack double (tests/slack_double) that this process serves on
127.0.0.1. Colleagues post needs in a help channel ("anyone know Terraform? …"); each is sent
signed like Slack, and counts as handled once the bot's suggestions are in its thread (acked,
matched, replied).

Two phases:

1. capacity: ``--events`` needs (default 300), at most ``--concurrency`` in flight (default 32):
   throughput = needs / (first send → last reply);
2. paced: for ``--seconds`` (default 10), needs sent evenly at that measured throughput; every
   ack is timed. Target: every ack under 300 ms at the measured throughput.

Run: ``python -m bench.slack_throughput`` (``--json`` for one JSON line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.shared import ROOT
from skills_db.storage.models import ClaimSource
from skills_db.storage.store import Store
from tests.slack_double.server import SlackDouble
from tests.slack_double.workspace import BOT_USER

TARGET_ACK = 0.300
HELP = "C0HELP"
SKILLS = [
    "Terraform",
    "Kubernetes",
    "Python",
    "SQL",
    "PostgreSQL",
    "Ansible",
    "React",
    "Docker",
    "Linux",
    "Git",
]


@dataclass
class Phase:
    name: str
    sent: int = 0
    acks: list[float] = field(default_factory=list)
    failed: int = 0  # acks other than 200
    started: float = 0.0
    finished: float = 0.0
    handled: int = 0

    def summary(self) -> dict[str, Any]:
        acks = sorted(self.acks)
        elapsed = self.finished - self.started
        return {
            "phase": self.name,
            "needs": self.sent,
            "handled": self.handled,
            "failed_acks": self.failed,
            "seconds": round(elapsed, 2),
            "events_per_second": round(self.handled / elapsed, 1) if elapsed > 0 else 0.0,
            "ack_p50_ms": round(1000 * statistics.median(acks), 1) if acks else None,
            "ack_p95_ms": round(1000 * acks[int(0.95 * (len(acks) - 1))], 1) if acks else None,
            "ack_max_ms": round(1000 * acks[-1], 1) if acks else None,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(url: str, double: SlackDouble, colleagues: int, rng: random.Random) -> list[str]:
    store = Store.open(url)
    users = []
    for n in range(colleagues):
        user = f"U0C{n:05d}"
        double.space.add_user(user, f"Colleague{n}")
        person = store.person_for("slack", user, f"Colleague{n}")
        assert person.id is not None
        for skill in rng.sample(SKILLS, 2):
            store.add_claim(person.id, skill, ClaimSource.DECLARED)
        users.append(user)
    store.close()
    double.space.add_channel(HELP, "help", [*users, BOT_USER])
    return users


def _config(path: Path, url: str, double: SlackDouble, port: int) -> None:
    path.write_text(
        f"""[bot]
log_level = "INFO"
[database]
url = "{url}"
[routing]
mode = "suggest"
[slack]
enabled = true
mode = "http"
bot_token = "{double.bot_token}"
signing_secret = "{double.signing_secret}"
api_url = "{double.api_url}"
host = "127.0.0.1"
port = {port}
help_channels = ["{HELP}"]
""",
        "utf-8",
    )


async def _wait_healthy(port: int, bot: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if bot.poll() is not None:
                raise SystemExit(f"the bot exited with {bot.returncode}; see its log")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/health") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become healthy")


class Run:
    def __init__(self, double: SlackDouble, users: list[str], rng: random.Random) -> None:
        self.double = double
        self.users = users
        self.rng = rng
        self.count = 0
        self.threads: set[str] = set()

    async def need(self, phase: Phase) -> None:
        self.count += 1
        user = self.rng.choice(self.users)
        skill = self.rng.choice(SKILLS)
        message = self.double.space.add_message(HELP, user, f"anyone know {skill}? question {self.count}")
        self.threads.add(message.ts)
        envelope = _envelope(self.double, message)
        phase.sent += 1
        delivery = await self.double.send_event(envelope)
        phase.acks.append(delivery.seconds)
        if delivery.status != 200:
            phase.failed += 1

    def answered(self, threads: set[str]) -> int:
        return len({m.thread_ts for m in self.double.bot_messages(HELP) if m.thread_ts in threads})

    async def until_answered(self, phase: Phase, threads: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.answered(threads) < len(threads) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        phase.handled = self.answered(threads)
        phase.finished = time.perf_counter()


def _envelope(double: SlackDouble, message: Any) -> dict[str, Any]:
    from tests.slack_double.payloads import message_events

    [envelope] = message_events(double.space, message)
    return envelope


async def capacity(run: Run, events: int, concurrency: int) -> Phase:
    phase = Phase("capacity")
    before = set(run.threads)
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await run.need(phase)

    phase.started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(events)))
    await run.until_answered(phase, run.threads - before, timeout=120)
    return phase


async def paced(run: Run, rate: float, seconds: float) -> Phase:
    phase = Phase("paced")
    before = set(run.threads)
    total = max(1, int(rate * seconds))
    phase.started = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = phase.started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(run.need(phase)))
    await asyncio.gather(*tasks)
    await run.until_answered(phase, run.threads - before, timeout=120)
    return phase


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    double = SlackDouble()
    await double.start()
    double.transport = "http"
    with tempfile.TemporaryDirectory(prefix="entraide-slack-bench-") as tmp:
        url = f"sqlite:///{tmp}/entraide.db"
        users = _seed(url, double, args.colleagues, rng)
        port = _free_port()
        config = Path(tmp) / "entraide.toml"
        _config(config, url, double, port)
        double.bot_url = f"http://127.0.0.1:{port}/slack/events"
        log = open(Path(tmp) / "bot.log", "wb")  # noqa: SIM115 - closed after the bot stops
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        bot = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from bot.cli import main; sys.exit(main())",
                "--config",
                str(config),
                "run",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await _wait_healthy(port, bot)
            run = Run(double, users, rng)
            await capacity(run, 20, 4)  # warm up: caches, connections, first queries
            first = await capacity(run, args.events, args.concurrency)
            rate = first.summary()["events_per_second"] or 1.0
            second = await paced(run, rate, args.seconds)
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(30)
            except subprocess.TimeoutExpired:
                bot.kill()
            log.close()
            await double.stop()
    results = {"capacity": first.summary(), "paced": second.summary()}
    paced_max = results["paced"]["ack_max_ms"] or 0.0
    results["target"] = {
        "every_ack_under_ms": TARGET_ACK * 1000,
        "met": paced_max < TARGET_ACK * 1000 and second.handled == second.sent,
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=300, help="needs in the capacity phase")
    parser.add_argument("--concurrency", type=int, default=32, help="needs in flight at once (capacity)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the paced phase")
    parser.add_argument("--colleagues", type=int, default=40, help="people in the workspace")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    results = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(results))
    else:
        for key in ("capacity", "paced"):
            r = results[key]
            print(
                f"{key:>8}: {r['handled']}/{r['needs']} needs handled in {r['seconds']} s = "
                f"{r['events_per_second']} events/s; ack p50 {r['ack_p50_ms']} ms, p95 {r['ack_p95_ms']} ms, "
                f"max {r['ack_max_ms']} ms; failed acks {r['failed_acks']}"
            )
        verdict = "met" if results["target"]["met"] else "NOT met"
        print(f"  target: every ack under {TARGET_ACK * 1000:.0f} ms at the measured throughput — {verdict}")
    return 0 if results["target"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
