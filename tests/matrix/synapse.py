"""A throwaway Synapse on 127.0.0.1 for the tests and the latency bench.

The config is generated: SQLite, one client listener, nothing that could reach out (no
federation listener, no key servers, no stats, no URL previews), cheap password hashing,
and a registration shared secret so users are created through the admin API.

Rate limits: every ``rc_*`` limit is relaxed except ``rc_message``, which keeps Synapse's
default (0.2/s, burst 10). Users are registered with a per-user override lifting it, unless a
test asks for the default, so one server serves both the ordinary tests and the burst test.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAME = "localhost"
SHARED_SECRET = "entraide-test-registration"
_RELAXED = {"per_second": 1000, "burst_count": 10000}


class SynapseUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str
    access_token: str
    device_id: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def homeserver_yaml(directory: Path, port: int) -> str:
    config = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "registration_shared_secret": SHARED_SECRET,
        "enable_registration": False,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "enable_metrics": False,
        "use_presence": False,
        "bcrypt_rounds": 4,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "rc_registration": _RELAXED,
        "rc_login": {"address": _RELAXED, "account": _RELAXED, "failed_attempts": _RELAXED},
        "rc_joins": {"local": _RELAXED, "remote": _RELAXED},
        "rc_joins_per_room": _RELAXED,
        "rc_invites": {"per_room": _RELAXED, "per_user": _RELAXED, "per_issuer": _RELAXED},
        "rc_room_creation": _RELAXED,
        "rc_key_requests": _RELAXED,
        "rc_presence": {"per_user": _RELAXED},
        "rc_profile": _RELAXED,
        "rc_user_directory": _RELAXED,
        "rc_3pid_validation": _RELAXED,
        "rc_delayed_event_mgmt": _RELAXED,
        "rc_reports": _RELAXED,
    }
    # JSON is valid YAML, and needs no YAML library here.
    return json.dumps(config, indent=1)


LOG_YAML = """version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {path}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


class Synapse:
    """One Synapse process; ``restart()`` keeps its database and port."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0
        self._admin: Account | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "homeserver.yaml").write_text(homeserver_yaml(directory, self.port), "utf-8")
        (directory / "log.yaml").write_text(LOG_YAML.format(path=directory / "homeserver.log"), "utf-8")
        self._write_signing_key()

    def _write_signing_key(self) -> None:
        path = self.directory / "signing.key"
        if path.exists():
            return
        try:
            import signedjson.key  # ships with matrix-synapse
        except ImportError as error:
            raise SynapseUnavailable(f"matrix-synapse is not installed ({error})") from None
        with path.open("w", encoding="utf-8") as handle:
            signedjson.key.write_signing_keys(handle, [signedjson.key.generate_signing_key("a")])

    def start(self, timeout: float = 120.0) -> None:
        started = time.monotonic()
        output = (self.directory / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.directory / "homeserver.yaml")],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
            env={**os.environ, "SYNAPSE_NO_TLS": "1"},
        )
        output.close()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise SynapseUnavailable(f"Synapse exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1):
                    self.start_seconds = time.monotonic() - started
                    return
            except (urllib.error.URLError, OSError, http.client.HTTPException):
                time.sleep(0.05)  # not listening yet, or answering half-started: poll again
        self.stop()
        raise SynapseUnavailable(f"Synapse did not answer within {timeout} s: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def forget_transactions(self, user_id: str) -> None:
        """Make Synapse forget the transaction ids ``user_id`` sent events with, as it does
        itself a day after each send (``_cleanup_old_transaction_ids``): the rows go while it
        is stopped, and the restart clears its in-memory cache of answers (kept 30 to 60 min)."""
        self.stop()
        with contextlib.closing(sqlite3.connect(self.directory / "homeserver.db")) as db:
            db.execute("DELETE FROM event_txn_id_device_id WHERE user_id = ?", (user_id,))
            db.commit()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("stdout.log", "homeserver.log"):
            path = self.directory / name
            if path.exists():
                text += "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:]) + "\n"
        return text

    # -- admin API -----------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def register(self, localpart: str, *, admin: bool = False, rate_limited: bool = False) -> Account:
        """A new user, through the shared-secret registration API; ``rate_limited`` keeps
        Synapse's default message rate limit for them."""
        password = secrets.token_urlsafe(12)
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        message = "\x00".join((nonce, localpart, password, "admin" if admin else "notadmin"))
        mac = hmac.new(SHARED_SECRET.encode(), message.encode(), hashlib.sha1)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        created = self.request("POST", "/_synapse/admin/v1/register", body)
        account = Account(created["user_id"], password, created["access_token"], created["device_id"])
        if not rate_limited:
            self.set_rate_limit(account.user_id, None)
        return account

    def set_rate_limit(self, user_id: str, limit: tuple[float, int] | None) -> None:
        """``None`` lifts the message rate limit for this user; a (per second, burst) pair sets it."""
        path = f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"
        body: dict[str, float] = {"messages_per_second": 0, "burst_count": 0}
        if limit is not None:
            body = {"messages_per_second": limit[0], "burst_count": limit[1]}
        self.request("POST", path, body, token=self.admin.access_token)

    @property
    def admin(self) -> Account:
        if self._admin is None:
            self._admin = self.register(f"admin-{secrets.token_hex(3)}", admin=True, rate_limited=True)
        return self._admin
