"""A pass-through HTTP proxy in front of Synapse, which can hold back the answer to a send.

The bot under test talks to the proxy as to its homeserver. A held send reaches Synapse — the
event lands in the room, members see it — but the bot gets no answer until released: killed
meanwhile, its process never learns that the post was delivered, as when a process dies between
the homeserver's doing and its hearing of it.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from yarl import URL

# Headers that belong to one connection, or that aiohttp sets again from the body it sends.
_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "host",
    "upgrade",
}
_SEND = re.compile(r"/_matrix/client/[^/]+/rooms/([^/]+)/send/[^/]+/[^/]+")


class HomeserverProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = 0
        self._holds: dict[str, asyncio.Event] = {}  # room id → sends there answered once set
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        # No timeout of its own: the bot's long polls last as long as it asks.
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), auto_decompress=True)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for held in self._holds.values():
            held.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    def hold_sends(self, room_id: str) -> asyncio.Event:
        """Events sent to ``room_id`` land, but their sender hears back once this is set."""
        held = self._holds[room_id] = asyncio.Event()
        return held

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        target = URL(self.upstream + request.raw_path, encoded=True)  # room ids stay %-encoded
        async with self._client.request(
            request.method, target, data=await request.read(), headers=headers, allow_redirects=False
        ) as response:
            body = await response.read()
            answer_headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
            status = response.status
        send = _SEND.fullmatch(request.path) if request.method == "PUT" else None
        held = self._holds.get(unquote(send.group(1))) if send else None
        if held is not None and status == 200:
            await held.wait()
        return web.Response(status=status, body=body, headers=answer_headers)
