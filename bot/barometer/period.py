"""The weeks a barometer covers: whole weeks, ending where the current week starts.

A view never ends "now": it ends at the start of the current week (Monday 00:00 in the
barometer's time zone), so two views taken in the same week are the same view, and comparing
views can only ever isolate whole weeks (see :mod:`bot.barometer.privacy`).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

MAX_WEEKS = 52


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """``len(weeks)`` whole weeks: ``bounds[i]`` to ``bounds[i + 1]`` is week ``weeks[i]``, oldest first."""

    weeks: tuple[str, ...]  # ISO weeks, "2026-W49"
    bounds: tuple[datetime, ...]  # aware UTC, one more than the weeks
    tz: tzinfo

    @classmethod
    def ending(cls, at: datetime, weeks: int, tz: tzinfo = UTC) -> Period:
        """The ``weeks`` whole weeks before the week ``at`` falls in (local to ``tz``)."""
        if not 1 <= weeks <= MAX_WEEKS:
            raise ValueError(f"a barometer covers 1 to {MAX_WEEKS} weeks, not {weeks}")
        end = _monday(at.astimezone(tz).date())
        return cls._of(end, weeks, tz)

    @classmethod
    def _of(cls, end: date, weeks: int, tz: tzinfo) -> Period:
        mondays = [end - timedelta(weeks=weeks - i) for i in range(weeks + 1)]
        labels = []
        for monday in mondays[:-1]:
            year, week, _ = monday.isocalendar()
            labels.append(f"{year}-W{week:02d}")
        # Local midnights, so a week across a change of summer time is still Monday to Monday.
        return cls(tuple(labels), tuple(_midnight(m, tz) for m in mondays), tz)

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    @property
    def length(self) -> int:
        return len(self.weeks)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        """The last day covered (a Sunday)."""
        return self.end.astimezone(self.tz).date() - timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same length just before this one (for trends)."""
        return self._of(self.first_day, self.length, self.tz)

    def week_of(self, at: datetime) -> int | None:
        """The index of the week ``at`` falls in, or None outside the period."""
        if not self.start <= at < self.end:
            return None
        return bisect_right(self.bounds, at) - 1
