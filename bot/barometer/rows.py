"""Reading many rows fast, the same way on SQLite and PostgreSQL: times and skill lists come
back as text and are parsed here (SQLAlchemy's own parsing of them was most of the time of a
large organisation's barometer), each distinct skill list once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from skills_db.storage.models import UTCDateTime


class Times:
    """Times as a dialect hands them back: SQLite's text parsed with ``fromisoformat``,
    PostgreSQL's datetimes as they come; aware UTC either way."""

    def __init__(self, session: Any) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def column(self, expression: Any) -> Any:
        return sa.type_coerce(expression, sa.String() if self.sqlite else UTCDateTime())

    def at(self, value: Any) -> datetime:
        """A time that cannot be missing."""
        found = self.read(value)
        assert found is not None
        return found

    def read(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Skills:
    """Skill lists (JSON) read as text and parsed once per distinct list: most needs of a period
    share their list of skills with others."""

    def __init__(self, session: Any) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self._parsed: dict[str, tuple[str, ...]] = {}

    def column(self, expression: Any) -> Any:
        return sa.type_coerce(expression, sa.String()) if self.sqlite else sa.cast(expression, sa.Text())

    def read(self, text: str | None) -> tuple[str, ...]:
        if text is None:
            return ()
        found = self._parsed.get(text)
        if found is None:
            found = self._parsed[text] = tuple(json.loads(text) or ())  # a JSON null: none
        return found


class Reader:
    """The connection of the current unit of work, and how to read its rows."""

    def __init__(self, session: Any) -> None:
        self.conn, self.times, self.skills = session.connection(), Times(session), Skills(session)
        if not self.times.sqlite:
            # psycopg prepares a statement run five times, and PostgreSQL may then plan it once
            # for any period ("generic plan"): for these range queries, a plan that took minutes
            # instead of a second in the benchmark. Planned for the period at hand instead.
            self.conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
