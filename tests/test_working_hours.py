"""Time counted in someone's working hours: when a request expires, when they can be asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import RoutingConfig
from bot.followup.notices import closes_on
from bot.matching.availability import add_working_hours, available_from, next_working_time
from skills_db.storage.models import Need, Person

ROUTING = RoutingConfig()  # 08:00-19:00, Monday to Friday
PARIS = "Europe/Paris"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_hours_are_counted_only_within_the_working_day() -> None:
    # Monday 17:00 in Paris (16:00 UTC): 2 hours left today, 6 more from Tuesday 08:00.
    assert add_working_hours(utc(2026, 12, 7, 16), 8, PARIS, ROUTING) == utc(2026, 12, 8, 13)
    # Friday 18:00 in Paris: one hour left, the weekend does not count, 7 more on Monday.
    assert add_working_hours(utc(2026, 12, 11, 17), 8, PARIS, ROUTING) == utc(2026, 12, 14, 14)
    # Unknown time zone: plain hours.
    assert add_working_hours(utc(2026, 12, 11, 17), 8, None, ROUTING) == utc(2026, 12, 12, 1)


def test_the_next_working_time_skips_nights_and_weekends() -> None:
    assert next_working_time(PARIS, utc(2026, 12, 7, 12), ROUTING) == utc(2026, 12, 7, 12)  # now
    assert next_working_time(PARIS, utc(2026, 12, 7, 22), ROUTING) == utc(2026, 12, 8, 7)
    assert next_working_time(PARIS, utc(2026, 12, 12, 10), ROUTING) == utc(2026, 12, 14, 7)  # Saturday


def test_availability_combines_absence_and_working_hours_within_a_horizon() -> None:
    person = Person(name="Alice", timezone=PARIS, away_until=utc(2026, 12, 9, 20))
    day = timedelta(days=1)
    # Back on Wednesday evening, after hours: askable on Thursday morning.
    assert available_from(person, utc(2026, 12, 7, 10), ROUTING, 4 * day) == utc(2026, 12, 10, 7)
    assert available_from(person, utc(2026, 12, 7, 10), ROUTING, 2 * day) is None
    person.matching_opt_out = True
    assert available_from(person, utc(2026, 12, 7, 10), ROUTING, 30 * day) is None


def test_the_closing_date_told_is_the_first_closing_run_after_the_delay() -> None:
    need = Need(person_id=1, text="x", platform="console", conversation="c", created_at=utc(2026, 12, 7, 10))
    assert closes_on(need, 14) == utc(2026, 12, 22, 9)
    need.created_at = utc(2026, 12, 7, 8)
    assert closes_on(need, 14) == utc(2026, 12, 21, 9)
