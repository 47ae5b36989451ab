"""The movable clock, the console's /time argument and the schedules' periods (no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import (
    ACCEPTED_FORMS,
    Daily,
    Every,
    MovableClock,
    TimeArgumentError,
    Weekly,
    parse_time_argument,
)

NOW = datetime(2026, 12, 1, 10, 7, 30, tzinfo=UTC)  # a Tuesday
PARIS = ZoneInfo("Europe/Paris")


class FakeRealClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


# -- the clock ---------------------------------------------------------------------------------


def test_frozen_clock_moves_only_when_told() -> None:
    clock = MovableClock(frozen_at=NOW)
    assert clock.frozen and clock.now() == NOW
    assert clock.advance(timedelta(days=3)) == NOW + timedelta(days=3)
    assert clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=PARIS)) == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_running_clock_keeps_its_offset_from_real_time() -> None:
    real = FakeRealClock(NOW)
    clock = MovableClock(real=real)
    assert not clock.frozen and clock.now() == NOW
    clock.advance(timedelta(hours=4))
    real.current += timedelta(minutes=1)  # real time goes on under the offset
    assert clock.now() == NOW + timedelta(hours=4, minutes=1)
    clock.set(datetime(2026, 12, 24, 0, 0, tzinfo=UTC))
    real.current += timedelta(seconds=5)
    assert clock.now() == datetime(2026, 12, 24, 0, 0, 5, tzinfo=UTC)
    assert clock.offset == datetime(2026, 12, 24, tzinfo=UTC) - (NOW + timedelta(minutes=1))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        MovableClock(frozen_at=datetime(2026, 12, 1))
    with pytest.raises(ValueError, match="naive"):
        MovableClock().set(datetime(2026, 12, 1))


# -- /time ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+30m", NOW + timedelta(minutes=30)),
        ("+4h", NOW + timedelta(hours=4)),
        ("+3d", NOW + timedelta(days=3)),
        ("+2w", NOW + timedelta(weeks=2)),
        ("+1d12h", NOW + timedelta(days=1, hours=12)),
        (" +3D ", NOW + timedelta(days=3)),
        ("2026-12-07 09:00", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
        ("2026-12-07T09:00", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
        ("2026-12-07 09:00 UTC", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
        ("2026-12-07 09:00Z", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
        ("2026-12-07 09:00 Europe/Paris", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
        ("2026-12-07 09:00 +01:00", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
        ("2026-12-07 09:00-0500", datetime(2026, 12, 7, 14, 0, tzinfo=UTC)),
        ("2026-12-07", datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        ("monday 10:05", datetime(2026, 12, 7, 10, 5, tzinfo=UTC)),  # the next Monday
        ("Lundi 10:05", datetime(2026, 12, 7, 10, 5, tzinfo=UTC)),
        ("next monday 10:05", datetime(2026, 12, 7, 10, 5, tzinfo=UTC)),
        ("tuesday 12:00", datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),  # later today
        ("tuesday 09:00", datetime(2026, 12, 8, 9, 0, tzinfo=UTC)),  # passed today: next week
    ],
)
def test_time_argument_forms(text: str, expected: datetime) -> None:
    assert parse_time_argument(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["tomorrow", "+3y", "3d", "+", "2026-12-07 9h", "monday 25:00", "someday 10:00", ""]
)
def test_time_argument_not_understood_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(TimeArgumentError) as raised:
        parse_time_argument(text, NOW)
    assert ACCEPTED_FORMS in str(raised.value)
    assert "+3d" in str(raised.value) and "YYYY-MM-DD HH:MM" in str(raised.value)


def test_time_argument_invalid_date_or_zone() -> None:
    with pytest.raises(TimeArgumentError, match="not a valid date"):
        parse_time_argument("2026-13-01 09:00", NOW)
    with pytest.raises(TimeArgumentError, match="unknown time zone 'Mars/Olympus'"):
        parse_time_argument("2026-12-07 09:00 Mars/Olympus", NOW)


@pytest.mark.parametrize("text", ["-2d", "2026-12-01 10:00", "2020-01-01 00:00 Europe/Paris"])
def test_time_argument_never_moves_backwards(text: str) -> None:
    with pytest.raises(TimeArgumentError, match="only moves forward"):
        parse_time_argument(text, NOW)


# -- schedules -----------------------------------------------------------------------------------


def test_every_is_aligned_on_the_epoch() -> None:
    every = Every(timedelta(minutes=5))
    latest = every.latest(NOW)
    assert latest.key == "2026-12-01T10:05"
    assert latest.scheduled_at == latest.period_start == datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    assert every.latest(datetime(2026, 12, 1, 10, 5, tzinfo=UTC)).key == "2026-12-01T10:05"  # at is inclusive
    assert every.next_after(NOW).key == "2026-12-01T10:10"
    assert Every(timedelta(seconds=90)).latest(NOW - timedelta(seconds=1)).key == "2026-12-01T10:06:00"
    assert Every(timedelta(hours=1), offset=timedelta(minutes=15)).latest(NOW).key == "2026-12-01T09:15"
    with pytest.raises(ValueError):
        Every(timedelta(milliseconds=10))


def test_daily_key_is_the_local_date() -> None:
    daily = Daily(time(9, 0), PARIS)  # 08:00 UTC in winter
    before = daily.latest(datetime(2026, 12, 1, 7, 59, tzinfo=UTC))
    assert before.key == "2026-11-30"
    at = daily.latest(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert at.key == "2026-12-01"
    assert at.scheduled_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert at.period_start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # local midnight
    assert daily.next_after(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)).key == "2026-12-02"


def test_daily_across_daylight_saving_changes_runs_once_a_day() -> None:
    daily = Daily(time(2, 30), PARIS)  # 02:30 does not exist on 2026-03-29 and repeats on 10-25
    for start in (datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)):
        seen = [daily.next_after(start)]
        for _ in range(6):
            seen.append(daily.next_after(seen[-1].scheduled_at))
        days = [date.fromisoformat(o.key) for o in seen]
        assert days == [days[0] + timedelta(days=i) for i in range(7)]
        assert all(a.scheduled_at < b.scheduled_at for a, b in itertools.pairwise(seen))
        assert all(daily.latest(o.scheduled_at) == o for o in seen)


def test_weekly_key_is_the_iso_week() -> None:
    weekly = Weekly(0, time(9, 0), UTC)  # Mondays 09:00; 2026-11-30 is the Monday of week 49
    latest = weekly.latest(NOW)
    assert latest.key == "2026-W49"
    assert latest.scheduled_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert latest.period_start == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert weekly.latest(datetime(2026, 11, 30, 8, 59, tzinfo=UTC)).key == "2026-W48"
    assert weekly.next_after(NOW).key == "2026-W50"
    # Week 53 and the ISO year: Friday 2027-01-01 belongs to 2026-W53.
    assert Weekly(4, time(12, 0)).latest(datetime(2027, 1, 1, 13, 0, tzinfo=UTC)).key == "2026-W53"
    with pytest.raises(ValueError):
        Weekly(7, time(9, 0))
