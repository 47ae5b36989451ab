"""Matrix adapter on matrix-nio, end-to-end encryption included.

One sync loop feeds events to the core; events of one room are handled in order, rooms in
parallel. The sync token is saved once every event of its batch has been handled, so a crash
replays at most one batch (and the pipeline's processed-events table drops what it had done).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from nio import (
    AsyncClient,
    InviteInfo,
    MegolmEvent,
    ProfileGetDisplayNameResponse,
    RoomGetEventResponse,
    RoomMessagesResponse,
    RoomResolveAliasResponse,
    SyncResponse,
)

from adapters.matrix.client import TRANSIENT, Backoff, SyncLoop, login, make_client
from adapters.matrix.media import send_attachment
from adapters.matrix.render import is_matrix_user, notice_content, placement, transaction_id
from adapters.matrix.rooms import (
    AdminRoom,
    DirectRooms,
    Members,
    Origin,
    RecentEvents,
    RoomSet,
    answer_invitation,
)
from adapters.matrix.sending import MatrixSendError, Outbox
from adapters.matrix.translate import PLATFORM, RoomView, after_own_join, thread_root, translate
from bot.chat.adapter import EventSink
from bot.chat.events import Capabilities, Event, EventKind, Reply, Sent, UserRef
from bot.chat.host import Host
from bot.config import MatrixConfig
from bot.logs import log_failure

log = logging.getLogger("entraide.matrix")
TOKEN_KEY = "next_batch"
_GAP_LIMIT = 1000  # events fetched at most to fill a gap after a long stop, per room
_SETTLE_SECONDS = 0.5  # longest a batch's handlers may delay the next sync


class MatrixAdapter:
    platform = PLATFORM
    capabilities = Capabilities(threads=True, ephemeral=False, reactions=True, buttons=False, files=True)

    def __init__(
        self,
        config: MatrixConfig,
        host: Host,
        *,
        client: AsyncClient | None = None,
        backoff: Backoff | None = None,
        poll_ms: int = 30_000,
        send_attempts: int = 6,
        room_wait_seconds: float = 30.0,
    ) -> None:
        self.config = config
        self.host = host
        self.bot_user = UserRef(PLATFORM, config.user_id, host.config.bot.name)
        self.account = config.user_id  # state and processed events are keyed by the bot account
        self.client = client or make_client(config)
        self._backoff = backoff or Backoff()
        self.outbox = Outbox(self.client, self._backoff, send_attempts)
        self._poll_ms = poll_ms
        self._room_wait = room_wait_seconds
        self._help = RoomSet(config.help_rooms)
        admin_rooms = RoomSet([config.admin_room] if config.admin_room else [])
        self._admin = AdminRoom(admin_rooms, config.admin_power_level)
        self._allowed = RoomSet(config.allowed_rooms)
        self.state = host.state(PLATFORM, config.user_id)
        self._direct = DirectRooms(self.client, self.state, self._wait_for_member)
        self._recent = RecentEvents()
        self._tails: dict[str, asyncio.Task[None]] = {}  # the last event handled, per room
        self._handling: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._commit: asyncio.Task[None] | None = None
        self._rooms_changed = asyncio.Condition()
        self._sync_needed = asyncio.Event()  # set while a handler waits for the next sync
        self._sync_waiters = 0
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._loop: SyncLoop | None = None

    # -- Adapter protocol --------------------------------------------------------------------

    async def run(self, sink: EventSink) -> None:
        try:
            if not await self._connect():
                return
            self._loop = SyncLoop(
                self.client,
                load_token=lambda: self.state.get_now(TOKEN_KEY),
                on_batch=lambda response, since: self._on_batch(sink, response, since),
                backoff=self._backoff,
                poll_ms=self._poll_ms,
                relogin=self._relogin if self.config.password else None,
            )
            if self._closing.is_set():
                return
            await self._loop.run()
            if self._commit is not None:
                await asyncio.wait([self._commit])
        except Exception:
            log.exception("the Matrix adapter stopped")
            raise
        finally:
            for task in list(self._background):
                task.cancel()
            await self.client.close()

    async def send(self, reply: Reply) -> Sent | None:
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout=self._room_wait)
            if not self._ready.is_set():
                raise MatrixSendError("not connected to the homeserver")
        thread: str | None = None
        answering: str | None = None
        if reply.to is not None or reply.ephemeral or reply.conversation is None:
            user = reply.to
            if user is None or not is_matrix_user(user.handle):
                log.warning("reply to nobody reachable on Matrix dropped", extra={"key": reply.key})
                return None
            room_id = await self._direct.room_for(user.handle)
        else:
            room_id = await self._room_id(reply.conversation)
            await self._wait_for_room(room_id)
            thread, answering = placement(
                reply, self._trigger(reply, room_id), private_room=self._private(room_id)
            )
        base = reply.key or uuid.uuid4().hex
        txn_id = transaction_id(base)
        content = notice_content(
            reply, thread_root=thread, reply_to=answering, txn_id=txn_id if reply.key else None
        )
        # From the second delivery on, the first may have landed unrecorded (a crash): the
        # transaction id makes Synapse return it for 24 hours only, so look for it first.
        event_id = await self.outbox.find_sent(room_id, txn_id) if reply.attempt > 1 else None
        if event_id is None:
            event_id = await self.outbox.send(room_id, content, txn_id)
        self._recent.remember(event_id, Origin(room_id, self.config.user_id, thread))
        if reply.attachment is not None:  # the chart, right after the notice it illustrates
            await send_attachment(self.outbox, room_id, reply, base, thread_root=thread, notice=event_id)
        return Sent(room_id, event_id)

    @property
    def rate_limited(self) -> int:
        """How many times the homeserver asked the bot to slow down."""
        return self.outbox.rate_limited

    async def wait_ready(self) -> None:
        """Until logged in and the first sync is handled (rooms known, invitations answered)."""
        await self._ready.wait()

    async def close(self) -> None:
        """Stop taking new events. Syncing goes on until the handlers in flight are done: one
        may be waiting for sync to show the direct chat it opened."""
        self._closing.set()
        if not self._handling and self._loop is not None:
            self._loop.stop()

    # -- connecting ----------------------------------------------------------------------------

    async def _connect(self) -> bool:
        """Log in (retrying while the homeserver is unreachable); False if closed meanwhile."""
        backoff = Backoff(base=self._backoff.base, cap=self._backoff.cap)
        while not self._closing.is_set():
            try:
                await login(self.client, self.config)
                for rooms in (self._help, self._admin.rooms, self._allowed):
                    await rooms.resolve(self.client)
                name = await self.client.get_displayname(self.config.user_id)
                if isinstance(name, ProfileGetDisplayNameResponse) and name.displayname:
                    self.bot_user = UserRef(PLATFORM, self.config.user_id, name.displayname)
                return True
            except TRANSIENT as error:
                delay = backoff.next_delay()
                log.warning("cannot reach the homeserver (%r); retrying in %.1f s", error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=delay)
        return False

    async def _relogin(self) -> None:
        log.warning("the homeserver forgot the bot's session; logging in again")
        self.client.access_token = ""
        await login(self.client, replace(self.config, access_token=""))

    # -- receiving -----------------------------------------------------------------------------

    async def _on_batch(self, sink: EventSink, response: SyncResponse, since: str | None) -> None:
        async with self._rooms_changed:
            self._rooms_changed.notify_all()
        if self._closing.is_set():
            return  # neither handled nor marked as such: the next start takes this batch again
        for room_id, invite in response.rooms.invite.items():
            self._spawn(self._on_invite(room_id, invite))
        started: list[asyncio.Task[None]] = []
        for room_id, info in response.rooms.join.items():
            self._admin.observe(room_id, [e.source for e in (*info.state, *info.timeline.events)])
            if since is None:
                continue  # first start: what was said before the bot existed is not for it
            events = list(info.timeline.events)
            joined_at = after_own_join([e.source for e in events], self.config.user_id)
            if joined_at:
                events = events[joined_at:]
            elif info.timeline.limited and info.timeline.prev_batch:
                events = await self._fill_gap(room_id, info.timeline.prev_batch, since) + events
            for raw in events:
                event = self._translate(room_id, raw)
                if event is not None:
                    started.append(self._dispatch(room_id, event, sink))
        if not self._ready.is_set():
            # Which device this process is: each instance of the bot must be one of its own.
            log.info(
                "matrix connected", extra={"user_id": self.client.user_id, "device_id": self.client.device_id}
            )
        self._ready.set()
        self._commit_after(started, response.next_batch)
        if started:
            await self._settle(started)

    async def _settle(self, tasks: list[asyncio.Task[None]]) -> None:
        """Give this batch's handlers a moment before the next long poll.

        A new /sync landing on the homeserver at the same time as our answers delays them (a
        bot that answers first, then syncs, is faster). A handler that needs the next sync (a
        new direct chat) ends the wait at once; a slow one cannot hold the loop past the cap.
        """
        if self._sync_needed.is_set():
            return
        handled = asyncio.ensure_future(asyncio.wait(tasks))
        needed = asyncio.ensure_future(self._sync_needed.wait())
        await asyncio.wait({handled, needed}, timeout=_SETTLE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        handled.cancel()
        needed.cancel()

    def _translate(self, room_id: str, raw: Any) -> Event | None:
        source = getattr(raw, "source", None)
        if not isinstance(source, dict):
            return None
        event_id = source.get("event_id")
        if not isinstance(event_id, str) or event_id in self._recent:
            return None  # already seen: a gap filled twice, a batch replayed
        if isinstance(raw, MegolmEvent):
            log.warning("cannot decrypt event", extra={"event_id": event_id, "room_id": room_id})
            return None
        room = self.client.rooms.get(room_id)
        content = source.get("content")
        root = thread_root(content) if isinstance(content, dict) else None
        self._recent.remember(event_id, Origin(room_id, str(source.get("sender", "")), root))
        view = RoomView(
            room_id=room_id,
            bot_user_id=self.config.user_id,
            command_prefix=self.config.command_prefix,
            bot_display=self.bot_user.display,
            is_direct=self._private(room_id),
            is_help=(room if room is not None else room_id) in self._help,
            members=Members(room),
        )
        return translate(source, view)

    def _dispatch(self, room_id: str, event: Event, sink: EventSink) -> asyncio.Task[None]:
        previous = self._tails.get(room_id)

        async def deliver() -> None:
            if previous is not None:
                await asyncio.wait([previous])  # one room's events in the order they were sent
            try:
                await sink(replace(await self._complete(event), account=self.account))
            except Exception as error:
                log_failure(log, "event delivery failed", error, {"event_id": event.event_id})

        task = asyncio.create_task(deliver(), name=f"matrix:{event.event_id}")
        self._tails[room_id] = task
        self._handling.add(task)
        task.add_done_callback(lambda done: self._handled(room_id, done))
        return task

    def _handled(self, room_id: str, task: asyncio.Task[None]) -> None:
        self._handling.discard(task)
        if self._tails.get(room_id) is task:
            del self._tails[room_id]
        if not self._handling and self._closing.is_set() and self._loop is not None:
            self._loop.stop()  # the last answer is out: syncing is no longer needed

    async def _complete(self, event: Event) -> Event:
        """Add what the payload did not say: admin rights, the reacted-to message's author."""
        if event.kind is EventKind.REACTION and event.target_message:
            author, root = await self._event_origin(event.conversation, event.target_message)
            target = None
            if author and author != self.config.user_id:
                # A ✅ on the bot's own message credits nobody; the core would credit the bot.
                members = Members(self.client.rooms.get(event.conversation))
                target = UserRef(PLATFORM, author, members.get(author, ""))
            return replace(event, target_author=target, thread=root)
        addressed = event.kind is EventKind.COMMAND or event.is_direct
        if addressed and await self._admin.is_manager(self.client, event.sender.handle):
            return replace(event, sender_is_admin=True)
        return event

    async def _event_origin(self, room_id: str, event_id: str) -> tuple[str | None, str | None]:
        known = self._recent.get(event_id)
        if known is not None:
            return known.sender, known.thread
        response = await self.client.room_get_event(room_id, event_id)
        if not isinstance(response, RoomGetEventResponse):
            return None, None
        source = response.event.source
        content = source.get("content")
        root = thread_root(content) if isinstance(content, dict) else None
        sender = source.get("sender")
        return (sender if isinstance(sender, str) else None), root

    async def _fill_gap(self, room_id: str, prev_batch: str, since: str) -> list[Any]:
        """Events the sync left out (more than its timeline limit arrived while we were away)."""
        chunks: list[Any] = []
        start: str | None = prev_batch
        while start and len(chunks) < _GAP_LIMIT:
            response = await self.client.room_messages(room_id, start=start, end=since, limit=100)
            if not isinstance(response, RoomMessagesResponse) or not response.chunk:
                break
            chunks.extend(response.chunk)
            start = response.end
        log.info("filled a sync gap", extra={"room_id": room_id, "events": len(chunks)})
        return list(reversed(chunks))

    def _commit_after(self, tasks: list[asyncio.Task[None]], token: str) -> None:
        previous = self._commit

        async def commit() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            if tasks:
                await asyncio.wait(tasks)
            # A commit waits on the disk: keep it off the event loop, answers are being sent.
            await self.state.set(TOKEN_KEY, token)

        self._commit = asyncio.create_task(commit())

    async def _on_invite(self, room_id: str, invite: InviteInfo) -> None:
        # nio moves a membership's content out of .source into .content: put it back.
        state = [{**e.source, "content": getattr(e, "content", None) or {}} for e in invite.invite_state]
        allowed = self._allowed.ids | self._help.ids | self._admin.rooms.ids
        backoff = Backoff(base=self._backoff.base, cap=self._backoff.cap)
        for _attempt in range(5):
            try:
                await answer_invitation(
                    self.client,
                    room_id,
                    state,
                    allowed_servers=self.config.allowed_servers,
                    allowed_rooms=allowed,
                    direct=self._direct,
                )
                return
            except TRANSIENT as error:
                # An incremental sync will not show this invitation again: retry here.
                log.warning("cannot answer invitation to %s: %r", room_id, error)
                await asyncio.sleep(backoff.next_delay())

    # -- sending -------------------------------------------------------------------------------

    def _trigger(self, reply: Reply, room_id: str) -> tuple[str, str | None] | None:
        """The event a reply answers, when we saw it in this room."""
        event_id = reply.in_reply_to or ""
        origin = self._recent.get(event_id)
        if origin is None or origin.room_id != room_id:
            return None
        return event_id, origin.thread

    def _private(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return self._direct.is_direct(room) and room not in self._help

    # -- helpers -------------------------------------------------------------------------------

    async def _room_id(self, conversation: str) -> str:
        """The room a post goes to: a room alias (a help room configured so, where managers
        announce) is resolved, since only room ids can be sent to."""
        if not conversation.startswith("#"):
            return conversation
        response = await self.client.room_resolve_alias(conversation)
        if not isinstance(response, RoomResolveAliasResponse):
            raise MatrixSendError(f"cannot resolve the room alias {conversation}: {response}")
        return str(response.room_id)

    async def _wait_for_room(self, room_id: str) -> None:
        """Until sync shows the room: nio cannot send to a room it has not synced (one joined a
        moment ago), nor encrypt for members it does not know. MatrixSendError on timeout."""
        if not await self._wait_for_sync(lambda: room_id in self.client.rooms):
            raise MatrixSendError(
                f"cannot send to {room_id}: the room did not show up in sync within "
                f"{self._room_wait:g} s (is the bot in it?)"
            )

    async def _wait_for_member(self, room_id: str, user_id: str) -> bool:
        """Until sync shows ``user_id`` in the room (joined or invited); False on timeout."""

        def present() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and user_id in room.users

        return await self._wait_for_sync(present)

    async def _wait_for_sync(self, present: Callable[[], bool]) -> bool:
        """Until a sync makes ``present()`` true, syncing at once rather than after this batch's
        handlers; False after ``room_wait_seconds``."""

        async def known() -> None:
            async with self._rooms_changed:
                await self._rooms_changed.wait_for(present)

        if present():
            return True
        self._sync_waiters += 1
        self._sync_needed.set()
        try:
            await asyncio.wait_for(known(), timeout=self._room_wait)
        except TimeoutError:
            return False
        finally:
            self._sync_waiters -= 1
            if not self._sync_waiters:
                self._sync_needed.clear()
        return True

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


__all__ = ["MatrixAdapter", "MatrixSendError"]
