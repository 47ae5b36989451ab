"""The weeks a barometer covers: whole weeks before the current one, local Mondays to Mondays."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.barometer.period import Period


def test_whole_weeks_before_the_current_one_whatever_the_day() -> None:
    for day in range(7, 14):  # Monday 7 to Sunday 13 December 2026: the same view all week
        period = Period.ending(datetime(2026, 12, day, 23, 59, tzinfo=UTC), 4)
        assert period.weeks == ("2026-W46", "2026-W47", "2026-W48", "2026-W49")
        assert period.end == datetime(2026, 12, 7, tzinfo=UTC)
    assert Period.ending(datetime(2026, 12, 14, tzinfo=UTC), 1).weeks == ("2026-W50",)
    previous = Period.ending(datetime(2026, 12, 9, tzinfo=UTC), 4).previous()
    assert previous.weeks == ("2026-W42", "2026-W43", "2026-W44", "2026-W45")


def test_weeks_are_local_mondays_across_a_change_of_summer_time() -> None:
    paris = ZoneInfo("Europe/Paris")  # summer time ended on Sunday 25 October 2026
    period = Period.ending(datetime(2026, 11, 4, 12, 0, tzinfo=UTC), 2, paris)
    assert period.bounds == (
        datetime(2026, 10, 18, 22, 0, tzinfo=UTC),  # Monday 19 October, 00:00 CEST
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # Monday 26 October, 00:00 CET
        datetime(2026, 11, 1, 23, 0, tzinfo=UTC),
    )
    assert period.week_of(datetime(2026, 10, 25, 22, 59, tzinfo=UTC)) == 0
    assert period.week_of(datetime(2026, 10, 25, 23, 0, tzinfo=UTC)) == 1
    assert period.week_of(datetime(2026, 11, 1, 23, 0, tzinfo=UTC)) is None


@pytest.mark.parametrize("weeks", [0, 53])
def test_one_to_fifty_two_weeks(weeks: int) -> None:
    with pytest.raises(ValueError, match="1 to 52 weeks"):
        Period.ending(datetime(2026, 12, 9, tzinfo=UTC), weeks)
