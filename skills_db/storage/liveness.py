"""Whether a pooled PostgreSQL connection still works, checked at checkout without a round trip
when it was in use a moment ago.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every checkout: one round trip (1-2 ms
here) before each short session, two per need matched. Yet what it is there for — a server
restart, an administrator terminating backends, an idle connection closed by the server —
makes the server *speak first*: it sends its FATAL message and closes the socket, so an idle
connection's socket has something to read. A connection that was checked in a few seconds ago
and has nothing waiting is alive; only one idle for longer (where a silent network drop is
possible) is pinged, as the pre-ping did.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc

PING_AFTER_SECONDS = 5.0  # idle longer than this: pinged, as the pool's pre-ping would
_CHECKED_IN = "entraide_checked_in"


def server_spoke(dbapi_connection: Any) -> bool:
    """True when an idle connection's socket has something to read (or is closed): nothing is
    ever due from the server between statements but a termination (the project uses no LISTEN)."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True  # no socket any more
    return bool(readable)


def check_on_checkout(
    engine: Engine, *, ping_after: float = PING_AFTER_SECONDS, clock: Callable[[], float] = time.monotonic
) -> None:
    """On ``engine``'s pool: a connection is pinged at checkout only if it sat idle longer than
    ``ping_after`` seconds; otherwise only its socket is looked at. A dead one is replaced, and
    the whole pool with it (a server restart killed them all), as the pre-ping does."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = clock()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_CHECKED_IN, None)
        if since is None:
            return  # just opened
        if server_spoke(dbapi_connection):
            raise sa_exc.InvalidatePoolError("the server closed the connection")
        if clock() - since <= ping_after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa_exc.DisconnectionError(f"ping failed: {type(error).__name__}") from error
