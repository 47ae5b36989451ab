"""Whom people helped and how lately (HelpHistory), as kept in memory and in the index
snapshot: read back, it says the same; a thread taken back or a person forgotten leaves no trace."""

from __future__ import annotations

import io
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from bot.matching import snapshot
from bot.matching.activity import HALF_LIVES_DAYS, HelpHistory
from bot.matching.series import SortedSeries

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANA, BEN, CYD, DAN, EVE = 1, 2, 3, 4, 5


def read_back(history: HelpHistory) -> HelpHistory:
    """Through the snapshot's own pickler, as a restart reads it."""
    buffer = io.BytesIO()
    snapshot._Pickler(buffer, 0.0).dump(history)
    buffer.seek(0)
    loaded = snapshot._Unpickler(io.BufferedReader(buffer), 0.0).load()
    assert isinstance(loaded, HelpHistory)
    return loaded


def community() -> HelpHistory:
    history = HelpHistory()
    # Ana and Ben answer Cyd; Ben answers Dan; Eve answers Ana (who is also an asker).
    history.add(1, CYD, "help", [(ANA, True, START), (BEN, False, START + timedelta(hours=1))])
    history.add(2, CYD, "help", [(ANA, False, START + timedelta(days=1))])
    history.add(3, DAN, "ops", [(BEN, True, START + timedelta(days=2))])
    history.add(4, ANA, "ops", [(EVE, True, START + timedelta(days=3))])
    return history


def everything(history: HelpHistory, at: datetime) -> object:
    people = (ANA, BEN, CYD, DAN, EVE)
    return (
        history.figures(people, at, "help"),
        [history.paced(p, at) for p in people],
        [dict(history.near(p)) for p in people],
        [[history.helped(p, asker) for asker in people] for p in people],
        history.most_recent(5),
    )


def test_whom_people_helped_counts_each_thread_and_the_neighbours_of_an_asker() -> None:
    history = community()
    assert (history.helped(ANA, CYD), history.helped(BEN, CYD), history.helped(CYD, ANA)) == (2, 1, 0)
    assert dict(history.near(DAN)) == {}  # his neighbour Ben (who helped him) was never helped
    assert dict(history.near(CYD)) == {EVE: 1}  # Eve helped Cyd's helper Ana once
    history.add(5, ANA, "help", [(BEN, False, START + timedelta(days=4))])
    assert dict(history.near(CYD)) == {EVE: 1, BEN: 1}
    assert dict(history.near(EVE)) == {BEN: 1}  # Eve helped Ana, whom Ben helped too


def test_read_back_from_a_snapshot_the_history_says_the_same_and_keeps_learning() -> None:
    history = community()
    at = START + timedelta(days=5)
    loaded = read_back(history)
    assert everything(loaded, at) == everything(history, at)
    for kept in (history, loaded):  # a new answer after the restart counts as before it
        kept.add(9, DAN, "help", [(ANA, True, START + timedelta(days=4))])
    assert everything(loaded, at) == everything(history, at)
    again = read_back(loaded)  # packed once more with what it learnt
    assert everything(again, at) == everything(history, at)
    assert loaded.helped(ANA, DAN) == 1 and again.paced(ANA, at)[0] == 0.3  # 3 of the last 10 (there were 6)


def test_a_thread_taken_back_takes_back_whom_it_helped() -> None:
    history = read_back(community())
    history.remove(1)
    assert history.helped(ANA, CYD) == 1  # thread 2 still stands
    assert history.helped(BEN, CYD) == 0
    assert history.facts(BEN, START + timedelta(days=5), "help")[1] == 1  # thread 3 only


def test_a_forgotten_person_leaves_no_trace_in_the_history_nor_in_its_snapshot() -> None:
    history = read_back(community())
    history.forget(ANA)
    at = START + timedelta(days=5)
    for kept in (history, read_back(history)):
        assert kept.figures([ANA], at, "help")[ANA] == ([0.0] * 5, (0.0, 0, float("inf"), 0.0))
        assert kept.paced(ANA, at)[0] == 0.0
        assert kept.helped(ANA, CYD) == 0 and kept.helped(EVE, ANA) == 0
        assert ANA not in kept.near(CYD) and ANA not in kept.most_recent(5)
        assert dict(kept.near(EVE)) == {}  # Eve's only neighbour was Ana
        for series in (kept._times, kept._helped, kept._helpers_of):
            assert ANA not in set(series)
            assert all(ANA not in series.get(key) for key in series)


def test_sorted_series_read_back_keep_their_order_and_drop_what_was_popped() -> None:
    series = SortedSeries("d")
    for key, value in [(7, 3.0), (7, 1.0), (8, 5.0), (7, 2.0), (9, 4.0)]:
        series.add(key, value)
    loaded = pickle.loads(pickle.dumps(series))
    assert list(loaded.get(7)) == [1.0, 2.0, 3.0]
    loaded.add(7, 0.5)
    loaded.discard(8, 5.0)
    loaded.pop(9)
    assert list(loaded.get(7)) == [0.5, 1.0, 2.0, 3.0] and list(series.get(7)) == [1.0, 2.0, 3.0]
    again = pickle.loads(pickle.dumps(loaded))
    assert sorted(again) == [7]  # 8 emptied, 9 popped: neither is saved
    assert list(again.get(9)) == [] and 4.0 not in again._values


def test_answers_years_apart_count_as_they_decayed() -> None:
    # Past ~4.7 years the sums are re-based on a later epoch (exp would overflow), here in the
    # middle of a thread whose answers come from someone known and someone new.
    history = HelpHistory()
    history.add(1, CYD, "help", [(ANA, True, START)])
    later = START + timedelta(days=6 * 365)
    history.add(2, DAN, "help", [(ANA, False, later), (BEN, False, later + timedelta(hours=1))])
    at = later + timedelta(days=1)
    for person, answers in ((ANA, [START, later]), (BEN, [later + timedelta(hours=1)])):
        expected = [
            sum(0.5 ** ((at - when).total_seconds() / (days * 86400)) for when in answers)
            for days in HALF_LIVES_DAYS
        ]
        assert history.recent(person, at) == pytest.approx(expected, rel=1e-9)
    assert history.figures([ANA, BEN], at, "help")[BEN][1][1] == 1  # one answer ever
