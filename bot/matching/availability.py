"""Whether someone may be asked for help now: present, opted in, and within working hours."""

from __future__ import annotations

from datetime import datetime, timedelta
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


def available_from(
    person: Reachable, at: datetime, routing: RoutingConfig, horizon: timedelta
) -> datetime | None:
    """When ``person`` may next be asked, from ``at`` (``at`` itself when now); None when they
    have opted out, or are not back within ``horizon``."""
    if person.deleted or person.matching_opt_out:
        return None
    start = at
    if person.away_until is not None and person.away_until > at:
        start = person.away_until
    found = next_working_time(person.timezone, start, routing)
    return found if found - at <= horizon else None


def next_working_time(timezone: str | None, at: datetime, routing: RoutingConfig) -> datetime:
    """The first moment from ``at`` within the person's working hours (``at`` when it is)."""
    if within_working_hours(timezone, at, routing):
        return at
    zone = _zone(timezone) if timezone else None
    assert zone is not None  # unknown zones are always within working hours
    start, _end = routing.working_hours_range
    local = at.astimezone(zone)
    for days in range(8):  # a working day comes within a week (working_days is never empty)
        day = (local + timedelta(days=days)).date()
        opening = datetime(day.year, day.month, day.day, start // 60, start % 60, tzinfo=zone)
        if opening > local and day.isoweekday() in routing.working_days:
            return opening.astimezone(at.tzinfo)
    return at


def add_working_hours(
    start: datetime, hours: float, timezone: str | None, routing: RoutingConfig
) -> datetime:
    """``start`` plus ``hours`` counted only within the person's working hours."""
    zone = _zone(timezone) if timezone else None
    if zone is None or not routing.working_hours or not routing.working_days:
        return start + timedelta(hours=hours)
    left = timedelta(hours=hours)
    at = next_working_time(timezone, start, routing)
    _start, end = routing.working_hours_range
    while True:
        local = at.astimezone(zone)
        closing = datetime(local.year, local.month, local.day, end // 60, end % 60, tzinfo=zone)
        if at + left <= closing:
            return (at + left).astimezone(start.tzinfo)
        left -= closing - local
        at = next_working_time(timezone, closing, routing)


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
