"""The weekly shout-out in an encrypted Matrix room is posted exactly once by real `entraide run`
processes on one PostgreSQL database, against the real Synapse: killed before its time and
restarted after it, killed the moment the post landed (before Synapse's answer reached it) and
restarted, and two instances started together. Bob, a member, reads the room.

Two instances of one bot account are two devices: each has its own ``store_dir`` (its own
``session.json`` and encryption store), and both share the database (sync position, processed
events, outbox, ledger). A restarted instance keeps its store_dir, hence its device.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from skills_db.storage.store import Store
from tests.entraide_process import (
    WEEK_ONE,
    WEEK_TWO,
    helped,
    posted_once_through_kills_restarts_and_two_instances,
    starting,
)
from tests.matrix.conftest import MakeColleague
from tests.matrix.helpers import Colleague
from tests.matrix.proxy import HomeserverProxy
from tests.matrix.synapse import Account, Synapse

pytestmark = pytest.mark.postgres

TITLE = "🙌 Thank you, helpers of the week"
MESSAGES = ("m.room.message", "m.room.encrypted")  # what is posted, not state (the bot's join)


class MatrixRoom:
    """The shout-out room as Bob sees it."""

    connected = "matrix connected"

    def __init__(self, reader: Colleague, bot: str, room: str, proxy: HomeserverProxy) -> None:
        self.reader, self.bot, self.room, self.proxy = reader, bot, room, proxy

    def posts(self) -> list[str]:
        """The bot's messages in the room, by event id: every one a shout-out notice (one Bob
        could not decrypt would count too, and fail the check)."""
        found = []
        for seen in self.reader.seen:
            kind = seen.source.get("type")
            if seen.room_id == self.room and seen.sender == self.bot and kind in MESSAGES:
                assert seen.is_notice(self.bot) and seen.body.startswith(TITLE), seen.source
                found.append(seen.event_id)
        return found

    def hold_posts(self) -> Callable[[], None]:
        return self.proxy.hold_sends(self.room).set

    async def settled_posts(self) -> list[str]:
        # The bot is stopped; a room's events reach Bob in order: once his own message is
        # back, any post before it has arrived too.
        marker = await self.reader.say(self.room, "marker")
        await self.reader.wait_for(lambda s: s.event_id == marker)
        return self.posts()


async def test_the_matrix_shout_out_is_posted_once_through_kills_restarts_and_two_instances(
    synapse: Synapse,
    colleague: MakeColleague,
    bot_account: Callable[..., Account],
    postgres_url: str,
    tmp_path: Path,
) -> None:
    bob = await colleague("Bob")
    alice, carol = (synapse.register(f"{name}-{tmp_path.name[-6:]}") for name in ("alice", "carol"))
    account = bot_account()
    members = (account, alice, carol)  # a team room, not a direct chat: Bob's marker is no command
    room = await bob.create_room(invite=[m.user_id for m in members], encrypted=True, name="kudos")
    for member in members:
        synapse.request("POST", f"/_matrix/client/v3/join/{room}", {}, token=member.access_token)
        await bob.wait_member(room, member.user_id)
    channel = f"matrix:{room}"

    store = Store.open(postgres_url)  # migrated once here: the processes do not race on the schema
    helped(store, "matrix", (bob.user_id, "Bob"), (alice.user_id, "Alice"), WEEK_ONE - timedelta(days=2))
    helped(store, "matrix", (carol.user_id, "Carol"), (alice.user_id, "Alice"), WEEK_TWO - timedelta(days=2))
    proxy = HomeserverProxy(synapse.url)
    await proxy.start()

    def config(name: str) -> Path:
        """One store_dir per instance: the second instance started together is a device of its own."""
        store_dir = tmp_path / ("second-store" if name == "two" else "bot-store")
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f"""
[database]
url = "{postgres_url}"
[bot]
log_format = "json"
[matrix]
enabled = true
homeserver = "{proxy.url}"
user_id = "{account.user_id}"
password = "{account.password}"
store_dir = "{store_dir}"
[shoutouts]
channels = ["{channel}"]
""",
            "utf-8",
        )
        return path

    try:
        with starting(config, tmp_path) as start:
            view = MatrixRoom(bob, account.user_id, room, proxy)
            await posted_once_through_kills_restarts_and_two_instances(start, view, store, channel)
    finally:
        await proxy.stop()
        store.close()
    # One device across restarts on one store_dir; the other instance, another device.
    devices = {name: _device(tmp_path / f"{name}.err") for name in ("early", "late", "again", "one", "two")}
    assert len({devices[n] for n in ("early", "late", "again", "one")}) == 1, devices
    assert devices["two"] != devices["one"]


def _device(log: Path) -> str:
    """The device the process said it connected as."""
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line.startswith("{")]
    [connected] = [line for line in lines if line.get("message") == "matrix connected"]
    return str(connected["device_id"])
