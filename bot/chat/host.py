"""What an adapter may use of the bot, and nothing more.

An adapter translates and delivers; it does not query the skills database. It gets the
configuration and the catalogue (to render its own controls), a small state store of its own,
and read-only views computed by the core off the event loop (Slack's App Home, the profile form).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.chat.context import Services
from bot.chat.events import UserRef
from bot.chat.home import HomeView, ProfileForm, home_view, profile_form
from bot.chat.state import AdapterState
from bot.config import Config
from bot.i18n import Catalog

T = TypeVar("T")


@dataclass(frozen=True)
class Host:
    config: Config
    catalog: Catalog
    _services: Services

    @classmethod
    def of(cls, services: Services) -> Host:
        return cls(services.config, services.catalog, services)

    def state(self, platform: str, account: str) -> AdapterState:
        return AdapterState(self._services.store, platform, account)

    async def home(self, user: UserRef) -> HomeView | None:
        """What ``user``'s home shows (None for someone who erased themselves)."""
        return await asyncio.to_thread(self._read, home_view, user)

    async def profile_form(self, user: UserRef) -> ProfileForm:
        return await asyncio.to_thread(self._read, profile_form, user)

    async def language(self, user: UserRef) -> str:
        """The language ``user`` chose, else the bot's. Only reads: opening a form records nobody."""
        return await asyncio.to_thread(self._read, _language, user)

    def _read(self, query: Callable[[Services, UserRef], T], user: UserRef) -> T:
        with self._services.store.unit_of_work():
            return query(self._services, user)


def _language(services: Services, user: UserRef) -> str:
    person = services.store.find_person(user.platform, user.handle)
    chosen = person.language if person is not None and not person.deleted else None
    return chosen or services.config.bot.language
