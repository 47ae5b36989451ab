"""When someone is away until, however they write it.

``2026-12-24``, ``24/12/2026``, ``24/12``, ``tomorrow``, ``until monday``, ``jusqu'à lundi``
name a day: away until the end of that day, in the person's time zone. ``3d``, ``2 weeks``,
``3j``, ``2sem`` are a duration from now (the follow-ups ask again when it is over). The same
range holds for every form: from now to a year ahead; a day in the past is refused with that
reason, not "not understood".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.registry import UsageError
from skills_db.vocabulary.textnorm import fold

MAX_DAYS = 366

_UNITS = {
    **dict.fromkeys(("d", "day", "days", "j", "jour", "jours"), 1),
    **dict.fromkeys(("w", "week", "weeks", "s", "sem", "semaine", "semaines"), 7),
}
_WEEKDAYS = {
    **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))},
    **{name: i for i, name in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi"))},
    "saturday": 5,
    "sunday": 6,
    "samedi": 5,
    "dimanche": 6,
}
_RELATIVE = {"today": 0, "aujourd'hui": 0, "tomorrow": 1, "demain": 1}
# Words around the day that change nothing: "until monday", "jusqu'au 24/12", "lundi prochain".
_NOISE = re.compile(r"^(?:until|till|til|to|next|jusqu'(?:a|au)|au|le)\s+|\s+(?:prochain|next)$")
_COUNT = re.compile(r"^(\d{1,4})\s*([a-z]+)$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")


def parse_until(text: str, now: datetime, zone: str | None = None) -> datetime:
    """Now plus the duration ``text`` says, or the end of the day it names, in ``zone`` (else
    ``now``'s); UsageError when it names none, or one in the past or beyond a year."""
    local = _zone(zone, now)
    today = now.astimezone(local).date()
    folded = _strip_noise(fold(text))
    count = _COUNT.match(folded)
    if count and count.group(2) in _UNITS:
        days = int(count.group(1)) * _UNITS[count.group(2)]
        if 0 < days <= MAX_DAYS:
            return now + timedelta(days=days)
        if days:
            raise UsageError(None, "error.date_too_far", word=text[:40], days=MAX_DAYS)
        raise UsageError(None, "error.bad_date", word=text[:40])
    day = _day(folded, today)
    if day is None:
        raise UsageError(None, "error.bad_date", word=text[:40])
    if day < today:
        raise UsageError(None, "error.date_past", word=text[:40], date=day.isoformat())
    if (day - today).days > MAX_DAYS:
        raise UsageError(None, "error.date_too_far", word=text[:40], days=MAX_DAYS)
    return datetime.combine(day, time.max, tzinfo=local)


def _strip_noise(folded: str) -> str:
    previous = None
    while previous != folded:  # "until next monday": strip each word that changes nothing
        previous, folded = folded, _NOISE.sub("", folded).strip()
    return folded


def _day(folded: str, today: date) -> date | None:
    if folded in _RELATIVE:
        return today + timedelta(days=_RELATIVE[folded])
    if folded in _WEEKDAYS:  # the next one, a week ahead when it is today's name
        ahead = (_WEEKDAYS[folded] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    day_month = _DAY_MONTH.match(folded)
    if day_month:
        return _calendar_day(day_month.groups(), today)
    try:
        return date.fromisoformat(folded)
    except ValueError:
        return None


def _calendar_day(parts: tuple[str | None, ...], today: date) -> date | None:
    """DD/MM/YYYY, DD/MM/YY or DD/MM (the next such day) — day first, as in French."""
    day, month, year = parts
    assert day is not None and month is not None
    try:
        if year is None:
            found = date(today.year, int(month), int(day))
            return found if found >= today else date(today.year + 1, int(month), int(day))
        full = int(year) + 2000 if len(year) == 2 else int(year)
        return date(full, int(month), int(day))
    except ValueError:
        return None


def _zone(name: str | None, now: datetime) -> tzinfo:
    fallback = now.tzinfo or ZoneInfo("UTC")
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback
