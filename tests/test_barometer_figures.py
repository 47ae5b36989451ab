"""The barometer's figures against a hand-computed organisation (tests/barometer_world.py), on
SQLite and PostgreSQL: first every number (with a minimum group of 1, which only the code
allows: the configuration refuses less than 5), then what a minimum group of 5 leaves of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.barometer.figures import Barometer, compute
from bot.barometer.privacy import Figure, Hidden
from skills_db.importers.history import import_history
from skills_db.importers.model import SOURCE_JSONL, HistoryArchive, HistoryMessage, HistoryThread, HistoryUser
from skills_db.storage.models import HelpThread
from skills_db.storage.store import Store
from skills_db.vocabulary.taxonomy import Taxonomy
from tests.barometer_world import END, NOW, build


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    build(opened)
    yield opened
    opened.close()


def barometer(store: Store, k: int) -> Barometer:
    # Threads keep their skills: nothing is recognised again.
    return compute(store, NOW, 2, min_group_size=k, tz=UTC, recognise=lambda text: ["not expected"])


def value(figure: Figure) -> float:
    assert figure.shown, figure
    return round(figure.number, 4)


def test_every_figure_as_computed_by_hand(store: Store) -> None:
    b = barometer(store, 1)
    assert b.period.weeks == ("2026-W48", "2026-W49") and b.period.end == END
    assert b.previous.weeks == ("2026-W46", "2026-W47")
    # Needs: W48 n1 n2 n3 n4 n5 n6 t1 = 7, W49 n7 n8 n9 n10 n11 n12 t2 = 7 (n13 is after END, and
    # the "live" threads that solving n1, n2, n6, n8, n10 left behind are those needs again).
    assert value(b.needs) == 14 and [value(w) for w in b.weekly] == [7, 7]
    assert value(b.imported) == 2  # t1, t2
    assert value(b.needs_previous) == 4 and value(b.needs_trend) == 250  # (14 - 4) / 4
    # Live needs (12): asked = all but n5 and n11 → 10/12; accepted: n1 n2 n6 n7 n8 n10 → 6/12
    # (n9 was accepted after END).
    assert value(b.asked) == round(10 / 12, 4) and value(b.accepted) == 0.5
    assert value(b.answered) == 1  # t1 and t2 both had a reply
    assert value(b.solved) == round(6 / 14, 4)  # n1 n2 n6 n8 n10 t1
    # First offer (h): n1 2, n2 4, n6 1, t1 0.5, n7 6, n8 2, n10 3, t2 1 → 0.5 1 1 2 | 2 3 4 6 → 2.
    assert value(b.time_to_offer) == 2
    # Resolution (h): n1 24, n2 48, n6 3, t1 0.5, n8 24, n10 120 → 0.5 3 24 | 24 48 120 → 24.
    assert value(b.time_to_resolution) == 24
    # Nobody found at END: n4 (Lea's request expired), n5, n11 (nobody asked), n12 (declined,
    # expired); not n3 (Jade has not answered) nor n9 (Omar had not answered yet).
    assert value(b.open_nobody) == 4
    assert value(b.askers) == 7  # Ana Ben Cid Dan Eva Fay Gus
    # Help: Hugo n1 t1 n8, Ines n2 n10 t2, Kim n6 and a thanks for no need, Lea n7: 9 in all;
    # the top 10 % of 4 helpers is 1 person, with 3 of the 9.
    assert value(b.helpers) == 4 and value(b.top_share) == round(3 / 9, 4)
    # Skills: Python n1 n2 n3 n4 n6 t1 | n7 n8 n10 n12 t2 = 6 + 5; SQL n3 n5 | n9; Rust | n11.
    top = {s.skill: (value(s.needs), s.weekly) for s in b.top_skills}
    assert top == {"Python": (11, (6, 5)), "SQL": (3, (2, 1)), "Rust": (1, (0, 1))}
    assert [s.skill for s in b.top_skills] == ["Python", "SQL", "Rust"]
    trends = {s.skill: s.trend for s in b.top_skills}
    assert value(trends["Python"]) == 450 and value(trends["SQL"]) == 50  # from 2 and 2
    assert not trends["Rust"].shown  # none before: no percentage of nothing
    # Gaps: askers this period against helpers in the year before END (HELPED claims, claims of
    # imported replies): Rust 1 asker / 0 (Nia's imported claim is no reply), SQL 3 / 1 (Omar;
    # Zoe's is too old, Max only declared it), Python 6 / 3 (Hugo, Ines, Kim). Ordered by what is
    # shown: "fewer than k" helpers first, then helpers per need, Python 3/11 before SQL 1/3.
    # Nobody reads "fewer than k", whatever k: telling 0 from a few apart would say whether anybody did.
    nobody = Figure(None, Hidden.FEW)
    gaps = [(s.skill, value(s.needs), s.helpers) for s in b.gaps]
    assert gaps == [("Rust", 1, nobody), ("Python", 11, Figure(3)), ("SQL", 3, Figure(1))]
    # Focus skills (setting): SQL, and Go that nobody asked about; learners before END.
    focus = {s.skill: (s.needs, s.trend, s.helpers, s.learners) for s in b.focus}
    assert focus["SQL"] == (Figure(3), Figure(50), Figure(1), Figure(2))  # Cid's goal is after END
    assert focus["Go"] == (nobody, Figure(None, Hidden.FEW), nobody, Figure(1))  # Dan learns Go
    assert b.has_live and b.has_history


def test_what_a_minimum_group_of_five_leaves_and_why(store: Store) -> None:
    b = barometer(store, 5)
    # 14 needs, by 6 people in W48 (Ana Ben Cid Dan Eva Fay) and 7 in W49: shown, week by week.
    assert value(b.needs) == 14 and [value(w) for w in b.weekly] == [7, 7]
    few, comparison = Hidden.FEW, Hidden.COMPARISON
    hidden = {
        name: getattr(b, name).hidden
        for name in (
            "needs_previous",  # 4 needs by 4 people
            "needs_trend",  # so no trend
            "imported",  # Fay's two threads: one person
            "answered",  # the same
            "solved",  # 5 people, but W48's solved needs are Ana's, Ben's, Fay's: 3
            "asked",  # W48's needs nobody was asked for are Eva's alone
            "accepted",  # W48: Ana's and Ben's only
            "time_to_offer",  # offered in W48: Ana, Ben, Fay
            "time_to_resolution",
            "open_nobody",  # Dan Eva Gus Ana: 4 people
            "askers",  # 7, but Gus asked only in W49: the W48 view and this one differ by him
            "helpers",  # 4
            "top_share",
        )
    }
    assert hidden == {
        "needs_previous": few,
        "needs_trend": few,
        "imported": few,
        "answered": few,
        "solved": comparison,
        "asked": comparison,
        "accepted": comparison,
        "time_to_offer": comparison,
        "time_to_resolution": comparison,
        "open_nobody": few,
        "askers": comparison,
        "helpers": few,
        "top_share": few,
    }
    # Python: 6 askers, 5 each week, but the needs without Python in W48 are Eva's alone (total
    # minus Python would give it): not listed, and SQL and Rust are about 3 and 1 people.
    assert b.top_skills == () and b.gaps == ()
    focus = {s.skill: (s.needs.hidden, s.helpers.hidden, s.learners.hidden) for s in b.focus}
    assert focus == {"SQL": (few, few, few), "Go": (few, few, few)}  # 0 is "fewer than 5" too
    assert all(f.value is None for s in b.focus for f in (s.needs, s.trend, s.helpers, s.learners))


def test_imported_history_is_past_demand_by_the_skills_recognised_at_import(database_url: str) -> None:
    """An import keeps each thread's skills; a thread kept before it did is recognised when read."""
    store = Store.open(database_url)
    taxonomy = Taxonomy.load_default()
    users = {h: HistoryUser(h, h, h, "", None, False, False) for h in ("U1", "U2", "U3")}
    posted = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # W49

    def message(ts: str, author: str, text: str, hours: float = 0) -> HistoryMessage:
        return HistoryMessage(ts, author, text, (), posted + timedelta(hours=hours), ())

    threads = tuple(
        HistoryThread(
            SOURCE_JSONL,
            "help",
            f"t{n}",
            message(f"{n}.0", asker, "how do I tune a slow SQL query in Postgres?"),
            (message(f"{n}.1", "U3", "add an index", hours=2),),
            f"{n}.1" if n == 1 else None,
        )
        for n, asker in ((1, "U1"), (2, "U2"))
    )
    import_history(store, HistoryArchive("export.jsonl", users, threads, 0), taxonomy, learn=False)
    with store.session() as session:
        kept = sorted(tuple(t.skills or ()) for t in session.exec(select(HelpThread)))
        first = session.exec(select(HelpThread).where(HelpThread.external_id == "t2")).one()
        first.skills = None  # as if imported before threads kept their skills
        session.add(first)
    assert kept == [("SQL", "PostgreSQL"), ("SQL", "PostgreSQL")]  # in the order of the text
    read: list[str] = []

    def recognise(text: str) -> list[str]:
        read.append(text)
        return [m.skill for m in taxonomy.recognise(text)]

    b = compute(store, NOW, 2, min_group_size=1, tz=UTC, recognise=recognise)
    assert read == ["how do I tune a slow SQL query in Postgres?"]  # only the thread without skills
    assert {s.skill: value(s.needs) for s in b.top_skills} == {"PostgreSQL": 2, "SQL": 2}
    assert value(b.imported) == 2 and value(b.answered) == 1 and value(b.solved) == 0.5
    assert value(b.time_to_offer) == 2 and value(b.time_to_resolution) == 2
    assert value(b.helpers) == 1  # U3 replied to both
    store.close()
