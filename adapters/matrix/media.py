"""A reply's file (the barometer's chart) on Matrix: uploaded to the media repository, then sent
as an ``m.image`` (``m.file`` for anything else) right after the reply's notice.

In an encrypted room the file is encrypted before it leaves (AES-CTR, nio's attachment
encryption): the homeserver stores ciphertext, and the event — itself encrypted — carries the
key, IV and hash under ``file`` (an EncryptedFile) instead of a plain ``url``. Members decrypt
with them; the homeserver cannot.

The event has its own transaction id, derived from the reply's key, so a resend of the reply is
recognised by the homeserver (or found among the bot's events, :meth:`Outbox.find_sent`) and the
image is not posted twice; only a delivery cut between the upload and the event uploads the
file again (an unreferenced copy in the media repository, which nobody sees).
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from adapters.matrix.render import transaction_id
from adapters.matrix.sending import Outbox
from bot.chat.events import Attachment, Reply
from bot.chat.text import neutralise_broadcasts

log = logging.getLogger("entraide.matrix")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def attachment_transaction_id(reply_base: str) -> str:
    """The file's event's transaction id: the reply's own (``reply_base`` is what the notice's
    was derived from) plus a suffix, stable across resends."""
    return transaction_id(reply_base + ":attachment")


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header chunk, or None when ``data`` is no PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def media_content(
    file: Attachment,
    *,
    url: str,
    keys: dict[str, Any] | None,
    thread_root: str | None = None,
    reply_to: str | None = None,
) -> dict[str, Any]:
    """The event content for ``file`` uploaded at ``url``; with ``keys`` (an encrypted upload)
    the URL goes inside an EncryptedFile with them. In a thread, the image stays in it, quoting
    the notice it illustrates for clients without threads."""
    image = file.mime.startswith("image/")
    info: dict[str, Any] = {"mimetype": file.mime, "size": len(file.data)}
    size = png_size(file.data) if file.mime == "image/png" else None
    if size is not None:
        info["w"], info["h"] = size
    content: dict[str, Any] = {
        "msgtype": "m.image" if image else "m.file",
        # A body other than the filename is the file's caption (Matrix 1.10): its alt text.
        "body": neutralise_broadcasts(file.alt) or file.filename,
        "filename": file.filename,
        "info": info,
        "m.mentions": {},  # pings nobody, whatever the caption says
    }
    if keys is not None:
        content["file"] = {
            "url": url,
            "key": keys["key"],
            "iv": keys["iv"],
            "hashes": keys["hashes"],
            "v": keys["v"],
        }
    else:
        content["url"] = url
    if thread_root:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread_root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": reply_to or thread_root},
        }
    return content


async def send_attachment(
    outbox: Outbox, room_id: str, reply: Reply, base: str, *, thread_root: str | None, notice: str
) -> str | None:
    """Upload the reply's file and post its event in ``room_id``, after the ``notice`` that
    carried the reply (``base``: what the notice's transaction id was derived from). The event
    id, or None when the media repository refused the file (too large, forbidden): the notice
    then stands alone. On a resend, a file event found already posted is neither uploaded nor
    posted again.
    """
    file = reply.attachment
    assert file is not None
    txn_id = attachment_transaction_id(base)
    if reply.attempt > 1:
        earlier = await outbox.find_sent(room_id, txn_id)
        if earlier is not None:
            return earlier
    uploaded = await outbox.upload(file, encrypt=outbox.encrypted(room_id))
    if uploaded is None:
        return None
    url, keys = uploaded
    content = media_content(file, url=url, keys=keys, thread_root=thread_root, reply_to=notice)
    return await outbox.send(room_id, content, txn_id)
