"""Bulk writes for the importers: many rows per statement, inside the caller's session.

An import of a large workspace writes hundreds of thousands of rows: one ORM object and one
round trip per row costs most of its time. These helpers send plain dictionaries through
SQLAlchemy Core (``executemany``, or multi-row ``INSERT … RETURNING`` where the new ids are
needed), in the caller's transaction: a failure still rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select

from skills_db.storage.evidence import ensure_skill_in
from skills_db.storage.models import Skill, SkillAlias, SkillClaim
from skills_db.vocabulary.textnorm import fold

CHUNK = 5000  # rows per statement: bounds the memory of one batch, not its speed


def _table(model: type[SQLModel]) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys), in big executemany batches."""
    statement = sa.insert(_table(model))
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, list(rows[start : start + CHUNK]))


def insert_returning_ids(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """INSERT every row and return their new ids, in the order of ``rows``."""
    table = _table(model)
    if session.get_bind().dialect.name != "sqlite":
        statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids: list[int] = []
        for start in range(0, len(rows), CHUNK):
            result = session.execute(statement, list(rows[start : start + CHUNK]))
            ids.extend(int(row[0]) for row in result)
        return ids
    # SQLite returns ids in order only one row per statement. But one writer at a time holds
    # the database: the rows above the largest id seen before are these, in insertion order
    # (another writer having committed in between makes the insert fail, not interleave).
    before = session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    insert_rows(session, model, rows)
    query = sa.select(table.c.id).where(table.c.id > before).order_by(table.c.id)
    ids = [int(i) for i in session.execute(query).scalars()]
    if len(ids) != len(rows):
        raise RuntimeError(f"{table.name}: {len(rows)} rows inserted, {len(ids)} found")
    return ids


def insert_ignoring_duplicates_many(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> int:
    """INSERT … ON CONFLICT DO NOTHING for every row; how many were inserted."""
    if not rows:
        return 0
    table = _table(model)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(table).on_conflict_do_nothing()
    count = sa.select(sa.func.count()).select_from(table)
    before = session.execute(count).scalar_one()
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, list(rows[start : start + CHUNK]))
    # Counted rather than taken from rowcount, which drivers do not all report for executemany.
    return int(session.execute(count).scalar_one()) - int(before)


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

    def __call__(self, name: str) -> int:
        folded = fold(name)
        found = self.by_folded.get(folded)
        if found is None:
            found = self.by_folded[folded] = ensure_skill_in(self.session, name).id or 0
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
