"""A Slack double served over real HTTP on 127.0.0.1, with a Socket Mode WebSocket server.

The bot's real slack_sdk/slack_bolt clients talk to it through ``api_url``. It records every Web
API call (checked against Slack's OpenAPI spec by the tests), answers 429 with Retry-After when
told to, and plays the users: what they post, react, type or click reaches the bot signed like
Slack signs it (HTTP mode) or as a Socket Mode envelope that the bot must acknowledge.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import WSMsgType, web

from tests.slack_double import payloads
from tests.slack_double.checks import ApiError
from tests.slack_double.workspace import BOT_USER, Message, Workspace

T = TypeVar("T")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    http_method: str
    token: str | None
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Delivery:
    """The bot's answer to one delivery: HTTP status (or 200 for a Socket Mode ack) and time."""

    status: int
    body: str
    seconds: float


@dataclass
class _Socket:
    ws: web.WebSocketResponse
    quiet: bool = False  # a stuck connection: it neither answers pings nor carries envelopes


class SlackDouble:
    def __init__(
        self, *, bot_token: str = "xoxb-test", app_token: str = "xapp-test", signing_secret: str = "s3cret"
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.space = Workspace()
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # what the bot posted to response URLs
        self.requests: list[str] = []  # every request, in order: "chat.postMessage", "upload F…"
        self.transport = "http"  # or "socket": how users' actions reach the bot
        self.bot_url = ""  # the bot's /slack/events, in HTTP mode
        self.sockets: list[_Socket] = []
        self.port = 0
        self._limits: dict[str, list[int]] = {}  # method → [429s left, Retry-After seconds]
        self._refusals: dict[str, str] = {}  # method → the error every call of it gets
        self._holds: dict[str, asyncio.Event] = {}  # method → answered once this is set
        self._tickets: set[str] = set()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._counter = itertools.count(1)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.space.files.upload_base = f"http://127.0.0.1:{self.port}/upload/"
        self._client = aiohttp.ClientSession()

    async def stop(self) -> None:
        for held in self._holds.values():
            held.set()
        for socket in list(self.sockets):
            await socket.ws.close()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{next(self._counter)}"

    # -- the Web API ---------------------------------------------------------------------------

    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` get 429 Too Many Requests."""
        self._limits[method] = [times, retry_after]

    def refuse(self, method: str, error: str) -> None:
        """Every call of ``method`` fails with ``error`` (``missing_scope``: an app installed
        before the scope was added to its manifest)."""
        self._refusals[method] = error

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` take effect (a post lands in the channel) but get no answer until
        the event returned is set: the client does not know they succeeded, as when a process
        dies between Slack's doing and its hearing of it."""
        held = self._holds[method] = asyncio.Event()
        return held

    def calls_to(self, method: str, *, ok: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200 and not c.error) == ok]

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                params.update(json.loads(body))
            else:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
        token = params.pop("token", None)
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header.removeprefix("Bearer ")
        call = Call(method, params, request.method, token)
        self.calls.append(call)
        self.requests.append(method)
        limit = self._limits.get(method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            call.status, call.error = 429, "ratelimited"
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(limit[1])}
            )
        try:
            if method in self._refusals:
                raise ApiError(self._refusals[method])
            result = self._dispatch(method, params, token)
        except ApiError as error:
            call.error = error.code
            return web.json_response({"ok": False, "error": error.code})
        held = self._holds.get(method)
        if held is not None:
            await held.wait()
        return web.json_response({"ok": True, **result})

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not token:
            raise ApiError("not_authed")
        if method == "apps.connections.open":
            if token != self.app_token:
                raise ApiError("invalid_auth" if not token.startswith("xoxb-") else "not_allowed_token_type")
            ticket = uuid.uuid4().hex
            self._tickets.add(ticket)
            return {"url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}
        if token != self.bot_token:
            raise ApiError("not_allowed_token_type" if token == self.app_token else "invalid_auth")
        handler = self.space.method(method)
        if handler is None:
            raise ApiError("unknown_method")
        return handler(params)

    async def _upload(self, request: web.Request) -> web.Response:
        """An upload URL from files.getUploadURLExternal: the raw bytes, or a multipart form's
        one file (Slack takes both)."""
        file_id = request.match_info["file_id"]
        self.requests.append(f"upload {file_id}")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read() if isinstance(part, aiohttp.BodyPartReader) else b""
        else:
            data = await request.read()
        status, text = self.space.files.receive_upload(file_id, bytes(data))
        return web.Response(status=status, text=text)

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append({"url": str(request.url), **json.loads(await request.read())})
        return web.Response(text="ok")

    # -- Socket Mode ---------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            raise web.HTTPUnauthorized()
        self._tickets.discard(ticket)  # a URL from apps.connections.open works once
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        socket = _Socket(ws)
        self.sockets.append(socket)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.sockets),
                "connection_info": {"app_id": "A0ENTRAIDE"},
                "debug_info": {"host": "double", "approximate_connection_time": 3600},
            }
        )
        try:
            async for message in ws:
                if message.type == WSMsgType.PING and not socket.quiet:
                    await ws.pong(message.data)
                elif message.type == WSMsgType.TEXT and not socket.quiet:
                    data = json.loads(message.data)
                    waiting = self._acks.pop(str(data.get("envelope_id")), None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(data)
        finally:
            self.sockets.remove(socket)
        return ws

    def healthy_sockets(self) -> list[_Socket]:
        return [s for s in self.sockets if not s.quiet and not s.ws.closed]

    async def drop_sockets(self) -> None:
        """Close every Socket Mode connection from the server side, as Slack does on a refresh."""
        for socket in list(self.sockets):
            await socket.ws.close()

    def silence_sockets(self) -> None:
        """Let the current connections go quiet: no pong, no envelopes, no close either."""
        for socket in self.sockets:
            socket.quiet = True

    async def _push(self, kind: str, payload: dict[str, Any], retry: int = 0) -> Delivery:
        sockets = await self.wait_for(lambda: self.healthy_sockets(), timeout=30)
        envelope_id = uuid.uuid4().hex
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        started = time.perf_counter()
        await sockets[-1].ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry,
                "retry_reason": "timeout" if retry else "",
            }
        )
        try:
            ack = await asyncio.wait_for(waiting, 5)
        except TimeoutError:
            return Delivery(0, "", time.perf_counter() - started)
        return Delivery(200, json.dumps(ack.get("payload") or {}), time.perf_counter() - started)

    # -- delivering to the bot -----------------------------------------------------------------

    async def _post(
        self,
        body: bytes,
        content_type: str,
        *,
        age: float = 0.0,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        to: str | None = None,
    ) -> Delivery:
        """POST to the bot at ``to`` (one of several instances behind a load balancer), else at
        ``bot_url``."""
        assert self._client is not None and (to or self.bot_url), "start the double and set bot_url"
        signed = payloads.signed_headers(
            secret or self.signing_secret, body, age=age, content_type=content_type
        )
        started = time.perf_counter()
        async with self._client.post(
            to or self.bot_url, data=body, headers={**signed, **(headers or {})}
        ) as response:
            text = await response.text()
            return Delivery(response.status, text, time.perf_counter() - started)

    async def get_from_bot(self, path: str) -> tuple[int, Any]:
        """GET ``path`` on the bot's HTTP server (its health check): status and JSON body."""
        assert self._client is not None and self.bot_url
        url = self.bot_url.removesuffix("/slack/events") + path
        async with self._client.get(url) as response:
            return response.status, await response.json()

    async def send_event(
        self,
        envelope: dict[str, Any],
        *,
        retry: int = 0,
        age: float = 0.0,
        secret: str | None = None,
        to: str | None = None,
    ) -> Delivery:
        if self.transport == "socket":
            return await self._push("events_api", envelope, retry)
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        body = json.dumps(envelope).encode()
        return await self._post(body, "application/json", age=age, secret=secret, headers=extra, to=to)

    async def send_command(self, fields: dict[str, str], *, to: str | None = None) -> Delivery:
        if self.transport == "socket":
            return await self._push("slash_commands", fields)
        return await self._post(payloads.form_body(fields), "application/x-www-form-urlencoded", to=to)

    async def send_interaction(self, payload: dict[str, Any], *, to: str | None = None) -> Delivery:
        if self.transport == "socket":
            return await self._push("interactive", payload)
        body = payloads.interaction_body(payload)
        return await self._post(body, "application/x-www-form-urlencoded", to=to)

    # -- the users -----------------------------------------------------------------------------

    async def say(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> Message:
        """``user`` posts ``text``; the bot gets the events Slack would send it."""
        message = self.space.add_message(channel, user, text, thread_ts)
        for envelope in payloads.message_events(self.space, message):
            await self.send_event(envelope)
        return message

    async def react(self, user: str, message: Message, name: str) -> Delivery:
        return await self.send_event(payloads.reaction_event(self.space, user, message, name))

    async def command(self, user: str, channel: str, text: str, *, to: str | None = None) -> Delivery:
        fields = payloads.command_payload(self.space, user, channel, text, self.response_url())
        return await self.send_command(fields, to=to)

    async def click(self, user: str, message: Message, label: str, *, to: str | None = None) -> Delivery:
        return await self.send_interaction(
            payloads.message_click(self.space, user, message, label, self.response_url()), to=to
        )

    async def click_home(self, user: str, label: str) -> Delivery:
        return await self.send_interaction(payloads.home_click(self.space, user, label))

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> Delivery:
        return await self.send_interaction(payloads.view_submission(self.space, user, view, values))

    async def shortcut(self, user: str, callback_id: str) -> Delivery:
        return await self.send_interaction(payloads.global_shortcut(self.space, user, callback_id))

    async def change_usergroup(self, group: str, users: list[str], *, notify: bool = True) -> None:
        """An admin sets the group's members; ``notify``: Slack sends ``subteam_members_changed``
        (to an app subscribed to it)."""
        added, removed = self.space.set_usergroup_members(group, users)
        if notify:
            await self.send_event(payloads.members_changed_event(group, added, removed))

    async def open_home(self, user: str) -> Delivery:
        return await self.send_event(payloads.home_opened_event(self.space, user))

    # -- what the bot did ----------------------------------------------------------------------

    def bot_messages(self, channel: str, thread: str | None = None) -> list[Message]:
        return [
            m
            for m in self.space.messages.get(channel, [])
            if m.user == BOT_USER and (thread is None or m.thread_ts == thread)
        ]

    def dms_to(self, user: str) -> list[Message]:
        return self.bot_messages(self.space.im_with(user).id)

    def ephemerals_for(self, user: str) -> list[dict[str, Any]]:
        return [e for e in self.space.ephemerals if e["user"] == user]

    async def wait_for(self, probe: Callable[[], T], timeout: float = 10.0) -> T:
        """The first truthy value of ``probe()``, polled until ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {probe}")
            await asyncio.sleep(0.02)
