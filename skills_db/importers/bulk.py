"""Bulk writes for the importers: many rows per statement, inside the caller's session.

An import of a large workspace writes hundreds of thousands of rows: one ORM object and one
round trip per row cost most of its time, and so did SQLAlchemy's per-parameter work in an
``executemany`` of Core ``insert()``. These helpers turn plain dictionaries into the driver's
values with each column type's own bind processor, then send them straight to the driver
(``executemany`` on SQLite, ``COPY`` on PostgreSQL), on the caller's connection and in its
transaction: a failure still rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, col, select

from skills_db.storage.database import table_of
from skills_db.storage.evidence import ensure_skill_in
from skills_db.storage.models import Skill, SkillAlias, SkillClaim, UTCDateTime
from skills_db.vocabulary.textnorm import fold

CHUNK = 5000  # rows per statement: bounds the memory of one batch, not its speed


class Converted(dict[Any, Any]):
    """Values already converted by one bind processor, each converted once."""

    def __init__(self, processor: Callable[[Any], Any]) -> None:
        super().__init__()
        self.processor = processor

    def __missing__(self, value: Any) -> Any:
        stored = self[value] = self.processor(value)
        return stored


class Conversions:
    """The times converted so far, kept by a caller from write to write: a reply's time is also
    that of each of its claims."""

    def __init__(self) -> None:
        self._by_processor: dict[Callable[[Any], Any], Converted] = {}

    def of(self, processor: Callable[[Any], Any]) -> Converted:
        found = self._by_processor.get(processor)
        if found is None:
            found = self._by_processor[processor] = Converted(processor)
        return found


def _driver_rows(
    connection: sa.Connection,
    table: sa.Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    ids: Sequence[int] = (),
    times: Conversions | None = None,
) -> list[tuple[Any, ...]]:
    """Each row (its values in ``names`` order) as the driver's values.

    The values go through each column type's own bind processor for this dialect (what an
    ``insert()`` would do: aware datetimes stored as naive UTC, JSON dumped), so the database
    holds exactly what SQLAlchemy would have written; only its per-row, per-parameter
    bookkeeping (most of the cost of a large executemany) is skipped. Each distinct time is
    converted once (``times``: those converted so far).
    """
    dialect = connection.dialect
    conversions = Conversions() if times is None else times
    converters: dict[int, Callable[[Any], Any]] = {}
    for i, name in enumerate(names):
        column_type = table.c[name].type
        processor = _processor(column_type, dialect)
        if processor is not None:
            converters[i] = conversions.of(processor).__getitem__ if _is_time(column_type) else processor
    build = _row_builder(len(names), tuple(converters), bool(ids))
    return build(rows, ids, *converters.values())


@cache
def _row_builder(
    width: int, converted: tuple[int, ...], with_ids: bool
) -> Callable[..., list[tuple[Any, ...]]]:
    """``build(rows, ids, *converters)``: each row as a tuple (its id first if ``with_ids``),
    the values of the ``converted`` columns through their converter, in that order.

    One comprehension is written for each shape of row, as dataclasses and namedtuple write
    their methods: a Python loop per value, or rows turned into columns and back, cost a large
    import several times more. Only column positions go into its source, never data.
    """
    values = [f"v{i}" for i in range(width)]
    unpack = f"({', '.join(values)},)"
    built = ", ".join(f"c{i}({value})" if i in converted else value for i, value in enumerate(values))
    params = ", ".join(["rows", "ids", *(f"c{i}" for i in converted)])
    if with_ids:
        body = f"[(new_id, {built}) for new_id, {unpack} in zip(ids, rows, strict=True)]"
    else:
        body = f"[({built},) for {unpack} in rows]"
    function: Callable[..., list[tuple[Any, ...]]] = eval(f"lambda {params}: {body}")
    return function


def _is_time(column_type: sa.types.TypeEngine[Any]) -> bool:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, sa.DateTime)


def _processor(column_type: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for our UTC times on SQLite, the same text made by
    ``isoformat`` (SQLAlchemy's own, through two processors, was a tenth of a large import)."""
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
        return sqlite_utc_text
    processor: Callable[[Any], Any] | None = column_type._cached_bind_processor(dialect)
    return processor


def sqlite_utc_text(value: datetime | None) -> str | None:
    """An aware time as SQLAlchemy stores it in SQLite through :class:`UTCDateTime`: naive UTC,
    "YYYY-MM-DD HH:MM:SS.ffffff" (its DATETIME's storage format)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use an aware UTC time")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _check_complete(table: sa.Table, names: Sequence[str]) -> None:
    """The rows must name every column that has a default: the driver applies none."""
    missing = [
        c.name
        for c in table.columns
        if c.name not in names and not c.primary_key and (c.default is not None or c.onupdate is not None)
    ]
    if missing:
        raise ValueError(f"{table.name}: rows without {', '.join(missing)}")


def _insert_sql(connection: sa.Connection, table: sa.Table, names: Sequence[str], suffix: str = "") -> str:
    quote = connection.dialect.identifier_preparer.quote
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(quote(name) for name in names)
    markers = ", ".join([marker] * len(names))
    return f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({markers}){suffix}"


def _copy(
    connection: sa.Connection, table: sa.TableClause, names: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL COPY FROM STDIN (psycopg 3), on the session's connection and transaction."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
        for value in values:
            copy.write_row(value)


def _values(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Rows of the same keys as their column names and their values in that order."""
    names = list(rows[0]) if rows else []
    return names, [[row[name] for name in names] for row in rows]


def _write(
    session: Session,
    table: sa.Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    ids: Sequence[int] | None = None,
    times: Conversions | None = None,
) -> None:
    if not rows:
        return
    _check_complete(table, names)
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    written = ["id", *names] if ids is not None else names
    times = Conversions() if times is None else times
    for start in range(0, len(rows), CHUNK):
        chunk_ids = ids[start : start + CHUNK] if ids is not None else ()
        chunk = rows[start : start + CHUNK]
        values = _driver_rows(connection, table, names, chunk, chunk_ids, times)
        if postgres:
            _copy(connection, table, written, values)
        else:
            connection.exec_driver_sql(_insert_sql(connection, table, written), values)


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys): COPY on PostgreSQL, big executemany batches
    elsewhere."""
    _write(session, table_of(model), *_values(rows))


def insert_values(
    session: Session,
    model: type[SQLModel],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    times: Conversions | None = None,
) -> None:
    """As :func:`insert_rows`, each row given as its values in ``names`` order (a dictionary
    per row cost a large import more than writing it). ``times``: the times already converted
    for the database, when other rows written with these share them."""
    _write(session, table_of(model), names, rows, times=times)


def insert_returning_ids(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """INSERT every row and return their new ids, in the order of ``rows``."""
    table = table_of(model)
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # The ids are taken from the table's own sequence first (as the inserts would have),
        # then the rows copied with them: COPY returns nothing.
        query = sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
        ids = [int(i) for i in session.execute(query, {"table": table.name, "n": len(rows)}).scalars()]
        _write(session, table, *_values(rows), ids)
        return ids
    # SQLite returns ids in order only one row per statement. But one writer at a time holds
    # the database: the rows above the largest id seen before are these, in insertion order
    # (another writer having committed in between makes the insert fail, not interleave).
    before = session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    _write(session, table, *_values(rows))
    query_ids = sa.select(table.c.id).where(table.c.id > before).order_by(table.c.id)
    found = [int(i) for i in session.execute(query_ids).scalars()]
    if len(found) != len(rows):
        raise RuntimeError(f"{table.name}: {len(rows)} rows inserted, {len(found)} found")
    return found


def insert_ignoring_duplicates_many(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> int:
    """INSERT … ON CONFLICT DO NOTHING for every row; how many were inserted."""
    if not rows:
        return 0
    table = table_of(model)
    names, rows_values = _values(rows)
    _check_complete(table, names)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_ignoring_duplicates(connection, table, names, rows_values)
    count = sa.select(sa.func.count()).select_from(table)
    before = session.execute(count).scalar_one()
    statement = _insert_sql(connection, table, names, " ON CONFLICT DO NOTHING")
    for start in range(0, len(rows), CHUNK):
        chunk = rows_values[start : start + CHUNK]
        values = _driver_rows(connection, table, names, chunk)
        connection.exec_driver_sql(statement, values)
    # Counted rather than taken from rowcount, which drivers do not all report for executemany.
    return int(session.execute(count).scalar_one()) - int(before)


def _copy_ignoring_duplicates(
    connection: sa.Connection, table: sa.Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """PostgreSQL: the rows copied into a temporary table of the same columns, then inserted
    from it in one statement that skips the conflicting ones; how many were inserted. An
    executemany runs one INSERT per row on the server (the thanks of a 30,000-person import:
    1.75 s, 1.27 s this way). The temporary table is this transaction's: a failure rolls it
    back with the rest."""
    quote = connection.dialect.identifier_preparer.quote
    staging = sa.table(f"entraide_staging_{table.name}")
    columns = ", ".join(quote(name) for name in names)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {quote(staging.name)} ON COMMIT DROP"
        f" AS SELECT {columns} FROM {quote(table.name)} WITH NO DATA"
    )
    for start in range(0, len(rows), CHUNK):
        _copy(connection, staging, names, _driver_rows(connection, table, names, rows[start : start + CHUNK]))
    inserted = connection.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({columns})"
        f" SELECT {columns} FROM {quote(staging.name)} ON CONFLICT DO NOTHING"
    )
    connection.exec_driver_sql(f"DROP TABLE {quote(staging.name)}")  # the next batch makes its own
    return int(inserted.rowcount)


class SkillIds:
    """Skill name → id within one import: every stored name and alias read in two queries, a
    skill missing created (as ensure_skill_in would: by name or alias, accents and case ignored)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_folded: dict[str, int] = {}
        for skill_id, folded in session.execute(sa.select(col(Skill.id), col(Skill.folded))):
            self.by_folded[folded] = int(skill_id)
        for skill_id, folded in session.execute(sa.select(col(SkillAlias.skill_id), col(SkillAlias.folded))):
            self.by_folded.setdefault(folded, int(skill_id))
        self.by_name: dict[str, int] = {}  # the names asked for, as asked: each folded once

    def create(self, names: Iterable[str], category: str = "tech") -> None:
        """Create at once the skills of ``names`` the database does not have yet, in that order
        (the ids one at a time would have had), in ``category``: one statement, not a lookup
        and an insert each (an import into a new database creates thousands)."""
        missing: dict[str, str] = {}  # folded -> the first name asked for it
        for name in names:
            if name not in self.by_name:
                folded = fold(name)
                if folded not in self.by_folded:
                    missing.setdefault(folded, name)
        if not missing:
            return
        rows = [{"name": name, "folded": folded, "category": category} for folded, name in missing.items()]
        ids = insert_returning_ids(self.session, Skill, rows)
        self.by_folded.update(zip(missing, ids, strict=True))

    def __call__(self, name: str) -> int:
        found = self.by_name.get(name)
        if found is not None:
            return found
        folded = fold(name)
        found = self.by_folded.get(folded)
        if found is None:
            found = self.by_folded[folded] = ensure_skill_in(self.session, name).id or 0
        self.by_name[name] = found
        return found


def existing_pairs(
    session: Session, people: Iterable[int], source: str, chunk: int = 500
) -> set[tuple[int, int]]:
    """The (person, skill id) pairs these people already hold a claim of ``source`` on."""
    wanted = sorted(set(people))
    found: set[tuple[int, int]] = set()
    for start in range(0, len(wanted), chunk):
        query = select(SkillClaim.person_id, SkillClaim.skill_id).where(
            col(SkillClaim.person_id).in_(wanted[start : start + chunk]), SkillClaim.source == source
        )
        found.update((int(p), int(s)) for p, s in session.exec(query))
    return found
