"""The connection to the homeserver: login that keeps one device, the sync loop, retries.

The bot must keep a single device across restarts, or every restart would need new encryption
keys and colleagues' clients would warn about a new device; transaction ids are scoped to the
device too, so a message resent after a crash is recognised only from the same device. The
device id comes from the config or from ``session.json`` in the store directory, next to nio's
encryption store; a password login asks for that device again (nio sends ``device_id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    LoginResponse,
    SyncResponse,
    WhoamiResponse,
)

from bot.config import MatrixConfig

log = logging.getLogger("entraide.matrix")

# Network failures worth retrying: the homeserver restarting, a proxy timing out.
TRANSIENT = (ClientError, TimeoutError, OSError)
RATE_LIMITED = "M_LIMIT_EXCEEDED"
# Typing notices, receipts and presence wake the long poll for nothing the bot uses.
SYNC_FILTER: dict[str, Any] = {
    "room": {
        "timeline": {"limit": 50},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
}


class MatrixLoginError(RuntimeError):
    """The bot cannot log in; retrying would not help (bad password, revoked token)."""


@dataclass
class Backoff:
    """Exponential delays with jitter, capped, so a restarting homeserver is not hammered in
    step by every client it had."""

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 30)
        return self.rng.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


def make_client(config: MatrixConfig, *, max_rate_limited_retries: int = 8) -> AsyncClient:
    store = Path(config.store_dir)
    store.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        store.chmod(0o700)  # encryption keys and the session token live here
    client_config = AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,  # the sync token lives in our database, written after handling
        # nio waits retry_after_ms on M_LIMIT_EXCEEDED, this many times at most.
        max_limit_exceeded=max_rate_limited_retries,
        # Network errors come straight back to us: the sync loop and send() back off themselves.
        max_timeouts=0,
        request_timeout=60,
    )
    return AsyncClient(
        config.homeserver.rstrip("/"),
        config.user_id,
        device_id=config.device_id or None,
        store_path=str(store),
        config=client_config,
    )


def _session_path(config: MatrixConfig) -> Path:
    return Path(config.store_dir) / "session.json"


def _read_session(config: MatrixConfig) -> dict[str, str]:
    try:
        data = json.loads(_session_path(config).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("user_id") != config.user_id:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _write_session(config: MatrixConfig, device_id: str, access_token: str) -> None:
    path = _session_path(config)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"user_id": config.user_id, "device_id": device_id, "access_token": access_token}, handle)
    tmp.replace(path)


async def login(client: AsyncClient, config: MatrixConfig, device_name: str = "Entraide bot") -> None:
    """Log in keeping the same device: configured token, saved session, or the password."""
    saved = _read_session(config)
    if config.access_token:
        client.access_token = config.access_token
        whoami = await client.whoami()
        if not isinstance(whoami, WhoamiResponse) or whoami.user_id != config.user_id:
            raise MatrixLoginError(f"matrix.access_token is not valid for {config.user_id}: {whoami}")
        device = whoami.device_id or config.device_id or saved.get("device_id", "")
        if not device:
            raise MatrixLoginError("the homeserver did not say which device the access token belongs to")
        if config.device_id and device != config.device_id:
            raise MatrixLoginError(f"the access token is for device {device}, not matrix.device_id")
        client.restore_login(config.user_id, device, config.access_token)
        return
    device = config.device_id or saved.get("device_id", "")
    if saved.get("access_token") and device == saved.get("device_id"):
        client.access_token = saved["access_token"]
        whoami = await client.whoami()
        if isinstance(whoami, WhoamiResponse) and whoami.user_id == config.user_id:
            client.restore_login(config.user_id, device, saved["access_token"])
            return
        log.info("saved Matrix session no longer valid; logging in again on the same device")
    client.access_token = ""
    if not config.password:
        raise MatrixLoginError("no valid session: set matrix.password or matrix.access_token")
    client.device_id = device or None
    response = await client.login(config.password, device_name=device_name)
    if not isinstance(response, LoginResponse):
        raise MatrixLoginError(f"Matrix login failed for {config.user_id}: {response}")
    _write_session(config, response.device_id, response.access_token)


def retry_after(response: object) -> float | None:
    """Seconds the homeserver asked us to wait, if it rate limited the request."""
    if isinstance(response, ErrorResponse) and response.status_code == RATE_LIMITED:
        return (response.retry_after_ms or 1000) / 1000
    return None


BatchHandler = Callable[[SyncResponse, str | None], Awaitable[None]]


@dataclass
class SyncLoop:
    """Owns /sync: long polls, hands each batch over, keeps going through outages.

    ``on_batch(response, since)`` is awaited for every batch; ``since`` is the token the batch
    continues from, None for the first batch after a start with no saved token (history the bot
    must not answer). The token to resume from is read with ``load_token`` and saved by the
    caller once a batch is handled.
    """

    client: AsyncClient
    load_token: Callable[[], str | None]
    on_batch: BatchHandler
    backoff: Backoff = field(default_factory=Backoff)
    poll_ms: int = 30_000
    max_rate_limited: int = 10
    relogin: Callable[[], Awaitable[None]] | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _current: asyncio.Task[Any] | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._current is not None:
            self._current.cancel()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(self) -> None:
        token = await asyncio.to_thread(self.load_token)  # a database read: off the event loop
        backlog = token is None
        # The first request asks for full state: nio keeps rooms and members in memory only, and
        # needs them to encrypt (who is in the room) and to know which rooms are encrypted.
        full_state = True
        limited_in_a_row = 0
        while not self.stopping:
            request = self.client.sync(
                timeout=0 if full_state else self.poll_ms,
                sync_filter=SYNC_FILTER,
                since=token,
                full_state=full_state or None,
            )
            self._current = asyncio.ensure_future(request)
            try:
                response = await self._current
            except asyncio.CancelledError:
                if self.stopping:
                    return
                raise
            except TRANSIENT as error:
                await self._pause(self.backoff.next_delay(), f"sync failed ({error!r})")
                continue
            finally:
                self._current = None
            if not isinstance(response, SyncResponse):
                wait = retry_after(response)
                if wait is not None and limited_in_a_row < self.max_rate_limited:
                    limited_in_a_row += 1
                    await self._pause(wait, "sync rate limited")
                    continue
                if isinstance(response, ErrorResponse) and response.status_code in (
                    "M_UNKNOWN_TOKEN",
                    "M_MISSING_TOKEN",
                ):
                    if self.relogin is None:
                        raise MatrixLoginError(f"the homeserver refused the bot's token: {response}")
                    await self.relogin()
                    continue
                await self._pause(self.backoff.next_delay(), f"sync error ({response})")
                continue
            limited_in_a_row = 0
            self.backoff.reset()
            await self._crypto_chores()
            await self.on_batch(response, None if backlog else token)
            token, backlog, full_state = response.next_batch, False, False

    async def _crypto_chores(self) -> None:
        """What nio's own sync_forever does between syncs: publish and fetch keys, send
        queued to-device messages (room keys for colleagues' devices)."""
        client = self.client
        try:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except TRANSIENT as error:
            log.warning("encryption key exchange failed (%r); retrying after the next sync", error)

    async def _pause(self, seconds: float, why: str) -> None:
        log.warning("%s; retrying in %.1f s", why, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
