"""The time the scheduler reads: the system's, or one a test or the console can move.

Every decision that depends on time (which period is due, whether it is within grace, whether a
lease ran out, which task is due) reads an injected :class:`Clock`, so the tests and the
console's ``/time`` move time without sleeping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _aware_utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when.isoformat()}: give a time zone (UTC if unsure)")
    return when.astimezone(UTC)


class MovableClock:
    """Real time plus an offset, or frozen at a set time.

    ``MovableClock()`` runs with the system clock and ``advance``/``set`` shift it (the console's
    ``/time``); ``MovableClock(frozen_at=t)`` stands still at ``t`` until moved (tests, and the
    process tests' ``--now``). The clock itself may be set backwards (tests need it);
    :func:`parse_time_argument` is what refuses that to a console user.
    """

    def __init__(self, frozen_at: datetime | None = None, *, real: Clock | None = None) -> None:
        self._real: Clock = real or SystemClock()
        self._frozen: datetime | None = None if frozen_at is None else _aware_utc(frozen_at)
        self._offset = timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    @property
    def offset(self) -> timedelta:
        """How far ahead of the real clock this one is (now, for a frozen one)."""
        return self.now() - self._real.now()

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return self._real.now() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
        return self.now()

    def set(self, when: datetime) -> datetime:
        when = _aware_utc(when)
        if self._frozen is not None:
            self._frozen = when
        else:
            self._offset = when - self._real.now()
        return self.now()


# -- the console's /time argument ------------------------------------------------------------

ACCEPTED_FORMS = (
    "+30m, +4h, +3d, +2w (or combined, +1d12h), a day of the week and a time ('monday 10:05', UTC), "
    "or a date and time 'YYYY-MM-DD HH:MM', UTC unless a zone follows ('2026-12-07 09:00 Europe/Paris', "
    "'2026-12-07 09:00 +01:00')"
)

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RELATIVE = re.compile(r"\+((?:\d+[mhdw])+)")
_RELATIVE_PART = re.compile(r"(\d+)([mhdw])")
_ABSOLUTE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?(?:\s*(\S+))?")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "lundi"),
            ("tuesday", "mardi"),
            ("wednesday", "mercredi"),
            ("thursday", "jeudi"),
            ("friday", "vendredi"),
            ("saturday", "samedi"),
            ("sunday", "dimanche"),
        )
    )
    for name in names
}
_WEEKDAY = re.compile(r"(?:next\s+|prochain\s+)?([a-z]+)(?:\s+(\d{1,2}):(\d{2}))?")


class TimeArgumentError(ValueError):
    """A ``/time`` argument that is not understood, or would move the clock backwards."""


def _zone(text: str) -> tzinfo:
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    offset = _OFFSET.fullmatch(text)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise TimeArgumentError(f"unknown time zone {text!r}; expected {ACCEPTED_FORMS}") from error


def parse_time_argument(text: str, now: datetime) -> datetime:
    """The time ``/time TEXT`` moves the clock to, from ``now``; never earlier than ``now``."""
    text = text.strip()
    compact = text.replace(" ", "").lower()
    if compact.startswith("-") and _RELATIVE.fullmatch("+" + compact[1:]):
        raise TimeArgumentError(f"cannot move the clock backwards ({text}); the clock only moves forward")
    relative = _RELATIVE.fullmatch(compact)
    if relative:
        delta = timedelta()
        for amount, unit in _RELATIVE_PART.findall(relative.group(1)):
            delta += timedelta(**{_UNITS[unit]: int(amount)})
        return now + delta
    weekday = _WEEKDAY.fullmatch(text.lower())
    if weekday and weekday.group(1) in _WEEKDAYS:
        return _next_weekday(now, _WEEKDAYS[weekday.group(1)], weekday.group(2), weekday.group(3), text)
    absolute = _ABSOLUTE.fullmatch(text)
    if not absolute:
        raise TimeArgumentError(f"cannot read {text!r} as a time; expected {ACCEPTED_FORMS}")
    day, clock_time, zone = absolute.groups()
    try:
        local = datetime.fromisoformat(f"{day}T{clock_time or '00:00'}")
    except ValueError as error:
        message = f"{text!r} is not a valid date and time; expected {ACCEPTED_FORMS}"
        raise TimeArgumentError(message) from error
    target = local.replace(tzinfo=_zone(zone) if zone else UTC).astimezone(UTC)
    if target < now:
        current = now.astimezone(UTC)
        raise TimeArgumentError(
            f"{target:%Y-%m-%d %H:%M} UTC is before the current time ({current:%Y-%m-%d %H:%M} UTC);"
            " the clock only moves forward"
        )
    return target


def _next_weekday(now: datetime, weekday: int, hours: str | None, minutes: str | None, text: str) -> datetime:
    """The next such day of the week (UTC) at that time (midnight by default), after ``now``."""
    hour, minute = int(hours or 0), int(minutes or 0)
    if hour > 23 or minute > 59:
        raise TimeArgumentError(f"{text!r} is not a valid time; expected {ACCEPTED_FORMS}")
    current = now.astimezone(UTC)
    day = current.date() + timedelta(days=(weekday - current.weekday()) % 7)
    target = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return target if target > current else target + timedelta(days=7)
