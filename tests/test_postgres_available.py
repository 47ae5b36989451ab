"""Under CI=true the PostgreSQL half of the store suite must really run."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import IN_CI


def test_postgres_reachable_when_ci(postgres_admin: sa.Engine | None) -> None:
    if IN_CI:
        assert postgres_admin is not None
        with postgres_admin.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar() == 1
