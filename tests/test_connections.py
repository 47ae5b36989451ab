"""Pooled PostgreSQL connections: a dead one is replaced without the pool pinging at every
checkout, and reads outside a unit of work share one connection that refuses to write."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy import create_engine

from skills_db.storage.liveness import check_on_checkout
from skills_db.storage.store import Store


def _backends(admin: sa.Engine, url: str) -> list[tuple[int, str]]:
    name = url.rsplit("application_name=", 1)[1]
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("select pid, query from pg_stat_activity where application_name = :name"),
            {"name": name},
        )
        return [(int(pid), str(query)) for pid, query in found]


def _terminate_all(admin: sa.Engine, url: str) -> int:
    pids = [pid for pid, _query in _backends(admin, url)]
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
        # Until they are gone: a terminated backend sends its FATAL message, then exits. Each
        # look is a transaction of its own: within one, pg_stat_activity is read once and kept,
        # and a backend still there at the first look stayed there forever.
        alive = sa.text("select count(*) from pg_stat_activity where pid = any(:pids)")
        deadline = time.monotonic() + 30
        while conn.execute(alive, {"pids": pids}).scalar():
            conn.commit()
            assert time.monotonic() < deadline, "terminated backends still there after 30 s"
            time.sleep(0.01)
    return len(pids)


def test_reads_and_writes_go_on_after_the_server_terminated_every_connection(
    postgres_url: str, postgres_admin: sa.Engine
) -> None:
    store = Store.open(postgres_url)
    try:
        ana = store.person_for("slack", "U_ANA", "Ana")
        with store.reading():  # two connections in the pool, both just used
            assert store.find_person_by_handle("U_ANA") is not None
            store.latest_ids()
        assert _terminate_all(postgres_admin, postgres_url) >= 1
        # A restart or an administrator's pg_terminate_backend: the next need still works.
        with store.reading():
            found = store.find_person_by_handle("U_ANA")
        assert found is not None and found.id == ana.id
        bob = store.person_for("slack", "U_BOB", "Bob")
        assert store.find_person_by_handle("U_BOB") is not None and bob.id != ana.id
    finally:
        store.close()


def test_only_a_connection_idle_for_a_while_is_pinged(postgres_url: str, postgres_admin: sa.Engine) -> None:
    now = [100.0]
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    check_on_checkout(engine, ping_after=5.0, clock=lambda: now[0])

    def last_statement() -> str:
        [(_pid, query)] = _backends(postgres_admin, postgres_url)
        return query

    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 'work'"))
        before = last_statement()  # the ROLLBACK that returned it to the pool
        now[0] += 4.0
        with engine.connect():
            pass
        assert last_statement() == before  # used 4 s ago: its socket was enough
        now[0] += 6.0
        with engine.connect():
            pass
        assert last_statement() == ";"  # idle 6 s: pinged (SQLAlchemy's ping on psycopg is ';')
    finally:
        engine.dispose()


def test_a_write_inside_reading_is_refused_and_leaves_nothing(database_url: str) -> None:
    # On PostgreSQL reading() runs in autocommit, where a write would commit alone; SQLite
    # refuses too, so that what passes on one engine passes on the other.
    store = Store.open(database_url)
    try:
        try:
            with store.reading():
                store.person_for("slack", "U_ZOE", "Zoe")
        except RuntimeError as error:
            assert "reading()" in str(error)
        else:
            raise AssertionError("a write inside reading() went through")
        assert store.find_person_by_handle("U_ZOE") is None
    finally:
        store.close()
