"""The database: an engine, and units of work that the query classes of each aggregate share.

Each aggregate's queries (people, help, outbox, jobs, feed…) are a class deriving from
:class:`Database`; :class:`skills_db.storage.store.Store` combines them over one engine.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import Engine, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, ORMExecuteState
from sqlmodel import Session, SQLModel, create_engine

from skills_db.storage import migrate
from skills_db.storage.liveness import check_on_checkout

IDS = "entraide_ids"  # the parameter of Database.among_ids


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message never quotes the values of its statement
    # (a need's text, a message body), so a logged exception cannot leak them.
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL cannot corrupt the database; a power cut may lose the last
            # commits, which event deduplication and platform retries make harmless.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # LIFO: the connection used last is taken again, still known alive (no ping, see
    # liveness) and with its prepared statements; the others age out.
    engine = create_engine(url, hide_parameters=True, pool_use_lifo=True)
    check_on_checkout(engine)  # the pool's pre-ping, without its round trip on a busy connection
    return engine


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model: statements on its columns skip the ORM's compilation."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def insert_returning(
    session: Session, model: type[SQLModel], row: dict[str, Any], returning: Any = None
) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING ``returning`` (a column; by default a constant):
    its value when the row was inserted, None when its key was taken."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    # RETURNING rather than rowcount, which drivers do not all report for a skipped insert.
    what = sa.literal(1) if returning is None else returning
    found = session.execute(insert(table).values(**row).on_conflict_do_nothing().returning(what)).first()
    return None if found is None else found[0]


def insert_ignoring_duplicates(session: Session, model: type[SQLModel], row: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was inserted (its key was free)."""
    return insert_returning(session, model, row) is not None


def read_only(session: Session) -> None:
    """Make ``session`` refuse to write: a write in an autocommit session would commit at once,
    alone, where the caller may expect all or nothing."""

    @event.listens_for(session, "do_orm_execute")
    def _no_write(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            raise RuntimeError("a write inside Database.reading(): use unit_of_work()")

    @event.listens_for(session, "before_flush")
    def _no_flush(flushing: Session, *_: Any) -> None:
        if flushing.new or flushing.dirty or flushing.deleted:
            raise RuntimeError("a write inside Database.reading(): use unit_of_work()")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The session of the unit of work running in this thread (or task), if any: each
        # Database has its own, so two stores (two instances in one test) never share one.
        self._unit: ContextVar[Session | None] = ContextVar(f"unit_of_work_{id(self)}", default=None)
        # Each outermost unit of work numbered (see unit_number).
        self._unit_number: ContextVar[int | None] = ContextVar(f"unit_number_{id(self)}", default=None)
        self._units = itertools.count(1)
        self._reader: ContextVar[sa.Connection | None] = ContextVar(f"reader_{id(self)}", default=None)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Self:
        engine = make_engine(url)
        if upgrade:
            migrate.upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The current unit of work's session, or a short one of its own that commits at the end.

        Methods never commit themselves: inside :meth:`unit_of_work` everything they do commits
        together, or not at all.
        """
        current = self._unit.get()
        if current is not None:
            yield current
            return
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction for everything done inside, in this thread: all of it or nothing."""
        current = self._unit.get()
        if current is not None:
            yield current  # nested: part of the enclosing unit
            return
        with Session(self.engine, expire_on_commit=False) as session:
            token = self._unit.set(session)
            number = self._unit_number.set(next(self._units))
            try:
                yield session
                session.commit()
            finally:
                self._unit_number.reset(number)
                self._unit.reset(token)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Several reads on one connection (the running unit of work's, if any).

        On PostgreSQL each short session of its own cost round trips besides its query — the
        pool's ping, BEGIN and COMMIT; the dozen reads of one need took 30 of them — so outside
        a unit of work the reads share one connection in autocommit: no BEGIN nor COMMIT, and
        at the default READ COMMITTED each statement sees what is committed, as it would in a
        transaction. Nothing may write there (it would commit alone): :func:`read_only` refuses,
        on SQLite too, so that code that works on one engine works on the other.
        """
        if self._unit.get() is not None:
            yield  # part of the running unit of work, which may write
            return
        if self.engine.dialect.name != "postgresql":
            with self.unit_of_work() as session:  # SQLite: nothing to save, and one snapshot
                read_only(session)
                yield
            return
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with connection, Session(bind=connection, expire_on_commit=False) as session:
            read_only(session)
            token, reader = self._unit.set(session), self._reader.set(connection)
            number = self._unit_number.set(next(self._units))
            try:
                yield
            finally:
                self._unit_number.reset(number)
                self._reader.reset(reader)
                self._unit.reset(token)

    def reader(self) -> sa.Connection | None:
        """The autocommit connection of the running :meth:`reading`, if any: it sees only what
        is committed, so what must read outside any transaction may use it."""
        return self._reader.get()

    def among_ids(self, column: Mapped[int] | Mapped[int | None]) -> sa.ColumnElement[bool]:
        """``column`` among the ids bound at execution as :meth:`ids_parameter` gives them: one
        parameter whatever their count (an array on PostgreSQL, a JSON list read by json_each
        on SQLite), so that a statement built once serves every call. Building a need's reads
        anew each time, with one parameter per candidate, cost more than running them; and on
        PostgreSQL a new text at every need was parsed again by the driver (3.8-4.1 ms against
        1.9-2.6 ms for the 200 ids of a need's candidates)."""
        if self.engine.dialect.name == "postgresql":
            found: sa.ColumnElement[bool] = column == sa.any_(sa.bindparam(IDS, type_=ARRAY(sa.Integer)))
            return found
        values = sa.func.json_each(sa.bindparam(IDS, type_=sa.String)).table_valued("value")
        within: sa.ColumnElement[bool] = column.in_(sa.select(values.c.value))
        return within

    def ids_parameter(self, ids: Sequence[int]) -> dict[str, Any]:
        """The parameter of a statement built with :meth:`among_ids`."""
        if self.engine.dialect.name == "postgresql":
            return {IDS: list(ids)}
        return {IDS: json.dumps(list(ids))}

    @property
    def in_unit_of_work(self) -> bool:
        return self._unit.get() is not None

    def unit_number(self) -> int | None:
        """A number of the unit of work running in this thread (or task), unique to it in this
        Database; None outside any. What reads the committed data once per unit keys on it."""
        return self._unit_number.get()
