"""A reply with a file at the console: a terminal shows no image, so the text is followed by a
line naming the file and what it shows. Sent through the outbox as the bot sends everything."""

from __future__ import annotations

import io

from adapters.console import ConsoleAdapter
from bot.chat.actions import Actions
from bot.chat.context import Outgoing
from bot.chat.events import Attachment, Reply
from bot.chat.text import WORD_JOINER
from tests.support import make_services

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def deliver(reply: Reply, database_url: str, key: str = "barometer:2026-W49") -> str:
    output = io.StringIO()
    console = ConsoleAdapter(output=output)
    services = make_services(database_url)
    actions = Actions(services)
    actions.attach(console)
    try:
        await actions.run(lambda: [Outgoing("console", "", reply)], key)
    finally:
        actions.close()
        services.store.close()
    return output.getvalue()


async def test_a_reply_with_a_chart_prints_its_text_then_what_is_attached(sqlite_url: str) -> None:
    chart = Attachment("barometer.png", "image/png", PNG, "Weekly needs by skill, and the gaps")
    reply = Reply(body=("Barometer, 12 weeks\nKubernetes ▁▃▅█",), conversation="general", attachment=chart)
    assert (await deliver(reply, sqlite_url)).splitlines() == [
        "entraide: Barometer, 12 weeks",
        "          Kubernetes ▁▃▅█",
        "          [attached: barometer.png — Weekly needs by skill, and the gaps]",
    ]


async def test_an_attachment_without_alt_text_is_named_and_its_alt_text_pings_nobody(
    sqlite_url: str,
) -> None:
    bare = Reply(body=("Chart",), conversation="general", attachment=Attachment("c.png", "image/png", PNG))
    assert (await deliver(bare, sqlite_url)).splitlines()[-1] == "          [attached: c.png]"
    loud = Attachment("c.png", "image/png", PNG, "needs of @here")
    printed = await deliver(
        Reply(body=("Chart",), conversation="general", attachment=loud), sqlite_url, "loud"
    )
    assert printed.splitlines()[-1] == f"          [attached: c.png — needs of @{WORD_JOINER}here]"
