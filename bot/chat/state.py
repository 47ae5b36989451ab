"""The little an adapter may keep in the database: values of its own, keyed by its account."""

from __future__ import annotations

import asyncio

from skills_db.storage.store import Store


class AdapterState:
    """Key-value state of one platform account (a Matrix sync token, a direct chat's room).

    Adapters get this rather than the store: they need nothing else of the database, and the
    account in the key keeps two workspaces or two bot accounts on one database apart. Reads
    and writes run in a worker thread, off the event loop.
    """

    def __init__(self, store: Store, platform: str, account: str) -> None:
        self._store = store
        self.platform = platform
        self.account = account

    def get_now(self, key: str) -> str | None:
        """Read at once, in the calling thread (for callers already off the event loop)."""
        value = self._store.get_state(self.platform, key, account=self.account)
        if value is None and self.account:
            # Written before state was keyed by account (schema 0003): still this account's.
            value = self._store.get_state(self.platform, key)
        return value

    async def get(self, key: str) -> str | None:
        return await asyncio.to_thread(self.get_now, key)

    async def set(self, key: str, value: str) -> None:
        await asyncio.to_thread(self._store.set_state, self.platform, key, value, self.account)
