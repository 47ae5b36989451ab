"""Fixtures: one database per test, on SQLite and on PostgreSQL.

PostgreSQL tests run in a schema of their own on the server at ENTRAIDE_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test). Without a server they skip, except under CI=true
where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("ENTRAIDE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_engine() -> sa.Engine | None:
    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as error:
        engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but {POSTGRES_URL} is unreachable: {error}")
        return None
    return engine


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine | None]:
    engine = _postgres_engine()
    yield engine
    if engine is not None:
        engine.dispose()


def _postgres_url(admin: sa.Engine | None) -> Iterator[str]:
    if admin is None:
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL} (set CI=true to make this a failure)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    try:
        # Named after its schema, so that what the test leaves connected can be found below.
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.begin() as conn:
            # Engines a test did not dispose of keep idle connections until they are collected:
            # over a whole suite they would use up the server's max_connections (100 here).
            conn.execute(
                sa.text(
                    "select pg_terminate_backend(pid) from pg_stat_activity"
                    " where application_name = :name and pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_admin: sa.Engine | None
) -> Iterator[str]:
    """A fresh, empty database URL — the same test runs on both engines."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/entraide.db"
    else:
        yield from _postgres_url(postgres_admin)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/entraide.db"


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine | None) -> Iterator[str]:
    """A fresh PostgreSQL database only: for what SQLite's single writer makes moot (races)."""
    yield from _postgres_url(postgres_admin)
