"""The importers' bulk writes store exactly what SQLAlchemy's own insert would have stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from skills_db.importers.bulk import (
    insert_ignoring_duplicates_many,
    insert_returning_ids,
    insert_rows,
    sqlite_utc_text,
)
from skills_db.storage.database import table_of
from skills_db.storage.models import Person, Thanks, ThanksKind, UTCDateTime
from skills_db.storage.store import Store

PARIS_SUMMER = timezone(timedelta(hours=2))
MOMENTS = [
    datetime(2016, 8, 2, 10, 11, 12, tzinfo=UTC),  # no microseconds: still written with six digits
    datetime(2016, 8, 2, 10, 11, 12, 345, tzinfo=UTC),
    datetime(2024, 6, 30, 23, 30, 0, 999999, tzinfo=PARIS_SUMMER),  # stored as UTC, the day before
    datetime(1, 1, 1, 2, 0, tzinfo=PARIS_SUMMER),  # year 1 keeps four digits
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def _people(moments: list[datetime]) -> list[dict[str, object]]:
    defaults = Person(name="", created_at=MOMENTS[0]).model_dump(exclude={"id"})
    return [{**defaults, "name": f"p{i}", "created_at": moment} for i, moment in enumerate(moments)]


def _stored(store: Store, names: list[str]) -> list[tuple[object, ...]]:
    table = table_of(Person)
    query = sa.select(table.c.name, sa.cast(table.c.created_at, sa.String), table.c.created_at)
    with store.engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(query.where(table.c.name.in_(names))))


def test_bulk_rows_read_back_as_an_insert_wrote_them(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        rows = _people(MOMENTS + MOMENTS[:2])  # times repeated across rows, as claims repeat replies'
        with store.session() as session:
            core = [{**row, "name": f"core-{row['name']}"} for row in rows]
            session.execute(sa.insert(table_of(Person)), core)
            ids = insert_returning_ids(session, Person, rows[:3])
            insert_rows(session, Person, rows[3:])
            session.commit()
        assert len(ids) == 3
        by_core = _stored(store, [f"core-p{i}" for i in range(len(rows))])
        by_bulk = _stored(store, [f"p{i}" for i in range(len(rows))])
        # The same text in the database (what another reader sees) and the same aware UTC times.
        assert [row[1:] for row in by_bulk] == [row[1:] for row in by_core]
        assert {row[2] for row in by_bulk} == {moment.astimezone(UTC) for moment in MOMENTS}
    finally:
        store.close()


def _thanks(giver: int, helper: int, ref: str, skills: list[str]) -> dict[str, object]:
    return {
        "from_person_id": giver,
        "to_person_id": helper,
        "need_id": None,
        "text": "",
        "created_at": MOMENTS[2],
        "kind": ThanksKind.IMPORTED.value,
        "skills": skills,
        "public": True,
        "ref": ref,
    }


def test_rows_already_recorded_are_skipped_and_the_others_kept(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        with store.session() as session:
            ana, bob = insert_returning_ids(session, Person, _people(MOMENTS[:2]))
            first = [_thanks(ana, bob, "import:1", ["terraform"])]
            assert insert_ignoring_duplicates_many(session, Thanks, first) == 1
            # Twice in one transaction, as an import writes batch after batch.
            again = [_thanks(bob, ana, "import:1", ["kubernetes"]), _thanks(ana, bob, "import:2", ["café"])]
            assert insert_ignoring_duplicates_many(session, Thanks, again) == 1
            session.commit()
        table = table_of(Thanks)
        query = sa.select(table.c.ref, table.c.to_person_id, table.c.skills, table.c.created_at)
        with store.engine.connect() as conn:
            rows = sorted(tuple(row) for row in conn.execute(query))
        # The first "import:1" stays as it was; the new one is stored whole (JSON, aware time).
        assert rows == [("import:1", bob, ["terraform"], MOMENTS[2]), ("import:2", bob, ["café"], MOMENTS[2])]
    finally:
        store.close()


def test_the_sqlite_time_text_is_sqlalchemys_own() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    own = UTCDateTime()._cached_bind_processor(dialect)  # what an insert() applies
    assert own is not None
    for moment in MOMENTS:
        assert sqlite_utc_text(moment) == own(moment)
    assert sqlite_utc_text(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_utc_text(datetime(2020, 1, 1))
