"""Bolt wiring: which payloads the bot listens to, and the two ways they arrive.

Every listener acknowledges at once and hands the payload to the adapter's queue; the work
(lookups, matching, replies) happens afterwards, so Slack always gets its answer well within its
3 seconds. Socket Mode needs no public URL; HTTP mode serves Bolt's ``/slack/events`` (events,
slash commands and interactivity alike) behind a load balancer, with ``/health`` beside it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.home import HOME_EDIT_ACTION, PROFILE_CALLBACK
from adapters.slack.needform import NEED_CALLBACK

COMMAND = "/entraide"
EVENTS_PATH = "/slack/events"
HEALTH_PATHS = ("/health", "/slack/health")
ACTIONS = re.compile(r"^entraide_")

Ack = Callable[..., Awaitable[None]]


class Inbound(Protocol):
    """What the listeners hand payloads to; each call must return at once."""

    def on_event(self, body: dict[str, Any]) -> None: ...

    def on_command(self, body: dict[str, Any]) -> None: ...

    def on_action(self, body: dict[str, Any]) -> None: ...

    def open_profile(self, body: dict[str, Any]) -> None: ...

    def profile_errors(self, body: dict[str, Any]) -> dict[str, str]: ...

    def on_profile(self, body: dict[str, Any]) -> None: ...

    def open_need(self, body: dict[str, Any], *, anonymous: bool = False) -> None: ...

    def need_errors(self, body: dict[str, Any]) -> dict[str, str]: ...

    def on_need(self, body: dict[str, Any]) -> None: ...


def build_bolt_app(inbound: Inbound, client: AsyncWebClient, *, signing_secret: str | None) -> AsyncApp:
    """The Bolt app; ``signing_secret`` None for Socket Mode, where requests are not signed."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        logger=logging.getLogger("entraide.slack.bolt"),
    )

    async def event(body: dict[str, Any]) -> None:  # Bolt acknowledges events by itself
        inbound.on_event(body)

    # subteam_members_changed: the managers' user group changed (see adapters/slack/managers.py).
    for name in ("message", "app_mention", "reaction_added", "app_home_opened", "subteam_members_changed"):
        app.event(name)(event)

    @app.command(COMMAND)
    async def command(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        inbound.on_command(body)

    @app.action(HOME_EDIT_ACTION)
    async def edit_profile(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        inbound.open_profile(body)  # views.open must follow within 3 s of the click: not queued

    @app.action(ACTIONS)
    async def action(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        inbound.on_action(body)

    @app.view(PROFILE_CALLBACK)
    async def profile(ack: Ack, body: dict[str, Any]) -> None:
        errors = inbound.profile_errors(body)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        inbound.on_profile(body)

    @app.shortcut(NEED_CALLBACK)  # the global shortcut "Ask for help"
    async def need_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        inbound.open_need(body)  # views.open must follow within 3 s: not queued

    @app.view(NEED_CALLBACK)
    async def need(ack: Ack, body: dict[str, Any]) -> None:
        errors = inbound.need_errors(body)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        inbound.on_need(body)

    return app


class HttpServer:
    """Bolt's HTTP endpoint on aiohttp, with a health check for the load balancer."""

    def __init__(self, bolt: AsyncApp, host: str, port: int) -> None:
        self.bolt = bolt
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_post(EVENTS_PATH, self._events)
        for path in HEALTH_PATHS:
            app.router.add_get(path, self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])  # the real one when port 0 was asked
        return self.port

    async def _events(self, request: web.Request) -> web.Response:
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class SocketRunner:
    """Socket Mode: slack_sdk's aiohttp client pings the server and reconnects when the socket
    drops or goes quiet (no pong for four ping intervals)."""

    def __init__(self, bolt: AsyncApp, app_token: str, client: AsyncWebClient, ping_interval: float) -> None:
        self.bolt = bolt
        self.app_token = app_token
        self.client = client
        self.ping_interval = ping_interval
        self.handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        self.handler = AsyncSocketModeHandler(
            self.bolt, self.app_token, web_client=self.client, ping_interval=self.ping_interval
        )
        await self.handler.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self.handler is not None:
            await self.handler.close_async()  # type: ignore[no-untyped-call]
            self.handler = None
