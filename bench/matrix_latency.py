"""Round trip through a real Synapse: the Entraide bot beside a bare matrix-nio echo bot.

A throwaway Synapse (the tests' harness, :mod:`tests.matrix.synapse`) runs on 127.0.0.1. A
colleague's nio client (this process) posts needs ("? need help with terraform …") in a help
room where the Entraide bot (suggest mode, one colleague knowing Terraform) answers with
suggestions; in another room a bare nio bot echoes each message back as a notice. Each bot
runs in its own process, as it would in production; the two measurements alternate so both see
the same machine load. The figure is the time from the colleague's send to the answer arriving
in the colleague's sync.

Run: ``python -m bench.matrix_latency`` (100 needs; ``--needs N``, ``--encrypted`` for
end-to-end encrypted rooms, ``--json`` for one JSON line). Target: the bot's p50 and p95 at most
30 % over the echo round trip. The exit status is 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    MatrixRoom,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendResponse,
)

from tests.matrix.helpers import Colleague
from tests.matrix.synapse import Account, Synapse

TARGET = 0.30
WARM_UP = 5


@dataclass
class Waiter:
    """Answers the colleague is waiting for, by the event id they answer."""

    pending: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    early: dict[str, float] = field(default_factory=dict)  # answers seen before the send returned

    def expect(self, event_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if event_id in self.early:
            future.set_result(self.early.pop(event_id))
        else:
            self.pending[event_id] = future
        return future

    async def on_event(self, room: MatrixRoom, event: Any) -> None:
        content = event.source.get("content", {})
        relates = content.get("m.relates_to") or {}
        target = (relates.get("m.in_reply_to") or {}).get("event_id") or relates.get("event_id")
        if not isinstance(target, str) or event.sender == room.own_user_id:
            return
        future = self.pending.pop(target, None)
        if future is None:
            self.early[target] = time.perf_counter()
        elif not future.done():
            future.set_result(time.perf_counter())


# -- the two bots, each run in a child process -------------------------------------------------


async def serve_echo(settings: dict[str, Any]) -> None:
    """The least a bot can do: a nio client answering each message with a notice."""
    config = AsyncClientConfig(encryption_enabled=settings["encrypted"], store_sync_tokens=False)
    client = AsyncClient(
        settings["url"], settings["user_id"], settings["device_id"], settings["store"], config=config
    )
    client.restore_login(settings["user_id"], settings["device_id"], settings["access_token"])

    async def echo(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == client.user_id:
            return
        content = {
            "msgtype": "m.notice",
            "body": event.body,
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        await client.room_send(room.room_id, "m.room.message", content, ignore_unverified_devices=True)

    client.add_event_callback(echo, RoomMessageText)
    if client.should_upload_keys:
        await client.keys_upload()
    await client.join(settings["room"])
    await client.sync(timeout=0, full_state=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    syncing = asyncio.create_task(client.sync_forever(timeout=30_000))
    await stop.wait()
    syncing.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await syncing
    await client.close()


async def serve_entraide(settings: dict[str, Any]) -> None:
    from adapters.matrix import MatrixAdapter
    from bot.app import run_adapters
    from bot.chat.host import Host
    from skills_db.storage.models import ClaimSource
    from tests.support import make_services

    services = make_services(
        settings["database"],
        matrix=settings["matrix"],
        routing={"mode": "suggest"},
        bot={"log_level": "WARNING"},
    )
    helper = services.store.person_for("matrix", settings["helper"], "Alice")
    services.store.add_claim(helper.id or 0, "Terraform", ClaimSource.DECLARED)
    await run_adapters(services, [MatrixAdapter(services.config.matrix, Host.of(services))])


def serve(role: str, settings_file: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    settings = json.loads(Path(settings_file).read_text("utf-8"))
    asyncio.run(serve_echo(settings) if role == "echo" else serve_entraide(settings))


# -- the measuring side ------------------------------------------------------------------------


def spawn(role: str, settings: dict[str, Any], workdir: Path) -> subprocess.Popen[bytes]:
    path = workdir / f"{role}.json"
    path.write_text(json.dumps(settings), "utf-8")
    log = (workdir / f"{role}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bench.matrix_latency", "--serve", role, str(path)], stdout=log, stderr=log
    )


async def timed(person: Colleague, waiter: Waiter, room: str, text: str) -> float:
    started = time.perf_counter()
    response = await person.client.room_send(
        room, "m.room.message", {"msgtype": "m.text", "body": text}, ignore_unverified_devices=True
    )
    assert isinstance(response, RoomSendResponse), response
    answered = await asyncio.wait_for(waiter.expect(response.event_id), timeout=30)
    return (answered - started) * 1000


def summary(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": statistics.median(samples), "p95": cuts[94], "max": max(samples)}


async def measure(needs: int, encrypted: bool, workdir: Path) -> dict[str, Any]:
    synapse = Synapse(workdir / "synapse")
    synapse.start()
    try:
        return await _measure(synapse, needs, encrypted, workdir)
    finally:
        synapse.stop()


async def _measure(synapse: Synapse, needs: int, encrypted: bool, workdir: Path) -> dict[str, Any]:
    bob_account, alice_account = synapse.register("bob"), synapse.register("alice")
    bot_account, echo_account = synapse.register("entraide"), synapse.register("echo")
    bob = Colleague(synapse, bob_account, workdir / "bob")
    await bob.client.set_displayname("Bob")
    await bob.start()
    waiter = Waiter()
    bob.client.add_event_callback(waiter.on_event, (RoomMessageText, RoomMessageNotice))
    alice = alice_account.user_id
    help_room = await bob.create_room(invite=[bot_account.user_id, alice], encrypted=encrypted)
    echo_room = await bob.create_room(invite=[echo_account.user_id, alice], encrypted=encrypted)
    children = [
        spawn("echo", _echo_settings(synapse, echo_account, echo_room, encrypted, workdir), workdir),
        spawn("entraide", _bot_settings(synapse, bot_account, help_room, alice, workdir), workdir),
    ]
    try:
        await bob.wait_member(help_room, bot_account.user_id, timeout=60)
        await bob.wait_member(echo_room, echo_account.user_id, timeout=60)
        bot_ms: list[float] = []
        echo_ms: list[float] = []
        for number in range(needs + WARM_UP):  # the first rounds warm caches and sessions up
            text = f"? need help with terraform state locking, case {number}"
            echo_sample = await timed(bob, waiter, echo_room, text)
            bot_sample = await timed(bob, waiter, help_room, text)
            if number >= WARM_UP:
                echo_ms.append(echo_sample)
                bot_ms.append(bot_sample)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        await bob.stop()
    bot, bare = summary(bot_ms), summary(echo_ms)
    return {
        "needs": needs,
        "encrypted": encrypted,
        "synapse_start_s": round(synapse.start_seconds, 2),
        "bot_ms": {k: round(v, 1) for k, v in bot.items()},
        "echo_ms": {k: round(v, 1) for k, v in bare.items()},
        "overhead_p50": round(bot["p50"] / bare["p50"] - 1, 3),
        "overhead_p95": round(bot["p95"] / bare["p95"] - 1, 3),
    }


def _echo_settings(
    synapse: Synapse, account: Account, room: str, encrypted: bool, workdir: Path
) -> dict[str, Any]:
    store = workdir / "echo-store"
    store.mkdir(exist_ok=True)
    return {
        "url": synapse.url,
        "user_id": account.user_id,
        "device_id": account.device_id,
        "access_token": account.access_token,
        "store": str(store),
        "room": room,
        "encrypted": encrypted,
    }


def _bot_settings(
    synapse: Synapse, account: Account, room: str, helper: str, workdir: Path
) -> dict[str, Any]:
    return {
        "database": f"sqlite:///{workdir}/entraide.db",
        "helper": helper,
        "matrix": {
            "homeserver": synapse.url,
            "user_id": account.user_id,
            "password": account.password,
            "store_dir": str(workdir / "bot-store"),
            "help_rooms": [room],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=100)
    parser.add_argument("--encrypted", action="store_true", help="end-to-end encrypted rooms")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    parser.add_argument("--serve", nargs=2, metavar=("ROLE", "SETTINGS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(*args.serve)
        return 0
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="entraide-matrix-bench-") as tmp:
        result = asyncio.run(measure(args.needs, args.encrypted, Path(tmp)))
    within = result["overhead_p50"] <= TARGET and result["overhead_p95"] <= TARGET
    if args.json:
        print(json.dumps({**result, "target_met": within}))
        return 0 if within else 1
    rooms = "encrypted" if args.encrypted else "unencrypted"
    print(f"{result['needs']} needs, {rooms} rooms, Synapse started in {result['synapse_start_s']} s")
    print(f"{'':12}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, key in (("echo bot", "echo_ms"), ("entraide", "bot_ms")):
        row = result[key]
        print(f"{name:12}{row['p50']:>10}{row['p95']:>10}{row['max']:>10}")
    print(f"overhead over echo: p50 {result['overhead_p50']:+.0%}, p95 {result['overhead_p95']:+.0%}")
    print(f"target (≤ {TARGET:.0%} over echo): {'met' if within else 'NOT met'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
