"""Colleagues as real matrix-nio clients (with end-to-end encryption), and the bot in a task."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    Event,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomSendResponse,
)

from adapters.matrix import MatrixAdapter
from adapters.matrix.client import Backoff
from bot.app import run_adapters
from bot.chat.context import Services
from bot.chat.host import Host
from bot.jobs import MovableClock
from tests.matrix.synapse import Account, Synapse

ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
WAIT = 30.0


@dataclass(frozen=True)
class Seen:
    room_id: str
    source: dict[str, Any]
    decrypted: bool

    @property
    def content(self) -> dict[str, Any]:
        content = self.source.get("content")
        return content if isinstance(content, dict) else {}

    @property
    def sender(self) -> str:
        return str(self.source.get("sender", ""))

    @property
    def event_id(self) -> str:
        return str(self.source.get("event_id", ""))

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def html(self) -> str:
        return str(self.content.get("formatted_body", ""))

    @property
    def relation(self) -> dict[str, Any]:
        relates = self.content.get("m.relates_to")
        return relates if isinstance(relates, dict) else {}

    def is_notice(self, sender: str, room_id: str | None = None) -> bool:
        return (
            self.sender == sender
            and self.content.get("msgtype") == "m.notice"
            and (room_id is None or self.room_id == room_id)
        )

    @property
    def thread(self) -> str | None:
        return self.relation.get("event_id") if self.relation.get("rel_type") == "m.thread" else None


class Colleague:
    """A person in the tests: a nio client that syncs, decrypts, and joins rooms it is invited to."""

    def __init__(self, synapse: Synapse, account: Account, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=False,
            backoff_factor=0.1,
            max_timeout_retry_wait_time=1.0,
        )
        self.user_id = account.user_id
        self.client = AsyncClient(synapse.url, account.user_id, account.device_id, str(store), config=config)
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._joins: set[asyncio.Task[Any]] = set()
        self.client.add_event_callback(self._on_event, Event)
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)

    async def start(self) -> None:
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        await self.client.sync(timeout=0, full_state=True)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=10_000))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for task in self._joins:
            task.cancel()
        await self.client.close()

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        decrypted = bool(getattr(event, "decrypted", False))
        async with self._changed:
            self.seen.append(Seen(room.room_id, dict(event.source), decrypted))
            self._changed.notify_all()

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            task = asyncio.create_task(self.client.join(room.room_id))
            self._joins.add(task)

    async def wait_for(self, predicate: Callable[[Seen], bool], timeout: float = WAIT) -> Seen:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: any(predicate(s) for s in self.seen)), timeout=timeout
            )
            return next(s for s in self.seen if predicate(s))

    async def wait_count(
        self, predicate: Callable[[Seen], bool], count: int, timeout: float = WAIT
    ) -> list[Seen]:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: sum(1 for s in self.seen if predicate(s)) >= count),
                timeout=timeout,
            )
            return [s for s in self.seen if predicate(s)]

    def notices_from(self, bot: str, room_id: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.is_notice(bot, room_id)]

    async def wait_member(self, room_id: str, user_id: str, timeout: float = WAIT) -> None:
        async def joined() -> None:
            while True:
                room = self.client.rooms.get(room_id)
                if room is not None and user_id in room.users and user_id not in room.invited_users:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(joined(), timeout=timeout)

    async def create_room(
        self, *, invite: list[str], encrypted: bool, name: str = "", room_version: str | None = None
    ) -> str:
        response = await self.client.room_create(
            name=name or None,
            invite=invite,
            initial_state=[ENCRYPTION] if encrypted else [],
            room_version=room_version,
        )
        assert isinstance(response, RoomCreateResponse), response

        async def known() -> None:
            while response.room_id not in self.client.rooms:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(known(), timeout=WAIT)
        return str(response.room_id)

    async def send(self, room_id: str, content: dict[str, Any], kind: str = "m.room.message") -> str:
        response = await self.client.room_send(room_id, kind, content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        return await self.send(room_id, {"msgtype": "m.text", "body": text, **extra})

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        room = self.client.rooms.get(room_id)
        if room is None or not room.encrypted or self.client.olm is None:
            return await self.send(room_id, content, "m.reaction")
        # Element encrypts reactions in encrypted rooms; nio's room_send would send them in
        # clear, so encrypt here and post the result with the low-level request.
        client = self.client
        if not room.members_synced:
            await client.joined_members(room_id)
        if client.should_query_keys:
            await client.keys_query()
        if client.olm.should_share_group_session(room_id):
            await client.share_group_session(room_id, ignore_unverified_devices=True)
        kind, encrypted = client.encrypt(room_id, "m.reaction", content)
        method, path, data = Api.room_send(client.access_token, room_id, kind, encrypted, uuid.uuid4())
        response = await client.send(method, path, data)  # the token is in the path
        body = await response.json()
        assert response.status == 200, body
        return str(body["event_id"])


class HeldSync:
    """Stands in for a client's ``sync``: the first ``let_through`` calls go through, the next
    ones wait until ``release()``. While held, nio's view of the rooms stays what it was, as if
    the homeserver had not answered the bot's next sync yet.

    Install it with ``unittest.mock.patch.object(client, "sync", held)`` before the bot starts.
    """

    def __init__(self, client: AsyncClient, let_through: int = 1) -> None:
        self._sync = client.sync
        self._left = let_through
        self._released = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._left > 0:
            self._left -= 1
        else:
            await self._released.wait()
        return await self._sync(*args, **kwargs)

    def release(self) -> None:
        self._released.set()


async def until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Polls ``condition`` until it holds; TimeoutError after ``timeout`` seconds."""

    async def holds() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(holds(), timeout=timeout)


class Bot:
    """The whole bot (pipeline included) running against the Synapse in a task."""

    def __init__(self, services: Services, clock: MovableClock | None = None, **adapter_options: Any) -> None:
        options = {"backoff": Backoff(base=0.2, cap=2.0), "poll_ms": 10_000, **adapter_options}
        self.adapter = MatrixAdapter(services.config.matrix, Host.of(services), **options)
        # With a clock the test moves, the scheduler ticks often: what becomes due runs promptly.
        ticks = 0.05 if clock else 5.0
        bot = run_adapters(services, [self.adapter], clock=clock, tick_seconds=ticks)
        self._task = asyncio.create_task(bot)

    async def ready(self) -> None:
        ready = asyncio.ensure_future(self.adapter.wait_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._task in done:
                self._task.result()
            raise TimeoutError("the bot did not connect")

    def adapter_task_done(self) -> bool:
        return self._task.done()

    async def stop(self) -> None:
        await self.adapter.close()
        await asyncio.wait_for(self._task, timeout=WAIT)


@contextlib.asynccontextmanager
async def running(
    services: Services, clock: MovableClock | None = None, **adapter_options: Any
) -> AsyncIterator[Bot]:
    bot = Bot(services, clock, **adapter_options)
    try:
        await bot.ready()
        yield bot
    finally:
        await bot.stop()
