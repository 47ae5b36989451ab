"""When recurring jobs are due, and the key that names each period in the ledger.

A schedule answers one question: what is the latest occurrence at or before a given time? The
scheduler only ever runs that one (a job missed for three periods runs once, for the last), and
the occurrence's key is the ``JobRun.period`` that makes it run once.

Keys name the calendar period, not the instant: "2026-12-01" for a daily job, "2026-W49" for a
weekly one. Moving a daily job from 09:00 to 10:00 therefore does not run it twice that day.

APScheduler's triggers only compute the next fire time after a given one; walking back to the
latest one at or before now is simple enough with zoneinfo, so the arithmetic is done here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Occurrence:
    key: str  # the JobRun.period
    period_start: datetime  # start of the period the key names (UTC)
    scheduled_at: datetime  # when the run is due (UTC); grace is counted from here


class Schedule(Protocol):
    def latest(self, at: datetime) -> Occurrence:
        """The latest occurrence due at or before ``at``."""
        ...

    def next_after(self, at: datetime) -> Occurrence:
        """The first occurrence due strictly after ``at``."""
        ...


@dataclass(frozen=True)
class Every:
    """Every ``period``, aligned on the Unix epoch (plus ``offset``), so all processes agree.

    Keys are the UTC start of the period, "2026-12-01T10:05" (with seconds when the period or
    offset has some).
    """

    period: timedelta
    offset: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.period < timedelta(seconds=1) or self.period % timedelta(seconds=1):
            raise ValueError(f"Every needs a whole number of seconds, at least one, not {self.period}")
        if not timedelta(0) <= self.offset < self.period:
            raise ValueError("Every's offset must be at least zero and less than the period")

    def _occurrence(self, start: datetime) -> Occurrence:
        whole_minutes = not (self.period % timedelta(minutes=1) or self.offset % timedelta(minutes=1))
        key = start.strftime("%Y-%m-%dT%H:%M" if whole_minutes else "%Y-%m-%dT%H:%M:%S")
        return Occurrence(key, start, start)

    def latest(self, at: datetime) -> Occurrence:
        count = (at - EPOCH - self.offset) // self.period
        return self._occurrence(EPOCH + self.offset + count * self.period)

    def next_after(self, at: datetime) -> Occurrence:
        return self._occurrence(self.latest(at).scheduled_at + self.period)


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    # A time skipped by a DST change (02:30 on the spring change) is read with the offset before
    # the change, and a repeated one as its first occurrence: one run per day either way.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Daily:
    """Every day at ``at`` in ``tz``; key: the local date, "2026-12-01"."""

    at: time
    tz: tzinfo = UTC

    def _occurrence(self, day: date) -> Occurrence:
        return Occurrence(day.isoformat(), _local(day, time(0), self.tz), _local(day, self.at, self.tz))

    def latest(self, at: datetime) -> Occurrence:
        day = at.astimezone(self.tz).date()
        found = self._occurrence(day)
        return found if found.scheduled_at <= at else self._occurrence(day - timedelta(days=1))

    def next_after(self, at: datetime) -> Occurrence:
        return self._occurrence(date.fromisoformat(self.latest(at).key) + timedelta(days=1))


@dataclass(frozen=True)
class Weekly:
    """Every week on ``weekday`` (0 is Monday) at ``at`` in ``tz``; key: the ISO week, "2026-W49"."""

    weekday: int
    at: time
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday is 0 (Monday) to 6 (Sunday), not {self.weekday}")

    def _occurrence(self, day: date) -> Occurrence:
        year, week, weekday = day.isocalendar()
        monday = day - timedelta(days=weekday - 1)
        start, due = _local(monday, time(0), self.tz), _local(day, self.at, self.tz)
        return Occurrence(f"{year}-W{week:02d}", start, due)

    def _latest_day(self, at: datetime) -> date:
        today = at.astimezone(self.tz).date()
        day = today - timedelta(days=(today.weekday() - self.weekday) % 7)
        return day if self._occurrence(day).scheduled_at <= at else day - timedelta(days=7)

    def latest(self, at: datetime) -> Occurrence:
        return self._occurrence(self._latest_day(at))

    def next_after(self, at: datetime) -> Occurrence:
        return self._occurrence(self._latest_day(at) + timedelta(days=7))
