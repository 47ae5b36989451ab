"""Who is a community manager on Slack by membership of a user group (``[slack] admin_usergroup``).

The members are read with ``usergroups.users.list`` (scope ``usergroups:read``) and kept for
``ttl`` seconds, so a busy workspace costs one call every few minutes, not one per message: a
change of membership is seen within that time. The ``subteam_members_changed`` event, when Slack
sends it, makes the next check read the group again at once. When Slack refuses the call (scope
missing, no such group, free plan) nobody is a manager *by the group* — ``[bot] admins`` still
are — and the call is tried again after ``retry`` seconds, not on every message.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("entraide.slack")

TTL_SECONDS = 300.0  # how long a membership read is trusted
RETRY_SECONDS = 30.0  # after a failed read: how long before trying again


class UserGroupManagers:
    def __init__(
        self,
        client: AsyncWebClient,
        usergroup: str,
        *,
        ttl: float = TTL_SECONDS,
        retry: float = RETRY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.usergroup = usergroup
        self.ttl = ttl
        self.retry = retry
        self._monotonic = monotonic
        self._members: frozenset[str] = frozenset()
        self._expires = -math.inf
        self._generation = 0  # bumped by a change event: a read begun before it is stale at once
        self._lock = asyncio.Lock()

    async def is_member(self, user: str) -> bool:
        if not user:
            return False
        return user in await self.members()

    async def members(self) -> frozenset[str]:
        if self._monotonic() < self._expires:
            return self._members
        async with self._lock:  # one read at a time: the workers waiting share its result
            if self._monotonic() >= self._expires:
                await self._read()
            return self._members

    def changed(self, usergroup: str) -> None:
        """Slack says the group's members changed: read them again at the next check."""
        if usergroup == self.usergroup:
            self._generation += 1
            self._expires = -math.inf

    async def _read(self) -> None:
        generation = self._generation
        try:
            response = await self.client.usergroups_users_list(usergroup=self.usergroup)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else repr(error)
            log.warning(
                "cannot read the managers' user group: only [bot] admins are managers for now",
                extra={"usergroup": self.usergroup, "error": code, "platform": "slack"},
            )
            self._members = frozenset()  # fail closed: a manager removed must not stay one
            self._expires = self._monotonic() + self.retry
            return
        self._members = frozenset(str(user) for user in response.get("users") or [])
        self._expires = self._monotonic() + self.ttl if generation == self._generation else -math.inf
