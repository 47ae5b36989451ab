"""Socket Mode: the double's WebSocket server, slack_sdk's aiohttp client, reconnection."""

from __future__ import annotations

import re

import pytest

from adapters.slack.adapter import SlackAdapter, SlackStartError
from bot.chat.host import Host
from tests.slack_double.harness import ALICE, BOB, HELP, slack_bot
from tests.slack_double.payloads import message_events
from tests.slack_double.server import SlackDouble
from tests.slack_double.spec_check import web_api_spec
from tests.support import make_services


async def test_events_commands_and_buttons_arrive_over_the_socket(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, mode="socket", routing={"mode": "consent", "ask_count": 1}) as bot:
        double = bot.double
        bot.knows(BOB, "Bob", "Terraform")
        need = double.space.add_message(HELP, ALICE, "anyone know Terraform?")
        [envelope] = message_events(double.space, need)
        acks = [await double.send_event(envelope, retry=n) for n in range(3)]
        assert [a.status for a in acks] == [200, 200, 200]  # each envelope acknowledged
        [request] = await double.wait_for(lambda: double.dms_to(BOB))
        assert (await double.click(BOB, request, "Accept")).status == 200
        await double.wait_for(lambda: [m for m in double.bot_messages(HELP, need.ts) if "meet" in m.text])
        assert len(double.dms_to(BOB)) == 2  # one request (not three), one thank-you

        assert (await double.command(ALICE, HELP, "skills list")).status == 200
        [answer] = await double.wait_for(lambda: double.responses)
        assert "not declared any skill" in str(answer["text"])


async def test_the_bot_reconnects_when_slack_drops_the_socket(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, mode="socket") as bot:
        double = bot.double
        opened = len(double.calls_to("apps.connections.open"))
        await double.drop_sockets()
        await double.wait_for(lambda: len(double.calls_to("apps.connections.open")) > opened)
        await double.wait_for(double.healthy_sockets)
        dm = double.space.im_with(ALICE).id
        await double.say(ALICE, dm, "skills add Go")
        [answer] = await double.wait_for(lambda: double.bot_messages(dm))
        assert "Go" in answer.text


async def test_the_bot_reconnects_when_the_socket_goes_quiet(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url, mode="socket", ping_interval=0.25) as bot:
        double = bot.double
        opened = len(double.calls_to("apps.connections.open"))
        double.silence_sockets()  # still open, but no pong and no envelope gets through
        await double.wait_for(lambda: len(double.calls_to("apps.connections.open")) > opened, timeout=15)
        await double.wait_for(double.healthy_sockets)
        dm = double.space.im_with(ALICE).id
        await double.say(ALICE, dm, "skills add Go")
        [answer] = await double.wait_for(lambda: double.bot_messages(dm))
        assert "Go" in answer.text


@pytest.mark.parametrize(
    ("mode", "wrong", "message"),
    [
        ("socket", {"bot_token": "xoxb-revoked"}, "Slack refused the bot token (invalid_auth)"),
        ("socket", {"app_token": "xapp-revoked"}, "Slack refused the app-level token (invalid_auth)"),
        ("http", {"bot_token": "xoxb-revoked"}, "check [slack] bot_token or SLACK_BOT_TOKEN"),
    ],
)
async def test_a_token_slack_refuses_stops_the_start_with_a_clear_message(
    sqlite_url: str, mode: str, wrong: dict[str, str], message: str
) -> None:
    double = SlackDouble()
    await double.start()
    try:
        slack = {
            "mode": mode,
            "bot_token": double.bot_token,
            "app_token": double.app_token,
            "signing_secret": "s",
            "api_url": double.api_url.rstrip("/"),  # without the final slash, as people write it
            "port": 0,
            **wrong,
        }
        services = make_services(sqlite_url, slack=slack)
        adapter = SlackAdapter(services.config.slack, Host.of(services))

        async def sink(_event: object) -> None:
            raise AssertionError("nothing should arrive")

        with pytest.raises(
            SlackStartError,
            match=re.escape(message),
        ):
            await adapter.run(sink)
        assert not adapter.ready.is_set()
        assert double.calls and all(c.method in ("auth.test", "apps.connections.open") for c in double.calls)
        assert web_api_spec().problems_in(double.calls) == []
        services.store.close()
    finally:
        await double.stop()
