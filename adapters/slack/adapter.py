"""The Slack adapter: Bolt in, a queue, a few workers, the pipeline, Web API out.

Listeners only enqueue (Slack gets its ack in milliseconds); workers translate payloads into
events and feed the pipeline, whose handlers run their database work in worker threads, off the
event loop; a small fixed number of workers bounds how much is in flight. An event id seen
recently is dropped before any work (Slack retries when it thinks an ack was late); the
pipeline's persistent deduplication covers restarts and several instances behind a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import home, needform
from adapters.slack.app import HttpServer, SocketRunner, build_bolt_app
from adapters.slack.directory import Directory, Lru
from adapters.slack.inbound import event_from
from adapters.slack.managers import UserGroupManagers
from adapters.slack.outbound import Outbound
from adapters.slack.render import answered_blocks, render_reply
from adapters.slack.translate import PLATFORM, action_event, command_event, user_ids_in
from bot.chat.adapter import EventSink
from bot.chat.events import AboutKind, Capabilities, Event, Reply, Sent, UserRef
from bot.chat.host import Host
from bot.config import SlackConfig
from bot.logs import log_failure

log = logging.getLogger("entraide.slack")

Job = tuple[str, dict[str, Any]]
CONNECT_WAIT = 30.0  # seconds a reply sent while the adapter connects waits for the connection


class SlackStartError(RuntimeError):
    """The bot cannot connect to Slack as configured; the message says what to fix."""


class SlackAdapter:
    platform = PLATFORM
    account = ""  # the workspace (team) id, once connected
    capabilities = Capabilities(threads=True, ephemeral=True, reactions=True, buttons=True, files=True)

    def __init__(
        self,
        config: SlackConfig,
        host: Host,
        *,
        workers: int = 4,
        ping_interval: float = 10.0,
        rate_limit_retries: int = 8,
        queue_size: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.host = host
        self.bot_user = UserRef(PLATFORM, "", host.config.bot.name)
        self.workers = workers
        self.ping_interval = ping_interval
        self.rate_limit_retries = rate_limit_retries
        self.ready = asyncio.Event()  # set once the bot is connected (tests and health wait on it)
        self.port = config.port
        self._queue: asyncio.Queue[Job] = asyncio.Queue(queue_size)
        self._closed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False
        self._seen: Lru[str, bool] = Lru(50_000)
        self._response_urls: Lru[str, str] = Lru(5_000)
        self._background: set[asyncio.Task[None]] = set()
        self._client: AsyncWebClient | None = None
        self._directory: Directory | None = None
        self._outbound: Outbound | None = None
        self._sink: EventSink | None = None
        self._bot_id = ""  # the bot's bot id (B…), once connected
        self._monotonic = monotonic  # how long the managers' user group is trusted
        self._managers: UserGroupManagers | None = None

    # -- the Adapter protocol ------------------------------------------------------------------

    async def run(self, sink: EventSink) -> None:
        self._sink = sink
        self._running = True
        self._stopped.clear()
        session = aiohttp.ClientSession()
        client = AsyncWebClient(
            token=self.config.bot_token,
            base_url=self.config.api_url.rstrip("/") + "/",  # slack_sdk appends the method name
            session=session,
            logger=logging.getLogger("entraide.slack.web"),
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=self.rate_limit_retries),
            ],
        )
        self._client = client
        runner: HttpServer | SocketRunner | None = None
        workers: list[asyncio.Task[None]] = []
        try:
            try:
                runner = await self._start(client)
            except SlackStartError as error:
                log.error(str(error))  # run_adapters keeps an adapter's exception to itself
                raise
            except OSError as error:
                log.error(f"cannot listen on {self.config.host}:{self.config.port} for Slack: {error}")
                raise
            workers = [
                asyncio.create_task(self._work(), name=f"slack-worker-{i}") for i in range(self.workers)
            ]
            log.info("slack connected", extra={"mode": self.config.mode, "bot": self.bot_user.handle})
            self.ready.set()
            await self._closed.wait()
            # Stop taking payloads, then let what was already acknowledged be handled.
            await runner.stop()
            runner = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), self.host.config.bot.shutdown_grace_seconds)
        finally:
            if runner is not None:
                await runner.stop()
            for task in [*workers, *self._background]:
                task.cancel()
            await asyncio.gather(*workers, *self._background, return_exceptions=True)
            await session.close()
            self._running = False
            self._stopped.set()

    async def send(self, reply: Reply) -> Sent | None:
        if self._outbound is None:
            await self._until_connected()
        outbound = self._ready_outbound()
        reply = self._with_slack_buttons(reply)
        response_url = self._response_urls.get(reply.in_reply_to) if reply.in_reply_to else None
        return await outbound.send(reply, render_reply(reply), response_url)

    async def _start(self, client: AsyncWebClient) -> HttpServer | SocketRunner:
        await self._check_tokens(client)
        self._directory = Directory(client, self.config.help_channels)
        self._outbound = Outbound(client, self._directory, self.bot_user.handle, self._bot_id)
        if self.config.admin_usergroup:
            self._managers = UserGroupManagers(client, self.config.admin_usergroup, monotonic=self._monotonic)
        runner: HttpServer | SocketRunner
        if self.config.mode == "http":
            bolt = build_bolt_app(self, client, signing_secret=self.config.signing_secret)
            runner = HttpServer(bolt, self.config.host, self.config.port)
            self.port = await runner.start()
        else:
            bolt = build_bolt_app(self, client, signing_secret=None)
            runner = SocketRunner(bolt, self.config.app_token, client, self.ping_interval)
            await runner.start()
        return runner

    async def _check_tokens(self, client: AsyncWebClient) -> None:
        """Fail at start, with a clear message, on a token Slack refuses.

        Socket Mode's client would otherwise retry a bad app-level token forever, quietly.
        """
        try:
            auth = await client.auth_test()
        except SlackApiError as error:
            raise SlackStartError(
                f"Slack refused the bot token ({error.response.get('error')}): "
                "check [slack] bot_token or SLACK_BOT_TOKEN (xoxb-…)"
            ) from None
        self.bot_user = UserRef(PLATFORM, str(auth["user_id"]), str(auth.get("user") or ""))
        self.account = str(auth.get("team_id") or "")
        self._bot_id = str(auth.get("bot_id") or "")
        if self.config.mode != "socket":
            return
        try:
            await client.apps_connections_open(app_token=self.config.app_token)
        except SlackApiError as error:
            raise SlackStartError(
                f"Slack refused the app-level token ({error.response.get('error')}): check [slack] "
                "app_token or SLACK_APP_TOKEN (xapp-…, with the connections:write scope)"
            ) from None

    async def close(self) -> None:
        """Stop taking payloads and wait (within the grace period) for those already taken."""
        self._closed.set()
        if self._running:
            grace = self.host.config.bot.shutdown_grace_seconds + 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), grace)

    # -- what the Bolt listeners call (must not block) ---------------------------------------

    def on_event(self, body: dict[str, Any]) -> None:
        event_id = str(body.get("event_id") or "")
        if event_id:
            if event_id in self._seen:
                log.info("slack retry dropped", extra={"event_id": event_id, "platform": PLATFORM})
                return
            self._seen.put(event_id, True)
        self._enqueue("event", body)

    def on_command(self, body: dict[str, Any]) -> None:
        wanted, anonymous = needform.bare_need(str(body.get("text") or ""))
        if wanted:  # "/entraide need" and nothing else: the need modal
            self.open_need(body, anonymous=anonymous)
            return
        self._enqueue("command", body)

    def on_action(self, body: dict[str, Any]) -> None:
        self._enqueue("action", body)

    def on_profile(self, body: dict[str, Any]) -> None:
        self._enqueue("profile", body)

    def open_profile(self, body: dict[str, Any]) -> None:
        self._spawn(self._open_profile(body))

    def profile_errors(self, body: dict[str, Any]) -> dict[str, str]:
        return home.modal_errors(self.host, body.get("view") or {})

    def open_need(self, body: dict[str, Any], *, anonymous: bool = False) -> None:
        self._spawn(self._open_need(body, anonymous))

    def need_errors(self, body: dict[str, Any]) -> dict[str, str]:
        return needform.need_errors(self.host, body.get("view") or {})

    def on_need(self, body: dict[str, Any]) -> None:
        self._enqueue("need", body)

    # -- the workers ---------------------------------------------------------------------------

    def _enqueue(self, kind: str, body: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((kind, body))
        except asyncio.QueueFull:
            log.error("slack queue full: payload dropped", extra={"kind": kind, "platform": PLATFORM})

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _work(self) -> None:
        handlers = {
            "event": self._handle_event,
            "command": self._handle_command,
            "action": self._handle_action,
            "profile": self._handle_profile,
            "need": self._handle_need,
        }
        while True:
            kind, body = await self._queue.get()
            try:
                await handlers[kind](body)
            except Exception as error:
                log_failure(log, "slack payload failed", error, {"kind": kind, "platform": PLATFORM})
            finally:
                self._queue.task_done()

    async def _deliver(self, event: Event) -> None:
        assert self._sink is not None
        managers = self._managers
        if managers is not None and not event.sender_is_bot and await managers.is_member(event.sender.handle):
            event = replace(event, sender_is_admin=True)
        await self._sink(replace(event, account=self.account))  # events are keyed by workspace

    async def _handle_event(self, body: dict[str, Any]) -> None:
        directory = self._ready_directory()
        payload = body.get("event") or {}
        kind = payload.get("type")
        if kind == "app_home_opened":
            if payload.get("tab") == "home":
                await self._publish_home(str(payload.get("user", "")))
            return
        if kind == "subteam_members_changed":
            if self._managers is not None:
                self._managers.changed(str(payload.get("subteam_id") or ""))
            return
        event = await event_from(body, directory, self.bot_user.handle)
        if event is not None:
            if event.sender.handle and directory.is_bot(event.sender.handle):
                event = replace(event, sender_is_bot=True)
            await self._deliver(event)

    async def _handle_command(self, body: dict[str, Any]) -> None:
        text = str(body.get("text") or "")
        directory = self._ready_directory()
        names = await directory.names([str(body.get("user_id") or ""), *user_ids_in(text)])
        private = await directory.is_private(str(body.get("channel_id") or ""))
        event = command_event(body, names=names, is_private=private)
        if body.get("response_url"):
            self._response_urls.put(event.event_id, str(body["response_url"]))
        await self._deliver(event)

    async def _handle_action(self, body: dict[str, Any]) -> None:
        directory, outbound = self._ready_directory(), self._ready_outbound()
        user = self._user_of(body)
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        if not channel:
            channel = await directory.dm_channel(user.handle)  # a button on the App Home
        names = await directory.names([user.handle])
        message = body.get("message") or {}
        for action in body.get("actions") or []:
            if container.get("type") == "message" and message and not container.get("is_ephemeral"):
                label = str((action.get("text") or {}).get("text") or "")
                blocks = answered_blocks(list(message.get("blocks") or []), label)
                await outbound.update_answered(
                    channel, str(container.get("message_ts")), blocks, message.get("text", "")
                )
            await self._deliver(action_event(body, action, names=names, conversation=channel))
        if container.get("type") == "view":
            await self._publish_home(user.handle)

    async def _handle_profile(self, body: dict[str, Any]) -> None:
        user = self._user_of(body)
        channel = await self._ready_directory().dm_channel(user.handle)
        names = await self._ready_directory().names([user.handle])
        form = await self.host.profile_form(user)
        for event in home.profile_events(body, form, channel, names):
            await self._deliver(event)
        await self._publish_home(user.handle)

    async def _handle_need(self, body: dict[str, Any]) -> None:
        user = self._user_of(body)
        channel = await self._ready_directory().dm_channel(user.handle)
        names = await self._ready_directory().names([user.handle])
        await self._deliver(needform.need_event(body, channel, names))

    async def _open_profile(self, body: dict[str, Any]) -> None:
        async def view(user: UserRef) -> dict[str, Any]:
            return home.profile_modal(self.host, await self.host.profile_form(user))

        await self._open_modal(body, view)

    async def _open_need(self, body: dict[str, Any], anonymous: bool) -> None:
        async def view(user: UserRef) -> dict[str, Any]:
            return needform.need_modal(self.host, await self.host.language(user), anonymous=anonymous)

        if not await self._open_modal(body, view) and "command" in body:
            self._enqueue("command", body)  # no modal after all: the command's own usage answer

    async def _open_modal(
        self, body: dict[str, Any], view: Callable[[UserRef], Awaitable[dict[str, Any]]]
    ) -> bool:
        client = self._ready_client()
        try:
            built = await view(self._user_of(body))
            await client.views_open(trigger_id=str(body.get("trigger_id")), view=built)
        except Exception:
            log.exception("views.open failed", extra={"platform": PLATFORM})
            return False
        return True

    async def _publish_home(self, user: str) -> None:
        if not user:
            return
        names = await self._ready_directory().names([user])
        viewer = UserRef(PLATFORM, user, names.get(user, ""))
        found = await self.host.home(viewer)
        await self._ready_client().views_publish(user_id=user, view=home.home_blocks(self.host, found))

    # -- helpers -------------------------------------------------------------------------------

    def _with_slack_buttons(self, reply: Reply) -> Reply:
        """A request for help gets Slack's third button, "Suggest someone else"."""
        about = reply.about
        if about is None or about.kind is not AboutKind.ASK or not reply.buttons or reply.to is None:
            return reply
        language = reply.language or self.host.config.bot.language
        extra = home.other_button(self.host, language, about.id)
        return replace(reply, buttons=(*reply.buttons, extra))

    @staticmethod
    def _user_of(body: dict[str, Any]) -> UserRef:
        if "user_id" in body:  # a slash command
            return UserRef(PLATFORM, str(body["user_id"]), str(body.get("user_name") or ""))
        user = body.get("user") or {}
        return UserRef(PLATFORM, str(user.get("id", "")), str(user.get("name", "")))

    def _ready_client(self) -> AsyncWebClient:
        if self._client is None:
            raise RuntimeError("the Slack adapter is not running")
        return self._client

    def _ready_directory(self) -> Directory:
        if self._directory is None:
            raise RuntimeError("the Slack adapter is not running")
        return self._directory

    async def _until_connected(self) -> None:
        """A job due when the bot starts (a shout-out it was down for) runs while the adapter is
        still connecting: its post waits for the connection rather than fail and wait for the
        outbox's next sweep. Not past ``CONNECT_WAIT`` seconds, nor once the adapter stopped."""
        waits = [asyncio.ensure_future(event.wait()) for event in (self.ready, self._stopped)]
        try:
            await asyncio.wait(waits, timeout=CONNECT_WAIT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def _ready_outbound(self) -> Outbound:
        if self._outbound is None:
            raise RuntimeError("the Slack adapter is not running")
        return self._outbound
