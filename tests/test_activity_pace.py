"""Recency in the community's own pace (HelpHistory.paced): the share of its latest answers that
were someone's, whatever the calendar says — a quiet community's month is a busy one's hour."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from bot.matching.activity import HelpHistory

START = datetime(2026, 1, 1, tzinfo=UTC)


def answered(history: HelpHistory, thread: int, person: int, when: datetime, asker: int = 99) -> None:
    history.add(thread, asker, "help", [(person, False, when)])


def test_the_share_of_the_last_answers_is_the_same_whether_they_came_in_an_hour_or_a_year() -> None:
    busy, quiet = HelpHistory(), HelpHistory()
    for i in range(100):  # Ana gave every fourth answer, Ben the others
        who = 1 if i % 4 == 0 else 2
        answered(busy, i, who, START + timedelta(minutes=i))
        answered(quiet, i, who, START + timedelta(days=3 * i))
    later = START + timedelta(days=400)
    assert busy.paced(1, later) == quiet.paced(1, later)
    last_10, last_30, last_100, since = quiet.paced(1, later)
    assert (last_10, last_100) == (0.2, 0.25)  # answers 90..99: Ana gave 92 and 96
    assert last_30 == 7 / 30  # 72, 76, … 96
    assert since == 3.0  # Ben gave 97, 98 and 99 after Ana's latest
    assert quiet.paced(2, later)[0] == 0.8


def test_answers_after_the_moment_asked_do_not_count() -> None:
    history = HelpHistory()
    for i in range(10):
        answered(history, i, 1, START + timedelta(days=i))
    answered(history, 10, 2, START + timedelta(days=20))
    at = START + timedelta(days=15)
    assert history.paced(1, at)[0] == 1.0
    assert history.paced(2, at) == (0.0, 0.0, 0.0, math.inf)


def test_a_history_loaded_out_of_order_gives_the_same_figures() -> None:
    in_order, shuffled = HelpHistory(), HelpHistory()
    times = [(i, 1 + i % 3, START + timedelta(hours=i)) for i in range(60)]
    for thread, who, when in times:
        answered(in_order, thread, who, when)
    for thread, who, when in reversed(times):
        answered(shuffled, thread, who, when)
    later = START + timedelta(days=10)
    for who in (1, 2, 3):
        assert in_order.paced(who, later) == shuffled.paced(who, later)


def test_a_thread_taken_back_takes_its_answer_back() -> None:
    history = HelpHistory()
    for i in range(10):
        answered(history, i, 1, START + timedelta(days=i))
    answered(history, 10, 2, START + timedelta(days=10))
    later = START + timedelta(days=11)
    assert history.paced(2, later)[0] == 0.1
    history.remove(10)
    assert history.paced(2, later) == (0.0, 0.0, 0.0, math.inf)
    assert history.paced(1, later)[0] == 1.0  # the community's last ten are Ana's again


def test_the_askers_own_replies_are_not_help() -> None:
    history = HelpHistory()
    history.add(1, 5, "help", [(5, False, START), (6, True, START)])
    assert history.paced(5, START + timedelta(days=1))[0] == 0.0
    assert history.paced(6, START + timedelta(days=1))[0] == 0.1
