"""A reply with a file (the barometer's chart) on Matrix: the notice, then an ``m.image`` whose
file is in the media repository — encrypted in an encrypted room, where a member downloads the
ciphertext and decrypts it with what the (encrypted) event carries, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from nio import MemoryDownloadResponse
from nio.crypto.attachments import decrypt_attachment

from bot.barometer.chart import render_png
from bot.barometer.model import ChartData
from bot.chat.events import Attachment, Reply
from tests.matrix.conftest import MakeColleague, MakeServices
from tests.matrix.helpers import Colleague, Seen, running
from tests.matrix.synapse import Account, Synapse

ALT = "Weekly needs by skill, and the skills with too few helpers"


def chart() -> Attachment:
    data = ChartData("Barometer", ("2026-W48", "2026-W49"), (("Kubernetes", (3, 8)),), (("Rust", 6, 1),))
    png = render_png(data)
    assert png is not None
    return Attachment("barometer.png", "image/png", png, ALT)


def barometer(room: str, key: str) -> Reply:
    return Reply(
        body=("Barometer: Kubernetes needs are up.",), conversation=room, key=key, attachment=chart()
    )


def images_from(person: Colleague, bot: str, room: str) -> list[Seen]:
    return [
        s
        for s in person.seen
        if s.sender == bot and s.room_id == room and s.content.get("msgtype") == "m.image"
    ]


async def download(person: Colleague, mxc: str) -> bytes:
    assert mxc.startswith("mxc://")
    response = await person.client.download(mxc=mxc)
    assert isinstance(response, MemoryDownloadResponse), response
    return bytes(response.body)


async def test_in_an_encrypted_room_a_member_decrypts_the_chart_byte_for_byte(
    colleague: MakeColleague, bot_account: Callable[..., Account], bot_services: MakeServices
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot], encrypted=True, name="managers")
    reply = barometer(room, "barometer:matrix:2026-W49")
    async with running(bot_services(account)) as running_bot:
        await bob.wait_member(room, bot)
        sent = await running_bot.adapter.send(reply)
        image = await bob.wait_for(lambda s: s in images_from(bob, bot, room))

    assert sent is not None
    [notice] = bob.notices_from(bot, room)
    assert notice.event_id == sent.message_id and bob.seen.index(notice) < bob.seen.index(image)
    assert image.decrypted  # the event itself travelled encrypted
    content = image.content
    assert "url" not in content and content["body"] == ALT and content["filename"] == "barometer.png"
    png = chart().data
    assert content["info"] == {"mimetype": "image/png", "size": len(png), "w": 800, "h": 600}
    assert content["m.mentions"] == {}
    encrypted = content["file"]
    assert encrypted["v"] == "v2" and encrypted["key"]["alg"] == "A256CTR"
    stored = await download(bob, encrypted["url"])
    assert stored != png and len(stored) == len(png)  # the homeserver holds only ciphertext
    plain = decrypt_attachment(stored, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"])
    assert plain == png


def stored_media(synapse: Synapse) -> int:
    """How many files the homeserver's media repository holds (uploaded on this server)."""
    return sum(1 for path in (synapse.directory / "media").rglob("*") if path.is_file())


async def test_in_a_plain_room_the_image_links_the_media_and_stays_in_the_thread_once(
    synapse: Synapse,
    colleague: MakeColleague,
    bot_account: Callable[..., Account],
    bot_services: MakeServices,
) -> None:
    bob = await colleague("Bob")
    account = bot_account()
    bot = account.user_id
    room = await bob.create_room(invite=[bot], encrypted=False, name="managers")
    async with running(bot_services(account)) as running_bot:
        await bob.wait_member(room, bot)
        asked = await bob.say(room, "how are the teams doing?")
        reply = replace(barometer(room, "barometer:plain"), thread=asked)
        sent = await running_bot.adapter.send(reply)
        uploaded = stored_media(synapse)
        # A delivery whose record was lost is sent again: neither the notice nor the image twice.
        again = await running_bot.adapter.send(replace(reply, attempt=2))
        assert stored_media(synapse) == uploaded  # found already posted: not uploaded again
        marker = await running_bot.adapter.send(Reply(body=("Marker",), conversation=room, key="marker"))
        assert marker is not None
        await bob.wait_for(lambda s: s.event_id == marker.message_id)

    assert sent is not None and again == sent
    [image] = images_from(bob, bot, room)
    assert not image.decrypted and "file" not in image.content
    assert image.thread == asked and image.relation["m.in_reply_to"] == {"event_id": sent.message_id}
    assert await download(bob, image.content["url"]) == chart().data
