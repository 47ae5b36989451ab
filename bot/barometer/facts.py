"""What the barometer reads of the needs: one compact row per need of a period, with its
outcome as of the period's end already aggregated in SQL (asks, replies, helpers); for the
period before, only who asked, when and about what.

Live needs are :class:`~skills_db.storage.models.Need` rows. Imported history — help threads
from an export, the demo's past help — counts as past demand: each thread is a need posted
when it was asked, offered help when someone else first replied, solved when its solving reply
was posted. The help threads a live need leaves behind when solved (source "live") are that
need again and are not counted twice. Threads whose asker is unknown (a bot) are not demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import col

from bot.barometer.period import Period
from bot.barometer.rows import Reader
from skills_db.storage.followups import SENT
from skills_db.storage.models import (
    Ask,
    AskStatus,
    HelpReply,
    HelpThread,
    Need,
    NeedStatus,
    Thanks,
    ThanksKind,
)
from skills_db.storage.store import Store

LIVE_THREADS = "live"  # the help thread of a need solved live: the need itself, already counted


class NeedFact(NamedTuple):
    """One need (live or imported) of a period, as of the period's end (a tuple: tens of
    thousands are made for a large organisation's barometer)."""

    person: int  # who asked
    week: int  # index of its week in the period
    skills: tuple[str, ...]
    live: bool
    # Its outcome (read_demand leaves it out):
    asked: bool = False  # a request was sent to a colleague (live needs only)
    accepted: bool = False  # a colleague accepted (live needs only)
    offered: float | None = None  # seconds from posting to the first offer of help
    solved: float | None = None  # seconds from posting to its resolution
    nobody: bool = False  # still open with nobody found: nobody accepted, none waits (live only)
    helpers: frozenset[int] = frozenset()  # who helped (accepted, solved it, thanked for it, replied)


@dataclass(frozen=True)
class Facts:
    period: Period
    needs: tuple[NeedFact, ...]
    free_help: tuple[tuple[int, int], ...]  # (week, helper): thanks given for no particular need


Recognise = Callable[[str], list[str]]


def read_facts(store: Store, period: Period, recognise: Recognise, close_after: timedelta) -> Facts:
    with store.session() as session:
        # Core rows, not ORM ones: tens of thousands of them in a large organisation.
        reader = Reader(session)
        needs = _live_needs(reader, period, close_after)
        needs += _imported(reader, period, recognise)
        free = _free_help(reader, period)
    return Facts(period, tuple(needs), tuple(free))


def read_demand(store: Store, period: Period, recognise: Recognise) -> Facts:
    """Who asked, when, about what, without outcomes: all a trend needs of the period before."""
    with store.session() as session:
        reader = Reader(session)
        conn, times, skills = reader.conn, reader.times, reader.skills
        live = conn.execute(
            sa.select(
                col(Need.person_id), times.column(col(Need.created_at)), skills.column(col(Need.skills))
            ).where(col(Need.created_at) >= period.start, col(Need.created_at) < period.end)
        )
        needs = [
            NeedFact(p, period.week_of(times.at(at)) or 0, skills.read(names), True) for p, at, names in live
        ]
        threads = conn.execute(
            sa.select(
                col(HelpThread.asker_id),
                times.column(col(HelpThread.created_at)),
                skills.column(col(HelpThread.skills)),
                sa.case((col(HelpThread.skills).is_(None), col(HelpThread.text)), else_=sa.null()),
            ).where(_imported_in(period))
        )
        for person, at, names, text in threads:
            found = skills.read(names) if names is not None else tuple(recognise(text or ""))
            needs.append(NeedFact(person, period.week_of(times.at(at)) or 0, found, False))
    return Facts(period, tuple(needs), ())


def _seconds(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else max((later - earlier).total_seconds(), 0.0)


def _live_needs(reader: Reader, period: Period, close_after: timedelta) -> list[NeedFact]:
    conn, times = reader.conn, reader.times
    start, end = period.start, period.end
    in_period = sa.and_(col(Need.created_at) >= start, col(Need.created_at) < end)
    asks = (
        sa.select(
            col(Ask.need_id).label("need_id"),
            sa.func.max(
                sa.case((sa.and_(col(Ask.status).in_(SENT), col(Ask.asked_at) < end), 1), else_=0)
            ).label("asked"),
            times.column(
                sa.func.min(
                    sa.case(
                        (
                            sa.and_(col(Ask.status) == AskStatus.ACCEPTED, col(Ask.answered_at) < end),
                            col(Ask.answered_at),
                        )
                    )
                )
            ).label("accepted_at"),
            # Someone was asked, or is to be asked, and had not answered at the end.
            sa.func.max(
                sa.case(
                    (
                        sa.and_(
                            col(Ask.asked_at) < end,
                            sa.or_(col(Ask.answered_at).is_(None), col(Ask.answered_at) >= end),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("awaiting"),
        )
        .join(Need, col(Need.id) == col(Ask.need_id))
        .where(in_period)
        .group_by(col(Ask.need_id))
        .subquery()
    )
    rows = conn.execute(
        sa.select(
            col(Need.id),
            col(Need.person_id),
            times.column(col(Need.created_at)),
            reader.skills.column(col(Need.skills)),
            col(Need.status),
            times.column(col(Need.solved_at)),
            asks.c.asked,
            asks.c.accepted_at,
            asks.c.awaiting,
        )
        .outerjoin(asks, asks.c.need_id == col(Need.id))
        .where(in_period)
    ).all()
    helpers = _need_helpers(conn, in_period, end)
    facts = []
    for need_id, person, created_at, skills, status, solved_text, asked, accepted_text, awaiting in rows:
        created = times.at(created_at)
        solved_at, accepted_at = times.read(solved_text), times.read(accepted_text)
        solved = solved_at is not None and solved_at < end
        # Old open needs are closed by a job, which keeps no time: closed at the end if that old.
        closed = status == NeedStatus.CLOSED and created < end - close_after
        facts.append(
            NeedFact(
                person=person,
                week=period.week_of(created) or 0,
                skills=reader.skills.read(skills),
                live=True,
                asked=bool(asked),
                accepted=accepted_at is not None,
                offered=_seconds(accepted_at, created),
                solved=_seconds(solved_at, created) if solved else None,
                nobody=not solved and not closed and accepted_at is None and not awaiting,
                helpers=frozenset(helpers.get(need_id, ())) - {person},
            )
        )
    return facts


def _need_helpers(conn: Any, in_period: Any, end: datetime) -> dict[int, set[int]]:
    accepted = (
        sa.select(col(Ask.need_id), col(Ask.person_id))
        .join(Need, col(Need.id) == col(Ask.need_id))
        .where(in_period, col(Ask.status) == AskStatus.ACCEPTED, col(Ask.answered_at) < end)
    )
    solvers = sa.select(col(Need.id), col(Need.solved_by_id)).where(
        in_period, col(Need.solved_by_id).is_not(None), col(Need.solved_at) < end
    )
    thanked = (
        sa.select(col(Thanks.need_id), col(Thanks.to_person_id))
        .join(Need, col(Need.id) == col(Thanks.need_id))
        .where(in_period, col(Thanks.created_at) < end)
    )
    found: dict[int, set[int]] = {}
    for need_id, person in conn.execute(sa.union(accepted, solvers, thanked)).all():
        found.setdefault(need_id, set()).add(person)
    return found


def _imported_in(period: Period) -> Any:
    return sa.and_(
        col(HelpThread.created_at) >= period.start,
        col(HelpThread.created_at) < period.end,
        col(HelpThread.source) != LIVE_THREADS,
        col(HelpThread.asker_id).is_not(None),
    )


def _imported(reader: Reader, period: Period, recognise: Recognise) -> list[NeedFact]:
    conn, times, end = reader.conn, reader.times, period.end
    in_period = _imported_in(period)
    before_end = col(HelpReply.created_at) < end
    replies = (
        sa.select(
            col(HelpReply.thread_id).label("thread_id"),
            times.column(sa.func.min(sa.case((before_end, col(HelpReply.created_at))))).label("first_reply"),
            times.column(
                sa.func.min(sa.case((sa.and_(before_end, col(HelpReply.solved)), col(HelpReply.created_at))))
            ).label("solved_at"),
        )
        .join(HelpThread, col(HelpThread.id) == col(HelpReply.thread_id))
        # Replies by the asker are not imported (history.import_archive): all are someone else's.
        .where(in_period, col(HelpReply.person_id) != col(HelpThread.asker_id))
        .group_by(col(HelpReply.thread_id))
        .subquery()
    )
    rows = conn.execute(
        sa.select(
            col(HelpThread.id),
            col(HelpThread.asker_id),
            times.column(col(HelpThread.created_at)),
            reader.skills.column(col(HelpThread.skills)),
            # The text only where the skills were not kept (threads imported before they were).
            sa.case((col(HelpThread.skills).is_(None), col(HelpThread.text)), else_=sa.null()),
            replies.c.first_reply,
            replies.c.solved_at,
        )
        .outerjoin(replies, replies.c.thread_id == col(HelpThread.id))
        .where(in_period)
    ).all()
    helpers: dict[int, set[int]] = {}
    repliers = (
        sa.select(col(HelpReply.thread_id), col(HelpReply.person_id))
        .join(HelpThread, col(HelpThread.id) == col(HelpReply.thread_id))
        .where(in_period, before_end, col(HelpReply.person_id) != col(HelpThread.asker_id))
        .distinct()
    )
    for thread_id, person in conn.execute(repliers).all():
        helpers.setdefault(thread_id, set()).add(person)
    facts = []
    for thread_id, person, created_at, skills, text, first_text, solved_text in rows:
        created = times.at(created_at)
        first_reply, solved_at = times.read(first_text), times.read(solved_text)
        facts.append(
            NeedFact(
                person=person,
                week=period.week_of(created) or 0,
                skills=reader.skills.read(skills) if skills is not None else tuple(recognise(text or "")),
                live=False,
                asked=False,
                accepted=False,
                offered=_seconds(first_reply, created),
                solved=_seconds(solved_at, created),
                nobody=False,
                helpers=frozenset(helpers.get(thread_id, ())),
            )
        )
    return facts


def _free_help(reader: Reader, period: Period) -> list[tuple[int, int]]:
    """Thanks for no need in particular (`thanks @ana for the review`), in the period."""
    times = reader.times
    rows = reader.conn.execute(
        sa.select(col(Thanks.to_person_id), times.column(col(Thanks.created_at))).where(
            col(Thanks.need_id).is_(None),
            col(Thanks.kind) == ThanksKind.THANKS,
            col(Thanks.created_at) >= period.start,
            col(Thanks.created_at) < period.end,
            # From someone since erased (NULL): still help given.
            sa.or_(
                col(Thanks.from_person_id).is_(None), col(Thanks.to_person_id) != col(Thanks.from_person_id)
            ),
        )
    ).all()
    return [(period.week_of(times.at(at)) or 0, person) for person, at in rows]
