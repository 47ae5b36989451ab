"""The barometer as text: numbers as each language writes them, bars for the top skills, a
sparkline for the weeks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.barometer.figures import Barometer, compute
from bot.barometer.numbers import change, number, percent
from bot.barometer.text import barometer_text
from bot.i18n import Catalog
from skills_db.storage.models import Need
from skills_db.storage.store import Store

NNBSP, NBSP = "\u202f", "\u00a0"
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
SIX = ("Ana", "Ben", "Cid", "Dan", "Eva", "Fay")


def test_numbers_in_english_and_french() -> None:
    assert number(1234.5, "en", 1) == "1,234.5"
    assert number(1234.5, "fr", 1) == f"1{NNBSP}234,5"
    assert number(1234567, "fr") == f"1{NNBSP}234{NNBSP}567"
    assert number(3.0, "fr", 1) == "3" and number(2.25, "en", 1) == "2.2"
    assert percent(0.42, "en") == "42%" and percent(0.42, "fr") == f"42{NNBSP}%"
    assert percent(0.125, "fr") == f"12{NNBSP}%"
    assert change(450, "en") == "+450%" and change(-5.4, "fr") == f"\u22125{NNBSP}%"
    assert change(1234, "fr") == f"+1{NNBSP}234{NNBSP}%" and change(0.2, "en") == "0%"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = Store.open(sqlite_url)
    yield opened
    opened.close()


def add_needs(store: Store, rows: list[tuple[str, str, datetime]]) -> None:
    ids = {who: store.person_for("console", who.lower(), who).id for who, _, _ in rows}
    values = [
        {
            "person_id": ids[who],
            "text": f"help with {skill}",
            "skills": [skill],
            "platform": "console",
            "conversation": "general",
            "status": "open",
            "created_at": at,
            "exhausted_told": False,
            "solved_asked": False,
            "public": False,
        }
        for who, skill, at in rows
    ]
    with store.session() as session:
        session.execute(sa.insert(Need.__table__), values)  # type: ignore[attr-defined]


def grown(store: Store) -> Barometer:
    """Six colleagues, week after week more needs: 6, 12, 18 then 24 about Python, 0, 6, 6 then
    12 about SQL, and 1,104 about Terraform in the last week."""
    rows = []
    for ago, per_person in ((4, 1), (3, 2), (2, 3), (1, 4)):
        start = MONDAY - timedelta(weeks=ago)
        for who in SIX:
            rows += [(who, "Python", start + timedelta(hours=n)) for n in range(per_person)]
            rows += [(who, "SQL", start + timedelta(hours=12 + n)) for n in range(per_person // 2)]
    last = MONDAY - timedelta(weeks=1)
    rows += [(who, "Terraform", last + timedelta(days=2, minutes=n)) for who in SIX for n in range(184)]
    add_needs(store, rows)
    return compute(store, NOW, 4, min_group_size=5, tz=UTC, recognise=lambda text: [])


def test_bars_for_the_top_skills_and_a_sparkline_for_the_weeks(store: Store) -> None:
    b = grown(store)
    said = barometer_text(b, Catalog.load(), "en", lambda name: name)
    # Weeks: 6, 12 + 6, 18 + 6, 24 + 12 + 1,104 needs: the last is the top of the sparkline, and
    # the others, however small beside it, are above the floor kept for weeks of no need.
    assert "Needs posted: 1,188" in said
    assert "Week by week: ▂▂▂█ (6, 18, 24, 1,140)" in said
    lines = said.splitlines()
    top = lines[lines.index("Skills most asked about:") + 1 :][:3]
    assert top == [
        "  Terraform  ██████████ 1,104",
        "  Python     ▌             60",
        "  SQL        ▌             24",
    ]


def test_the_french_text_writes_french_numbers(store: Store) -> None:
    b = grown(store)
    said = barometer_text(b, Catalog.load(), "fr", lambda name: name)
    assert said.startswith(
        "Baromètre des 4 semaines du 9 novembre 2026 au 6 décembre 2026 (2026-W46 – 2026-W49)"
    )
    assert f"Besoins exprimés{NBSP}: 1{NNBSP}188" in said
    assert f"(6, 18, 24, 1{NNBSP}140)" in said
    assert f"  Terraform  ██████████ 1{NNBSP}104" in said
    assert f"Besoins résolus{NBSP}: 0{NNBSP}%" in said  # nobody's need is solved: 0 % of them all
