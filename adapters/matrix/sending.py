"""Sending events reliably: retries with one transaction id, rate limits honoured."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from nio import (
    AsyncClient,
    ErrorResponse,
    LocalProtocolError,
    RoomMessagesResponse,
    RoomSendResponse,
    UploadResponse,
)

from adapters.matrix.client import TRANSIENT, Backoff, retry_after
from adapters.matrix.render import DELIVERY_FIELD
from bot.chat.events import Attachment

log = logging.getLogger("entraide.matrix")
OWN_EVENTS_LOOKED_AT = 100  # the bot's own latest events searched for an earlier delivery


class MatrixSendError(RuntimeError):
    pass


class Outbox:
    """Every event the bot posts goes through here.

    nio itself waits ``retry_after_ms`` when the homeserver rate limits a request (a bounded
    number of times, see ``make_client``); what is left — network errors, a homeserver
    restarting, limits outlasting nio's retries — is retried here, ``attempts`` times at most,
    always with the same transaction id: the homeserver then returns the first event instead
    of posting a second one.

    Transaction ids are scoped to the device (MSC3970, Matrix 1.7; Synapse keys them on user
    and device), and the bot keeps its device across restarts and logins (see ``client``), so
    this holds across a crash too — but Synapse forgets them after 24 hours. ``find_sent``
    covers a resend after longer than that.
    """

    def __init__(
        self, client: AsyncClient, backoff: Backoff, attempts: int = 6, concurrency: int = 4
    ) -> None:
        self._client = client
        self._backoff = backoff
        self._attempts = attempts
        self._slots = asyncio.Semaphore(concurrency)
        self.rate_limited = 0  # 429 answers seen: sends delayed, never dropped
        client.add_response_callback(self._count_rate_limit, ErrorResponse)

    async def send(self, room_id: str, content: dict[str, Any], txn_id: str) -> str:
        backoff = Backoff(base=self._backoff.base, cap=self._backoff.cap)
        last: object = None
        async with self._slots:
            for _attempt in range(self._attempts):
                try:
                    response = await self._client.room_send(
                        room_id, "m.room.message", content, tx_id=txn_id, ignore_unverified_devices=True
                    )
                except TRANSIENT as error:
                    last = error
                    await asyncio.sleep(backoff.next_delay())
                    continue
                except LocalProtocolError as error:
                    # nio refused before asking the homeserver (a room it has not synced).
                    raise MatrixSendError(f"cannot send to {room_id}: {error}") from error
                if isinstance(response, RoomSendResponse):
                    return str(response.event_id)
                last = response
                wait = retry_after(response)
                if wait is None and not _server_error(response):
                    break  # refused for good (not in the room, forbidden): retrying cannot help
                await asyncio.sleep(wait if wait is not None else backoff.next_delay())
        raise MatrixSendError(f"cannot send to {room_id}: {last}")

    def encrypted(self, room_id: str) -> bool:
        """Whether the room is encrypted, as sync showed it (what nio's room_send goes by too)."""
        room = self._client.rooms.get(room_id)
        return bool(room is not None and room.encrypted)

    async def upload(self, file: Attachment, *, encrypt: bool) -> tuple[str, dict[str, Any] | None] | None:
        """Put ``file`` in the media repository (encrypted first, with ``encrypt``): its mxc://
        URI and, when encrypted, the keys to decrypt it. None when the homeserver refused it for
        good (too large, not allowed); transient failures are retried as sends are, then raise
        MatrixSendError (a later delivery tries again)."""
        backoff = Backoff(base=self._backoff.base, cap=self._backoff.cap)
        last: object = None
        async with self._slots:
            for _attempt in range(self._attempts):
                try:
                    response, keys = await self._client.upload(
                        lambda *_: file.data,  # called again if nio restarts the upload
                        content_type=file.mime,
                        filename=file.filename,
                        encrypt=encrypt,
                        filesize=len(file.data),
                    )
                except TRANSIENT as error:
                    last = error
                    await asyncio.sleep(backoff.next_delay())
                    continue
                if isinstance(response, UploadResponse):
                    return str(response.content_uri), keys
                last = response
                wait = retry_after(response)
                if wait is None and not _server_error(response):
                    log.warning("the media repository refused %s: %s", file.filename, response)
                    return None
                await asyncio.sleep(wait if wait is not None else backoff.next_delay())
        raise MatrixSendError(f"cannot upload {file.filename}: {last}")

    async def find_sent(self, room_id: str, txn_id: str) -> str | None:
        """The event the bot already posted in ``room_id`` with ``txn_id``, if it is among its
        latest events there; None otherwise, or when the homeserver cannot say.

        The homeserver gives the sending device its transaction id back in each event's
        ``unsigned``, for good (not only for the 24 hours it deduplicates sends), and outside the
        encrypted payload: this works in encrypted rooms, and room members see nothing of it.
        Another device of the bot (another instance, resending what one that died had posted)
        gets no such thing: it recognises the post by its content's ``DELIVERY_FIELD`` — in an
        encrypted room only if the sender shared the room key with it (nio shares it with every
        device of the room's members it knows, the bot's own included); if not, it posts again.
        """
        only_own = {"senders": [self._client.user_id], "types": ["m.room.message", "m.room.encrypted"]}
        try:
            response = await self._client.room_messages(
                room_id, limit=OWN_EVENTS_LOOKED_AT, message_filter=only_own
            )
        except TRANSIENT as error:
            log.warning("cannot look for an earlier delivery in %s (%r)", room_id, error)
            return None
        if not isinstance(response, RoomMessagesResponse):
            log.warning("cannot look for an earlier delivery in %s (%s)", room_id, response)
            return None
        for event in response.chunk:
            content = getattr(event, "source", {}).get("content")
            delivery = content.get(DELIVERY_FIELD) if isinstance(content, dict) else None
            if txn_id in (getattr(event, "transaction_id", None), delivery):
                return str(event.event_id)
        return None

    async def _count_rate_limit(self, response: Any) -> None:
        if retry_after(response) is not None:
            self.rate_limited += 1
            log.info("rate limited by the homeserver", extra={"retry_after_ms": response.retry_after_ms})


def _server_error(response: object) -> bool:
    status = getattr(getattr(response, "transport_response", None), "status", 0) or 0
    return isinstance(status, int) and status >= 500
