"""Which room is what: help rooms, the admin room, direct chats with colleagues.

Rooms may be configured by alias (``#help:example.org``); aliases are resolved once at start
and also compared with each room's canonical alias, so a room renamed later still counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from nio import (
    AsyncClient,
    ErrorResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomPreset,
    RoomResolveAliasResponse,
)

from adapters.matrix.admins import is_manager
from adapters.matrix.sending import MatrixSendError
from adapters.matrix.translate import invite_decision, invite_info
from bot.chat.state import AdapterState

log = logging.getLogger("entraide.matrix")
PLATFORM = "matrix"
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class Members(Mapping[str, str]):
    """A room's members as user id → display name, read from nio's room on demand."""

    def __init__(self, room: MatrixRoom | None) -> None:
        self._room = room

    def __getitem__(self, user_id: str) -> str:
        if self._room is None or user_id not in self._room.users:
            raise KeyError(user_id)
        return str(self._room.users[user_id].display_name or "")

    def __iter__(self) -> Iterator[str]:
        return iter(self._room.users if self._room is not None else ())

    def __len__(self) -> int:
        return len(self._room.users) if self._room is not None else 0


class RoomSet:
    """Room ids and aliases from the config."""

    def __init__(self, entries: list[str]) -> None:
        self.ids = {e for e in entries if e.startswith("!")}
        self.aliases = {e.casefold() for e in entries if e.startswith("#")}

    async def resolve(self, client: AsyncClient) -> None:
        for alias in sorted(self.aliases):
            response = await client.room_resolve_alias(alias)
            if isinstance(response, RoomResolveAliasResponse):
                self.ids.add(response.room_id)
            else:
                log.warning("cannot resolve room alias %s: %s", alias, response)

    def __contains__(self, room: object) -> bool:
        if isinstance(room, MatrixRoom):
            alias = room.canonical_alias
            return room.room_id in self.ids or bool(alias and alias.casefold() in self.aliases)
        return room in self.ids

    def __bool__(self) -> bool:
        return bool(self.ids or self.aliases)


class AdminRoom:
    """Power levels of the admin room, kept up to date from sync (fetched if sync had none)."""

    def __init__(self, rooms: RoomSet, threshold: int) -> None:
        self.rooms = rooms
        self.threshold = threshold
        self._state: dict[str, dict[str, Any]] = {}  # event type -> event, for the one admin room

    def observe(self, room_id: str, events: list[Mapping[str, Any]]) -> None:
        if room_id not in self.rooms.ids:
            return
        for event in events:
            kind = event.get("type")
            if kind in ("m.room.create", "m.room.power_levels") and event.get("state_key") == "":
                self._state[str(kind)] = dict(event)

    async def is_manager(self, client: AsyncClient, user_id: str) -> bool:
        if not self.rooms.ids:
            return False
        if "m.room.create" not in self._state:
            for room_id in self.rooms.ids:
                response = await client.room_get_state(room_id)
                self.observe(room_id, [e for e in getattr(response, "events", []) if isinstance(e, dict)])
        return is_manager(
            user_id, self._state.get("m.room.create"), self._state.get("m.room.power_levels"), self.threshold
        )


class DirectRooms:
    """One encrypted direct chat per colleague, created on first need and remembered."""

    def __init__(
        self,
        client: AsyncClient,
        state: AdapterState,
        wait_for_member: Callable[[str, str], Awaitable[bool]],
    ) -> None:
        self._client = client
        self._state = state
        self._wait_for_member = wait_for_member
        self._locks: dict[str, asyncio.Lock] = {}
        self.room_ids: set[str] = set()

    async def remember(self, user_id: str, room_id: str) -> None:
        self.room_ids.add(room_id)
        await self._state.set(f"dm:{user_id}", room_id)

    def is_direct(self, room: MatrixRoom | None) -> bool:
        if room is None:
            return False
        # Element's direct chats, and ours, are rooms of two.
        return room.room_id in self.room_ids or room.member_count <= 2

    def _usable(self, room_id: str | None, user_id: str) -> bool:
        room = self._client.rooms.get(room_id) if room_id else None
        return room is not None and user_id in room.users

    async def room_for(self, user_id: str) -> str:
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            room_id = await self._state.get(f"dm:{user_id}")
            if room_id and room_id in self.room_ids and room_id not in self._client.rooms:
                # Joined in this run (the colleague's invitation, just answered) but not synced
                # yet: nio cannot send there until it has. Anything else the first sync would
                # have shown; a room it did not is one the bot left: open a new one.
                await self._wait_for_member(room_id, user_id)
            if room_id and self._usable(room_id, user_id):
                self.room_ids.add(room_id)
                return room_id
            response = await self._client.room_create(
                is_direct=True,
                invite=[user_id],
                preset=RoomPreset.trusted_private_chat,
                initial_state=[ENCRYPTION],
            )
            if not isinstance(response, RoomCreateResponse):
                raise MatrixSendError(f"cannot open a direct chat with {user_id}: {response}")
            # nio learns a room's members and encryption from sync, and Synapse may answer the
            # room's creation before the invitation is sent: encrypting before sync shows the
            # invitee would share the message's keys with nobody, and they could not read it.
            if not await self._wait_for_member(response.room_id, user_id):
                raise MatrixSendError(
                    f"the new direct chat {response.room_id} with {user_id} did not show up in sync"
                )
            await self.remember(user_id, response.room_id)
            log.info("direct chat created", extra={"room_id": response.room_id})
            return str(response.room_id)


class Origin(NamedTuple):
    room_id: str
    sender: str
    thread: str | None  # the thread root the event is in


class RecentEvents:
    """The events seen or sent lately: to drop repeats, thread answers, name reaction targets."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._events: OrderedDict[str, Origin] = OrderedDict()

    def remember(self, event_id: str, origin: Origin) -> None:
        self._events[event_id] = origin
        self._events.move_to_end(event_id)
        while len(self._events) > self._size:
            self._events.popitem(last=False)

    def get(self, event_id: str) -> Origin | None:
        return self._events.get(event_id)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._events


async def answer_invitation(
    client: AsyncClient,
    room_id: str,
    state: Sequence[Mapping[str, Any]],
    *,
    allowed_servers: list[str],
    allowed_rooms: set[str],
    direct: DirectRooms,
) -> None:
    """Join if the invitation is allowed, decline it otherwise."""
    inviter, is_direct = invite_info(state, client.user_id)
    if not invite_decision(
        inviter,
        room_id,
        bot_user_id=client.user_id,
        allowed_servers=allowed_servers,
        allowed_rooms=allowed_rooms,
    ):
        log.info("invitation declined", extra={"room_id": room_id, "inviter": inviter})
        await client.room_leave(room_id)
        return
    response = await client.join(room_id)
    if isinstance(response, ErrorResponse):
        log.warning("cannot join %s: %s", room_id, response)
        return
    if is_direct and inviter:
        await direct.remember(inviter, room_id)
    log.info("joined", extra={"room_id": room_id, "inviter": inviter})
