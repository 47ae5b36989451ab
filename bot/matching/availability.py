"""Whether someone may be asked for help now: present, opted in, and within working hours."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import RoutingConfig


class Reachable(Protocol):
    """What availability depends on (a Person, or a PersonBrief)."""

    @property
    def deleted(self) -> bool: ...
    @property
    def matching_opt_out(self) -> bool: ...
    @property
    def away_until(self) -> datetime | None: ...
    @property
    def timezone(self) -> str | None: ...


def is_available(person: Reachable, at: datetime, routing: RoutingConfig) -> bool:
    if person.deleted or person.matching_opt_out:
        return False
    if person.away_until is not None and person.away_until > at:
        return False
    return within_working_hours(person.timezone, at, routing)


def within_working_hours(timezone: str | None, at: datetime, routing: RoutingConfig) -> bool:
    """True when it is a working hour where the person lives; unknown time zones always are."""
    zone = _zone(timezone) if timezone else None
    if zone is None or not routing.working_hours:
        return True
    local = at.astimezone(zone)
    start, end = routing.working_hours_range
    minutes = local.hour * 60 + local.minute
    return local.isoweekday() in routing.working_days and start <= minutes < end


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
