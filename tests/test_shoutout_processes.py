"""The weekly shout-out on Slack is posted exactly once by real `entraide run` processes on one
PostgreSQL database: killed before its time and restarted after it, killed the moment the post
landed (before Slack's answer reached it) and restarted, and two instances started together.

The bot is the real Slack adapter (HTTP mode) pointed at the Slack double with ``[slack]
api_url``; every Web API call it made is checked against Slack's spec at the end.
"""

from __future__ import annotations

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
from tests.slack_double.server import SlackDouble
from tests.slack_double.spec_check import web_api_spec
from tests.slack_double.workspace import BOT_USER

pytestmark = pytest.mark.postgres

KUDOS = "C0KUDOS"
CHANNEL = f"slack:{KUDOS}"
ALICE, BOB, CAROL = ("U0ALICE", "Alice"), ("U0BOB", "Bob"), ("U0CAROL", "Carol")
TITLE = "🙌 Thank you, helpers of the week"


class SlackChannel:
    """#kudos in the double's workspace, as its members see it."""

    connected = "slack connected"

    def __init__(self, double: SlackDouble) -> None:
        self.double = double

    def posts(self) -> list[str]:
        """Every message of the bot in the channel, by the key its metadata carries."""
        found = []
        for message in self.double.bot_messages(KUDOS):
            assert message.text.startswith(TITLE), message.text
            found.append(str(((message.metadata or {}).get("event_payload") or {}).get("key", "")))
        return found

    def hold_posts(self) -> Callable[[], None]:
        return self.double.hold("chat.postMessage").set

    async def settled_posts(self) -> list[str]:
        return self.posts()  # the double's workspace is where posts land: nothing is on its way


async def test_the_slack_shout_out_is_posted_once_through_kills_restarts_and_two_instances(
    postgres_url: str, tmp_path: Path
) -> None:
    spec = web_api_spec()
    double = SlackDouble()
    await double.start()
    for user, name in (ALICE, BOB, CAROL):
        double.space.add_user(user, name)
    double.space.add_channel(KUDOS, "kudos", [ALICE[0], BOB[0], CAROL[0], BOT_USER])
    store = Store.open(postgres_url)  # migrated once here: the processes do not race on the schema
    helped(store, "slack", BOB, ALICE, WEEK_ONE - timedelta(days=2))
    helped(store, "slack", CAROL, ALICE, WEEK_TWO - timedelta(days=2))
    config = tmp_path / "entraide.toml"
    config.write_text(
        f"""
[database]
url = "{postgres_url}"
[bot]
log_format = "json"
[slack]
enabled = true
mode = "http"
bot_token = "{double.bot_token}"
signing_secret = "{double.signing_secret}"
api_url = "{double.api_url}"
host = "127.0.0.1"
port = 0
[shoutouts]
channels = ["{CHANNEL}"]
""",
        "utf-8",
    )
    try:
        with starting(lambda _name: config, tmp_path) as start:
            channel = SlackChannel(double)
            await posted_once_through_kills_restarts_and_two_instances(start, channel, store, CHANNEL)
        assert channel.posts() == [f"shoutout:{CHANNEL}:2026-W50", f"shoutout:{CHANNEL}:2026-W51"]
        # The restarted bot looked for its earlier post rather than post again.
        assert len(double.calls_to("conversations.history")) == 1
        assert len(double.calls_to("chat.postMessage")) == 2
    finally:
        await double.stop()
        store.close()
    assert spec.problems_in(double.calls) == []
