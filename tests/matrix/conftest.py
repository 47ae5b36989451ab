"""A real Synapse for the Matrix tests: started once per session on 127.0.0.1.

Without matrix-synapse installed (or if it cannot start) the tests skip, except under CI=true
where that is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.chat.context import Services
from tests.matrix.helpers import Colleague
from tests.matrix.synapse import Account, Synapse, SynapseUnavailable
from tests.support import make_services

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def start_synapse(tmp_path_factory: pytest.TempPathFactory, attempts: int = 3) -> Synapse:
    """A started Synapse. The free port is picked before Synapse binds it: if something took it
    meanwhile, start again on another port rather than fail the session."""
    for attempt in range(attempts):
        server = Synapse(tmp_path_factory.mktemp("synapse"))
        try:
            server.start()
            return server
        except SynapseUnavailable as error:
            if "Address already in use" not in str(error) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    try:
        server = start_synapse(tmp_path_factory)
    except SynapseUnavailable as error:
        if IN_CI:
            pytest.fail(f"Synapse is required under CI=true: {error}")
        pytest.skip(f"no Synapse ({error}); pip install -e '.[test]' (set CI=true to make this a failure)")
    try:
        yield server
    finally:
        server.stop()


def unique(name: str) -> str:
    return f"{name}-{secrets.token_hex(3)}"


MakeColleague = Callable[..., Awaitable[Colleague]]


@pytest.fixture
async def colleague(synapse: Synapse, tmp_path: Path) -> AsyncIterator[MakeColleague]:
    """``await colleague("Bob")``: a new user with that display name, syncing."""
    made: list[Colleague] = []

    async def make(display: str) -> Colleague:
        account = synapse.register(unique(display.lower()))
        person = Colleague(synapse, account, tmp_path / "clients" / account.user_id)
        await person.client.set_displayname(display)
        await person.start()
        made.append(person)
        return person

    yield make
    for person in made:
        await person.stop()


@pytest.fixture
def bot_account(synapse: Synapse) -> Callable[..., Account]:
    def make(*, rate_limited: bool = False) -> Account:
        return synapse.register(unique("entraide"), rate_limited=rate_limited)

    return make


MakeServices = Callable[..., Services]


@pytest.fixture
def bot_services(synapse: Synapse, tmp_path: Path) -> MakeServices:
    """Services for a bot logging in as ``account``, with [matrix] and other sections as given;
    the same ``store`` and database on every call, as after a restart."""

    def make(
        account: Account,
        matrix: dict[str, Any] | None = None,
        clock: Callable[[], datetime] | None = None,
        **sections: dict[str, Any],
    ) -> Services:
        settings = {
            "homeserver": synapse.url,
            "user_id": account.user_id,
            "password": account.password,
            "store_dir": str(tmp_path / "bot-store"),
            **(matrix or {}),
        }
        sections.setdefault("routing", {"mode": "suggest"})
        return make_services(f"sqlite:///{tmp_path}/entraide.db", clock, matrix=settings, **sections)

    return make
