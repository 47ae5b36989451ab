"""A reply with a file (the barometer's chart) on Slack: its message, then the file, shared with
the upload flow that replaced files.upload (getUploadURLExternal, the bytes POSTed to the URL it
gives, completeUploadExternal), into the same conversation or thread.

The real adapter talks to the Slack double; what landed is read back from the double, the file's
bytes included, and every Web API call is checked against Slack's spec and its supplement.
"""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.barometer.chart import render_png
from bot.barometer.model import ChartData
from bot.chat.events import Attachment, Reply, UserRef
from tests.slack_double.harness import ALICE, HELP, Bot, slack_bot
from tests.slack_double.server import SlackDouble
from tests.slack_double.spec_check import web_api_spec
from tests.slack_double.workspace import BOT_USER, Message

MANAGERS = "C0MANAGERS"
ALT = "Weekly needs by skill over 3 weeks, and the skills with too few helpers"


def chart() -> Attachment:
    data = ChartData(
        "Barometer", ("2026-W47", "2026-W48", "2026-W49"), (("Kubernetes", (4, 6, 9)),), (("Rust", 8, 1),)
    )
    png = render_png(data)
    assert png is not None
    return Attachment("barometer.png", "image/png", png, ALT)


CHART = chart()
BAROMETER = Reply(
    body=("Barometer: Kubernetes needs are up (9 this week).",),
    conversation=MANAGERS,
    key="barometer:slack:2026-W49",
    attachment=CHART,
)
FLOW = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def managers_channel(bot: Bot) -> None:
    bot.double.space.add_channel(MANAGERS, "community-managers", [ALICE, BOT_USER])


def requests(bot: Bot) -> list[str]:
    """What the bot asked of Slack, in order (an upload POST named without its file id)."""
    return [r.split()[0] for r in bot.double.requests if r not in ("auth.test", "users.info")]


def shared_file(bot: Bot, message: Message) -> bytes:
    [file] = message.files
    stored = bot.double.space.files.by_id[file["id"]]
    assert stored.data is not None
    return stored.data


async def test_a_reply_with_a_chart_posts_its_message_then_shares_the_file_after_it(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        managers_channel(bot)
        sent = await bot.adapter.send(BAROMETER)
        assert sent is not None and sent.conversation == MANAGERS
        assert requests(bot) == ["chat.postMessage", *FLOW]
        text, upload = bot.double.bot_messages(MANAGERS)
        assert text.ts == sent.message_id and text.text.startswith("Barometer: Kubernetes")
        assert shared_file(bot, upload) == CHART.data
        [file] = upload.files
        assert (file["name"], file["title"], file["mimetype"], file["alt_txt"]) == (
            "barometer.png",
            ALT,
            "image/png",
            ALT,
        )
        [asked] = bot.double.calls_to("files.getUploadURLExternal")
        assert int(asked.params["length"]) == len(CHART.data)
        [completed] = bot.double.calls_to("files.completeUploadExternal")
        assert completed.params["channel_id"] == MANAGERS and "thread_ts" not in completed.params
        # Another client reading the channel sees the message, then the file, newest first.
        history = await AsyncWebClient(
            token=bot.double.bot_token, base_url=bot.double.api_url
        ).conversations_history(channel=MANAGERS)
        newest, oldest = history["messages"]
        assert oldest["ts"] == sent.message_id and newest["files"][0]["size"] == len(shared_file(bot, upload))


async def test_in_a_thread_the_file_follows_the_reply_in_that_thread(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        asked = bot.double.space.add_message(HELP, ALICE, "admin barometer")
        sent = await bot.adapter.send(replace(BAROMETER, conversation=HELP, thread=asked.ts, key="t:1"))
        assert sent is not None
        text, upload = bot.double.bot_messages(HELP, thread=asked.ts)
        assert text.ts == sent.message_id and upload.files and upload.thread_ts == asked.ts
        assert bot.double.bot_messages(HELP) == [text, upload]  # nothing outside the thread


async def test_a_private_answer_with_a_chart_goes_to_a_dm_since_ephemeral_messages_carry_no_file(
    sqlite_url: str,
) -> None:
    async with slack_bot(sqlite_url) as bot:
        private = replace(BAROMETER, conversation=HELP, to=UserRef("slack", ALICE, "Alice"), ephemeral=True)
        sent = await bot.adapter.send(private)
        assert sent is not None and sent.conversation.startswith("D")
        assert bot.double.ephemerals_for(ALICE) == [] and bot.double.bot_messages(HELP) == []
        text, upload = bot.double.dms_to(ALICE)
        assert text.ts == sent.message_id and shared_file(bot, upload) == CHART.data


async def test_a_resend_shares_the_file_only_if_it_is_not_there_yet(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        managers_channel(bot)
        # A first delivery cut between the message and the file: the message landed alone.
        first = await bot.adapter.send(replace(BAROMETER, attachment=None))
        bot.double.space.add_message(MANAGERS, ALICE, "looking forward to the chart")
        again = await bot.adapter.send(replace(BAROMETER, attempt=2))
        assert again == first
        messages = bot.double.bot_messages(MANAGERS)
        assert [bool(m.files) for m in messages] == [False, True]  # the message once, the file now
        # Cut after both: a third delivery shares nothing twice.
        assert await bot.adapter.send(replace(BAROMETER, attempt=3)) == first
        assert bot.double.bot_messages(MANAGERS) == messages
        assert len(bot.double.calls_to("files.completeUploadExternal")) == 1


async def test_when_slack_refuses_the_file_the_message_stands(sqlite_url: str) -> None:
    async with slack_bot(sqlite_url) as bot:
        managers_channel(bot)
        bot.double.refuse("files.getUploadURLExternal", "missing_scope")  # installed before files:write
        sent = await bot.adapter.send(BAROMETER)
        assert sent is not None
        [text] = bot.double.bot_messages(MANAGERS)
        assert text.ts == sent.message_id and not text.files
        assert bot.double.calls_to("files.completeUploadExternal") == []


async def test_the_double_refuses_files_upload_and_bytes_of_another_length_like_slack() -> None:
    double = SlackDouble()
    await double.start()
    try:
        double.space.add_channel(MANAGERS, "community-managers", [BOT_USER])
        client = AsyncWebClient(token=double.bot_token, base_url=double.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.api_call(
                "files.upload", data={"channels": MANAGERS, "content": "x", "filename": "x"}
            )
        assert refused.value.response["error"] == "method_deprecated"
        reserved = await client.files_getUploadURLExternal(filename="x.png", length=10)
        async with (
            aiohttp.ClientSession() as session,
            session.post(str(reserved["upload_url"]), data=b"short") as response,
        ):
            assert response.status == 400
        with pytest.raises(SlackApiError) as incomplete:
            await client.files_completeUploadExternal(
                files=[{"id": reserved["file_id"]}], channel_id=MANAGERS
            )
        assert incomplete.value.response["error"] == "file_not_found"
        assert double.space.files.messages_in(MANAGERS) == []
    finally:
        await double.stop()
    [problem] = web_api_spec().problems_in(double.calls)
    assert problem.startswith("files.upload: retired")
