"""Aggregates only: figures about fewer than the minimum group are never shown, nor can two views
be compared to single someone out (4 weeks against 5, this week's post against last week's, a
skill against the total, the most active 10 % when there are few helpers)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.barometer.export import as_json
from bot.barometer.figures import Barometer, compute
from bot.barometer.privacy import Group, Hidden, Rule, Sizes, absent_from_runs
from bot.barometer.text import barometer_text
from bot.i18n import Catalog
from skills_db.storage.models import Need
from skills_db.storage.store import Store

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # a Wednesday: views end on Monday 7 December
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
SIX = ("Ana", "Ben", "Cid", "Dan", "Eva", "Fay")


def week_start(weeks_ago: int) -> datetime:
    """Monday of the week ``weeks_ago`` whole weeks before the current one (1: last week)."""
    return MONDAY - timedelta(weeks=weeks_ago)


class Org:
    def __init__(self, store: Store) -> None:
        self.store = store

    def need(self, who: str, skill: str, at: datetime) -> None:
        person = self.store.person_for("console", who.lower(), who, at=at - timedelta(days=300))
        self.store.create_need(
            Need(
                person_id=person.id or 0,
                text=f"help with {skill}",
                skills=[skill],
                platform="console",
                conversation="general",
                created_at=at,
            )
        )

    def weekly(self, people: tuple[str, ...], skill: str, weeks_ago: range) -> None:
        for ago in weeks_ago:
            for hour, who in enumerate(people):
                self.need(who, skill, week_start(ago) + timedelta(days=1, hours=hour))


@pytest.fixture
def org(database_url: str) -> Iterator[Org]:
    store = Store.open(database_url)
    yield Org(store)
    store.close()


def view(org: Org, weeks: int, now: datetime = NOW) -> Barometer:
    return compute(org.store, now, weeks, min_group_size=5, tz=UTC, recognise=lambda text: [])


def text(barometer: Barometer) -> str:
    return barometer_text(barometer, Catalog.load(), "en", lambda name: name)


def test_one_persons_need_in_the_fifth_week_cannot_be_isolated_by_comparing_4_and_5_weeks(org: Org) -> None:
    org.weekly(SIX, "Python", range(1, 5))  # six colleagues, one need each, in each of 4 weeks
    org.need("Xavier", "Python", week_start(5) + timedelta(days=2))  # week 5: Xavier alone
    four, five = view(org, 4), view(org, 5)
    assert four.needs.value == 24 and four.askers.value == 6  # about 6 people each week: shown
    assert [s.skill for s in four.top_skills] == ["Python"] and four.top_skills[0].weekly == (6, 6, 6, 6)
    # 5 weeks would say 25 needs and 7 askers: 25 - 24 = Xavier's one need, 7 - 6 = Xavier.
    assert five.needs.hidden is Hidden.COMPARISON and five.askers.hidden is Hidden.COMPARISON
    assert five.top_skills == ()  # Python's 25 needs: hidden the same way, so not named
    assert [w.value for w in five.weekly] == [None, 6, 6, 6, 6]  # the oldest week: Xavier's
    assert five.weekly[0].hidden is Hidden.FEW
    said = text(five)
    assert not re.search(r"\b25\b", said) and "Needs posted: hidden" in said
    assert "Colleagues who asked: hidden" in said
    assert "Week by week: ·████" in said
    assert as_json(five)["figures"]["needs"] == {"value": None, "suppressed": "comparison"}


def test_a_single_colleagues_need_of_a_week_is_never_a_difference_between_this_weeks_view_and_the_last(
    org: Org,
) -> None:
    org.weekly(SIX, "Python", range(1, 6))
    org.need("Xavier", "Python", week_start(1) + timedelta(days=3))  # last week: one more, by Xavier
    before = view(org, 4, NOW - timedelta(weeks=1))  # last week's post: weeks 2 to 5
    after = view(org, 4)  # this week's: weeks 1 to 4, the newest with Xavier's need
    assert before.needs.value == 24
    # The needs differ by week 1 minus week 5, each about 6 or 7 people: shown. The askers of
    # weeks 1 to 4 and of weeks 2 to 4 (last week's 3-week view) would differ by Xavier alone.
    assert after.needs.value == 25 and after.askers.hidden is Hidden.COMPARISON
    org.need("Yann", "Python", week_start(1) + timedelta(days=4))  # a second newcomer: still < 5
    assert view(org, 4).askers.hidden is Hidden.COMPARISON


def test_the_total_minus_the_skills_listed_cannot_give_one_persons_need(org: Org) -> None:
    org.weekly(SIX, "Python", range(1, 5))
    org.need("Zed", "SQL", week_start(2) + timedelta(days=3))  # the one need that is not Python
    four = view(org, 4)
    assert four.needs.value == 25  # week 2: 7 people
    # Python's 24 beside the total of 25 would give Zed's need: Python is hidden, and not named.
    assert four.top_skills == () and four.gaps == ()
    assert "Python" not in text(four) and "SQL" not in text(four)
    org.weekly(("Gus", "Hal", "Ivy", "Jo", "Kai"), "SQL", range(2, 3))  # five more in week 2
    four = view(org, 4)  # the rest of Python in week 2 is now 6 people: both skills shown
    assert {s.skill: s.needs.value for s in four.top_skills} == {"Python": 24, "SQL": 6}


def test_twenty_needs_by_one_person_are_a_figure_about_one_person(org: Org) -> None:
    for hour in range(20):
        org.need("Ana", "Python", week_start(1) + timedelta(hours=hour))
    one = view(org, 1)
    assert one.needs.hidden is Hidden.FEW and one.weekly[0].hidden is Hidden.FEW
    said = text(one)
    assert not re.search(r"\b20\b", said) and "Needs posted: not shown (fewer than 5 people)" in said


def test_the_most_active_tenth_needs_five_people_on_each_side() -> None:
    rule = Rule(5)
    thirty = Group((frozenset(range(30)),))
    assert rule.people(thirty) is None
    assert rule.top_share(thirty, 3, 27) is Hidden.FEW  # the top 10 % of 30 helpers: 3 people
    fifty = Group((frozenset(range(50)),))
    assert rule.top_share(fifty, 5, 45) is None
    assert rule.top_share(Group((frozenset(range(4)),)), 1, 3) is Hidden.FEW


def test_a_count_passes_only_if_every_week_and_every_rest_is_nobody_or_enough() -> None:
    rule = Rule(5)
    five, two = frozenset(range(5)), frozenset({7, 8})

    def sizes(*weeks: frozenset[int]) -> Sizes:
        return Group(weeks).sizes

    assert rule.count(sizes(five, five)) is None
    assert rule.count(sizes(five, frozenset())) is None  # a week of nobody is no one's week
    assert rule.count(sizes(five, two)) is Hidden.COMPARISON
    assert rule.count(sizes(frozenset(range(4)))) is Hidden.FEW
    assert rule.count(sizes(frozenset(), frozenset())) is Hidden.FEW  # nobody reads "fewer than 5"
    assert rule.count(sizes(five), (2,)) is Hidden.COMPARISON  # the rest is two people
    assert rule.count(sizes(five), (0,)) is None  # the part is the whole


def brute_absent(weeks: list[frozenset[int]]) -> list[list[int]]:
    everyone = frozenset().union(*weeks)
    return [
        [len(everyone - frozenset().union(*weeks[a : b + 1])) for b in range(a, len(weeks))]
        for a in range(len(weeks))
    ]


@given(st.lists(st.frozensets(st.integers(0, 12), max_size=8), min_size=1, max_size=9))
def test_people_absent_from_each_run_of_weeks_are_counted_exactly(weeks: list[frozenset[int]]) -> None:
    assert absent_from_runs(weeks) == brute_absent(weeks)
