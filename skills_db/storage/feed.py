"""The index change feed, and how readers of id-ordered tables keep up with it.

Every instance keeps indexes in memory (:mod:`bot.matching`). They learn of new rows by reading
the claim and thread tables by id; of what is gone or changed — an erasure, a removed skill, a
thread whose replies were deleted — through :class:`~skills_db.storage.models.IndexChange` rows,
written in the transaction that made the change (:func:`record_change`), so they commit with it
or not at all, and every instance on the database reads them.

Ids are handed out when a row is inserted, not when it commits: a long import holding low ids
can commit after a live write with a higher one. A reader that only asks for "ids above the
largest seen" would skip the import for good. :class:`GapCursor` remembers the ranges of ids
missing below the largest seen, and reads them again until they fill or stop mattering.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Engine
from sqlmodel import Session, col

from skills_db.storage.database import Database
from skills_db.storage.models import (
    ClaimSource,
    HelpReply,
    HelpThread,
    IndexChange,
    Skill,
    SkillClaim,
    utcnow,
)

GAP_SECONDS = 600.0  # how long ids missing below the largest read are read again
MAX_GAPS = 256  # gaps kept per cursor (the highest ids: the lowest are the likeliest for good)
RANGES_PER_QUERY = 128  # id ranges OR-ed in one statement (SQLite's expression depth is 1000)
START_WINDOW = 1000  # at start, the changes this close to the newest are checked for gaps


class ReplyRow(NamedTuple):
    """One answer in a help thread, as the matcher indexes it: its author's own words."""

    person: int
    text: str
    solved: bool  # the reply that solved the thread (✅ by the asker, accepted answer)
    created_at: datetime


class ThreadRow(NamedTuple):
    """A help thread as the matcher reads it."""

    id: int
    text: str  # the question and its answers
    created_at: datetime
    helpers: list[tuple[int, float]]  # (helper, weight): a solving reply weighs twice
    public: bool  # asked in public (only then may its words be quoted)
    asker: int | None = None
    channel: str = ""
    replies: tuple[ReplyRow, ...] = ()
    question: str = ""  # the question alone: what a reason may quote


# (claim id, person, skill, source, weight, epoch seconds), as bot.matching.skill_index takes them
ClaimTuple = tuple[int, int, str, str, float, float]
IdRanges = Sequence[tuple[int, int]]


class ChangeKind(StrEnum):
    PERSON_FORGOTTEN = "person_forgotten"  # person_id: erased, with everything about them
    DECLARED_REMOVED = "declared_removed"  # person_id, skill: a self-declaration withdrawn
    THREAD_REMOVED = "thread_removed"  # thread_id: deleted
    THREAD_CHANGED = "thread_changed"  # thread_id: its replies or its solver changed
    PEOPLE_MERGED = "people_merged"  # person_id merged into other_person_id (the one kept)
    VOCABULARY_CHANGED = "vocabulary_changed"  # skill: added, or given an alias (reload the vocabulary)
    SKILL_MOVED = "skill_moved"  # skill: its claims changed name (renamed, merged): read them again


@dataclass(frozen=True)
class Change:
    id: int
    kind: str  # ChangeKind; an unknown kind (from a newer version) is skipped
    person_id: int | None
    skill: str | None
    thread_id: int | None
    other_person_id: int | None


def record_change(
    session: Session,
    kind: ChangeKind,
    *,
    person_id: int | None = None,
    skill: str | None = None,
    thread_id: int | None = None,
    other_person_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Add a change to the feed, in the caller's session: it commits with the change itself."""
    session.add(
        IndexChange(
            kind=kind,
            person_id=person_id,
            skill=skill,
            thread_id=thread_id,
            other_person_id=other_person_id,
            created_at=at or utcnow(),
        )
    )


class Gap(NamedTuple):
    low: int  # first missing id
    high: int  # last missing id
    since: float  # when it was first seen missing (the cursor's clock)


@dataclass
class GapCursor:
    """How far a reader of an id-ordered table got.

    Every id up to ``last`` has been read, except the ``gaps``: ranges of ids that were missing
    when read. A transaction that took them may not have committed yet, so they are read again
    (:meth:`ranges`) until they fill, or for ``keep`` seconds: a rolled-back transaction or a
    deleted row leaves a hole for good. At most ``max_gaps`` are kept, the highest.

    With no gaps, reading costs what "ids above ``last``" costs.
    """

    last: int = 0
    gaps: list[Gap] = field(default_factory=list)  # ascending, disjoint, all below `last`
    keep: float = GAP_SECONDS
    max_gaps: int = MAX_GAPS

    def ranges(self, now: float) -> list[tuple[int, int]]:
        """The id ranges to read again, the expired gaps dropped first."""
        if self.gaps:
            self.gaps = [gap for gap in self.gaps if now - gap.since < self.keep]
        return [(gap.low, gap.high) for gap in self.gaps]

    def pending(self, row_id: int) -> bool:
        """Whether ``row_id`` is still to be read: above ``last``, or in a gap."""
        return row_id > self.last or any(gap.low <= row_id <= gap.high for gap in self.gaps)

    def advance(self, ids: Sequence[int], now: float) -> None:
        """Take note of the ids just read: each above ``last`` or in a gap, in any order.

        Those in gaps fill them; the others move ``last`` up, and the ids they skip become gaps.
        """
        if not len(ids):
            return
        last = self.last
        if self.gaps:
            fills = sorted(i for i in ids if i <= last)
            news: Sequence[int] = [i for i in ids if i > last] if fills else ids
            if fills:
                self._fill(fills)
        else:
            news = ids
        if not len(news):
            return
        top = max(news)
        if len(news) != top - last:  # ids are unique: fewer than the span means some are missing
            self.gaps.extend(Gap(low, high, now) for low, high in _holes(news, last, top, self.max_gaps))
            del self.gaps[: -self.max_gaps]
        self.last = top

    def _fill(self, fills: list[int]) -> None:
        kept: list[Gap] = []
        j, count = 0, len(fills)
        for gap in self.gaps:
            low = gap.low
            while j < count and fills[j] < low:
                j += 1
            while j < count and fills[j] <= gap.high:
                if fills[j] > low:
                    kept.append(Gap(low, fills[j] - 1, gap.since))
                low = fills[j] + 1
                j += 1
            if low <= gap.high:
                kept.append(Gap(low, gap.high, gap.since))
        self.gaps = kept[-self.max_gaps :]


def _holes(ids: Sequence[int], last: int, top: int, limit: int) -> list[tuple[int, int]]:
    """The ranges of ids in (last, top] not in ``ids`` (unique, all in that span), ascending:
    the highest ``limit`` of them."""
    span = top - last
    if span > 64 * len(ids) + 4096:  # sparse: sorting is cheaper than a byte per id
        holes = []
        previous = last
        for i in sorted(ids):
            if i > previous + 1:
                holes.append((previous + 1, i - 1))
            previous = i
        return holes[-limit:]
    seen = bytearray(span)  # seen[k]: id last + 1 + k was read
    base = last + 1
    for i in ids:
        seen[i - base] = 1
    holes = []
    end = span
    while len(holes) < limit:
        missing = seen.rfind(0, 0, end)
        if missing < 0:
            break
        present = seen.rfind(1, 0, missing)  # the run of missing ids starts after it
        holes.append((base + present + 1, base + missing))
        end = present + 1
        if present < 0:
            break
    holes.reverse()
    return holes


def in_ranges(column: Any, ranges: IdRanges) -> list[ColumnElement[bool]]:
    """Conditions "``column`` in one of ``ranges``", a few ranges each (one statement each)."""
    return [
        sa.or_(*(column.between(low, high) for low, high in ranges[start : start + RANGES_PER_QUERY]))
        for start in range(0, len(ranges), RANGES_PER_QUERY)
    ]


@contextmanager
def committed(engine: Engine) -> Iterator[Session]:
    """A session of its own, outside any unit of work: indexes follow what is committed only.

    Read inside the unit of work of an action, they would take in rows that may still roll back.
    It only reads: closing it rolls back.
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session


def read_help_threads(
    engine: Engine, conditions: Sequence[ColumnElement[bool]], batch: int = 5000
) -> Iterator[ThreadRow]:
    """The help threads meeting each condition in turn, by id, each with (helper, weight) pairs.

    The text is the question and its answers; a solving reply weighs twice an ordinary one.
    Read in batches, each in a short session of its own.
    """
    for condition in conditions:
        last: int | None = None
        while True:
            with committed(engine) as session:
                # sqlalchemy's select: sqlmodel's is typed for four columns at most.
                query = sa.select(
                    col(HelpThread.id),
                    col(HelpThread.text),
                    col(HelpThread.created_at),
                    col(HelpThread.solved_by_id),
                    col(HelpThread.public),
                    col(HelpThread.asker_id),
                    col(HelpThread.channel),
                ).where(condition)
                if last is not None:
                    query = query.where(col(HelpThread.id) > last)
                threads = session.execute(query.order_by(col(HelpThread.id)).limit(batch)).all()
                if not threads:
                    break
                replies: dict[int, list[ReplyRow]] = {}
                for reply_thread, person, text, solved, created in session.execute(
                    sa.select(
                        col(HelpReply.thread_id),
                        col(HelpReply.person_id),
                        col(HelpReply.text),
                        col(HelpReply.solved),
                        col(HelpReply.created_at),
                    )
                    .where(col(HelpReply.thread_id).in_([t[0] for t in threads]))
                    .order_by(col(HelpReply.id))
                ):
                    replies.setdefault(reply_thread, []).append(ReplyRow(person, text, solved, created))
            for number, question, created_at, solved_by, public, asker, channel in threads:
                assert number is not None
                helpers: dict[int, float] = {}
                texts = [question]
                answers = replies.get(number, [])
                for reply in answers:
                    texts.append(reply.text)
                    weight = 2.0 if reply.solved else 1.0
                    helpers[reply.person] = max(helpers.get(reply.person, 0.0), weight)
                if solved_by is not None and solved_by not in helpers:
                    helpers[solved_by] = 2.0
                yield ThreadRow(
                    number,
                    " ".join(texts),
                    created_at,
                    list(helpers.items()),
                    public,
                    asker,
                    channel or "",
                    tuple(answers),
                    question,
                )
                last = number
            if len(threads) < batch:
                break


def claim_tuples(rows: Iterable[Any]) -> Iterator[ClaimTuple]:
    """Rows of :func:`claim_query` as the skill index takes them."""
    for cid, person, skill, source, weight, created in rows:
        yield cid or 0, person, skill, source, weight, created.timestamp()


def claim_query() -> sa.Select[int | None, int, str, str, float, datetime]:
    """Claims as the skill index takes them (see :data:`ClaimTuple`), before ``.where``."""
    return sa.select(
        col(SkillClaim.id),
        col(SkillClaim.person_id),
        col(Skill.name),
        col(SkillClaim.source),
        col(SkillClaim.weight),
        col(SkillClaim.created_at),
    ).join(Skill, col(Skill.id) == col(SkillClaim.skill_id))


class FeedQueries(Database):
    """Reading the feed, and the rows a change asks readers to read again."""

    def changes_after(self, change_id: int, *, gaps: IdRanges = ()) -> list[Change]:
        """The changes with a larger id, and those in ``gaps`` (ranges below it), by id."""
        conditions = [col(IndexChange.id) > change_id, *in_ranges(col(IndexChange.id), gaps)]
        query = sa.select(
            col(IndexChange.id),
            col(IndexChange.kind),
            col(IndexChange.person_id),
            col(IndexChange.skill),
            col(IndexChange.thread_id),
            col(IndexChange.other_person_id),
        )
        with committed(self.engine) as session:
            rows = session.execute(query.where(sa.or_(*conditions)).order_by(col(IndexChange.id)))
            return [Change(*row) for row in rows]

    def latest_ids(self) -> tuple[int, int, int]:
        """The largest committed ids of help threads, skill claims and changes, in one statement:
        what a reader checks before reading anything (cheaper than reading nothing three times)."""
        query = sa.select(
            *(
                sa.select(sa.func.max(column)).scalar_subquery()
                for column in (col(HelpThread.id), col(SkillClaim.id), col(IndexChange.id))
            )
        )
        # Outside any transaction (one statement sees what is committed): on PostgreSQL no
        # BEGIN and ROLLBACK around it, two round trips of the three it cost at every need;
        # on the running reading()'s connection, which is such, not the ping of another.
        reader = self.reader()
        if reader is not None:
            threads, claims, changes = reader.execute(query).one()
        else:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                threads, claims, changes = connection.execute(query).one()
        return int(threads or 0), int(claims or 0), int(changes or 0)

    def prune_changes(self, before: datetime) -> int:
        """Forget changes older than ``before``: every running instance read them long ago, and
        a new one builds its indexes from the tables themselves."""
        with self.session() as session:
            result = session.execute(sa.delete(IndexChange).where(col(IndexChange.created_at) < before))
            return int(getattr(result, "rowcount", 0) or 0)

    def last_change_id(self) -> int:
        with committed(self.engine) as session:
            return int(session.execute(sa.select(sa.func.max(col(IndexChange.id)))).scalar() or 0)

    def change_feed_start(self, cursor: GapCursor, now: float) -> None:
        """Put ``cursor`` at the end of the feed, the gaps among its latest changes noted.

        Changes already committed are in the tables an index is then built from; those still
        in flight (in the gaps) will be read when they commit.
        """
        top = self.last_change_id()
        cursor.last = max(top - START_WINDOW, 0)
        cursor.gaps = []
        with committed(self.engine) as session:
            ids = session.execute(
                sa.select(col(IndexChange.id)).where(
                    col(IndexChange.id) > cursor.last, col(IndexChange.id) <= top
                )
            ).scalars()
            cursor.advance([int(i) for i in ids], now)
        if cursor.last < top:  # the newest changes were deleted: nothing above is missing
            cursor.last = top

    def help_threads_in(self, ranges: IdRanges, batch: int = 5000) -> Iterator[ThreadRow]:
        """The help threads with an id in ``ranges``, as they are now (see help_threads_after)."""
        return read_help_threads(self.engine, in_ranges(col(HelpThread.id), ranges), batch)

    def claims_read(
        self,
        person_id: int,
        upto: int,
        unread: IdRanges = (),
        *,
        skill: str | None = None,
        source: ClaimSource | None = None,
    ) -> list[ClaimTuple]:
        """A person's claims a reader has already read: ids up to ``upto``, not in ``unread``.

        What a reader reads again after a change; the claims it has not read yet it will read
        through its cursor, and must not count twice.
        """
        query = claim_query().where(col(SkillClaim.person_id) == person_id, col(SkillClaim.id) <= upto)
        for condition in in_ranges(col(SkillClaim.id), unread):
            query = query.where(sa.not_(condition))
        if skill is not None:
            query = query.where(col(Skill.name) == skill)
        if source is not None:
            query = query.where(col(SkillClaim.source) == source)
        with committed(self.engine) as session:
            return list(claim_tuples(session.execute(query.order_by(col(SkillClaim.id)))))
