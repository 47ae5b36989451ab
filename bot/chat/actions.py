"""Actions: one unit of work off the event loop, then one way out through the outbox.

An inbound event, a scheduled job and a CLI command all run the same way:

1. in a worker thread, inside one database transaction, the handler reads and writes what it
   needs and says what it has to say; for an event, marking it processed is part of the same
   transaction, so a crash before the commit leaves it unprocessed (a platform retry or replay
   handles it again) and a crash after leaves nothing to redo;
2. what it said is written to the outbox in that transaction, each message with a stable key;
3. after the commit the messages are delivered and recorded (platform, conversation, message id
   → what they were about). A crash before a delivery leaves the message pending: the next
   sweep sends it with the same key — Matrix recognises the transaction id; Slack posts carry the
   key as message metadata and a resend first looks for it in the channel's or DM's recent
   history, so only a thread reply (or a post when that history cannot be read, or buried under
   a hundred newer messages) whose delivery was cut between the post and its record can be
   posted twice.

So processing is at least once, with effects made idempotent by the transaction and the keys.
A unit that collides with a concurrent one (the same new person created by two instances, a
locked SQLite database) is retried whole.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.chat.adapter import Adapter
from bot.chat.context import Outgoing, Services
from bot.chat.text import safe_reply
from bot.chat.wire import reply_from_json, reply_to_json
from bot.logs import log_failure
from skills_db.storage.outbox import DELIVERY_LEASE, Pending

log = logging.getLogger("entraide.actions")

T = TypeVar("T")
RETRIES = 4
POSTGRES_WORKERS = 6  # units of work at once on PostgreSQL (its pool holds 5 + 10 connections)
DELIVERY_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=1)  # a failed delivery is tried again by a sweep this much later


def _retriable(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        return True  # a concurrent unit created the same row: the retry finds it
    if isinstance(error, OperationalError):
        return "locked" in str(error) or "deadlock" in str(error) or "serializ" in str(error)
    return isinstance(error, DBAPIError) and error.connection_invalidated


class Actions:
    """Runs units of work in worker threads and delivers what they said."""

    def __init__(
        self, services: Services, *, workers: int | None = None, fresh_indexes: bool = False
    ) -> None:
        self.services = services
        # A replay (the console's --clock-at) must give the same records at every run: each
        # unit then reads indexes brought up to date as it starts, not as of the last periodic
        # refresh, whose moment depends on real time and on when the process (re)started.
        self.fresh_indexes = fresh_indexes
        if workers is None:
            # SQLite has one writer at a time, and every unit of work writes (its event's mark):
            # more threads would only take turns, paying for the switches (a fifth of the
            # Slack benchmark's throughput). PostgreSQL runs units side by side: a slow statement
            # then holds up nobody else.
            sqlite = services.store.engine.dialect.name == "sqlite"
            workers = 1 if sqlite else POSTGRES_WORKERS
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="entraide-db")
        self._adapters: dict[str, Adapter] = {}

    def attach(self, adapter: Adapter) -> None:
        """Deliver this platform's messages through ``adapter``."""
        self._adapters[adapter.platform] = adapter

    @property
    def adapters(self) -> Mapping[str, Adapter]:
        return self._adapters

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    async def in_thread(self, work: Callable[[], T]) -> T:
        """Run ``work`` off the event loop, on the database's threads."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def run(self, work: Callable[[], list[Outgoing] | None], key: str) -> list[Pending]:
        """Run ``work`` as one unit of work and deliver what it said; its messages are keyed
        ``<key>:<n>``. Returns the messages written (none when ``work`` returned None)."""
        written = await self.in_thread(lambda: self.unit(work, key))
        # Written with a lease of this process's: nobody else takes them meanwhile.
        await self._send_all(written, fresh=True)
        return written

    def unit(self, work: Callable[[], list[Outgoing] | None], key: str) -> list[Pending]:
        """The synchronous part: in the calling thread (a worker, or a CLI command)."""

        def with_outbox() -> list[Pending]:
            if self.fresh_indexes:
                self.services.matcher.refresh()
            outgoing = work()
            return [] if outgoing is None else self._enqueue(outgoing, key)

        return self.transaction(with_outbox, key)

    def transaction(self, work: Callable[[], T], key: str) -> T:
        """``work`` in one unit of work, retried whole when it collides with a concurrent one."""
        store = self.services.store
        for attempt in range(RETRIES):
            try:
                with store.unit_of_work():
                    return work()
            except Exception as error:
                if attempt == RETRIES - 1 or not _retriable(error):
                    raise
                log.info("unit of work retried", extra={"key": key[:80], "error": type(error).__name__})
        raise AssertionError("unreachable")

    def _enqueue(self, outgoing: list[Outgoing], key: str) -> list[Pending]:
        store, now = self.services.store, self.services.clock()
        written = []
        for number, out in enumerate(outgoing):
            reply = safe_reply(replace(out.reply, key=out.reply.key or f"{key}:{number}"))
            about = (str(reply.about.kind), reply.about.id) if reply.about else None
            assert reply.key is not None
            # Held by this process, which delivers it after the commit — unless it has no adapter
            # for that platform (a command-line action): then any running instance may.
            lease = DELIVERY_LEASE if out.platform in self._adapters else timedelta(0)
            found = store.enqueue(
                reply.key, out.platform, out.account, reply_to_json(reply), about, now, lease=lease
            )
            if found is not None:
                written.append(found)
        return written

    async def sweep(self) -> int:
        """Deliver what a crash or a failed attempt left pending; the number sent."""
        now = self.services.clock()
        pending = await self.in_thread(lambda: self.services.store.unclaimed(now))
        return await self._send_all([p for p in pending if p.platform in self._adapters])

    async def _send_all(self, pending: list[Pending], *, fresh: bool = False) -> int:
        sent = 0
        store = self.services.store
        for message in pending:
            adapter = self._adapters.get(message.platform)
            if adapter is None:
                continue  # another process, with that platform, will deliver it
            if not fresh:
                if not await self.in_thread(partial(store.take, message, self.services.clock())):
                    continue  # another process took it
                message = replace(message, attempts=message.attempts + 1)
            try:
                reply = replace(reply_from_json(message.reply), attempt=message.attempts)
                where = await adapter.send(reply)
            except Exception as error:
                log_failure(
                    log, "send failed", error, {"key": message.key[:80], "platform": message.platform}
                )
                final = message.attempts >= DELIVERY_ATTEMPTS
                retry_at = self.services.clock() + RETRY_AFTER
                await self.in_thread(
                    partial(store.undeliverable, message.id, repr(error), final=final, retry_at=retry_at)
                )
                continue
            conversation, message_id = (where.conversation, where.message_id) if where else (None, None)
            now = self.services.clock()
            await self.in_thread(partial(store.delivered, message, conversation, message_id, now))
            sent += 1
        return sent
