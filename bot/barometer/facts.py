"""What the barometer reads from the store: one compact row per need of a period, with its
outcome as of the period's end already aggregated in SQL (asks, replies, helpers), and counts
of people per skill (helpers, learners).

Live needs are :class:`~skills_db.storage.models.Need` rows. Imported history — help threads
from an export, the demo's past help — counts as past demand: each thread is a need posted
when it was asked, offered help when someone else first replied, solved when its solving reply
was posted. The help threads a live need leaves behind when solved (source "live") are that
need again and are not counted twice. Threads whose asker is unknown (a bot) are not demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from bot.barometer.period import Period
from skills_db.storage.followups import SENT
from skills_db.storage.models import (
    Ask,
    AskStatus,
    ClaimSource,
    HelpReply,
    HelpThread,
    LearningGoal,
    Need,
    NeedStatus,
    Skill,
    SkillClaim,
    Thanks,
    ThanksKind,
    UTCDateTime,
)
from skills_db.storage.store import Store

LIVE_THREADS = "live"  # the help thread of a need solved live: the need itself, already counted
HELPER_WINDOW = timedelta(weeks=52)  # "people who demonstrably help": evidence of the past year


@dataclass(frozen=True)
class NeedFact:
    """One need (live or imported) of a period, as of the period's end."""

    person: int  # who asked
    week: int  # index of its week in the period
    skills: tuple[str, ...]
    live: bool
    asked: bool  # a request was sent to a colleague (live needs only)
    accepted: bool  # a colleague accepted (live needs only)
    offered: float | None  # seconds from posting to the first offer of help
    solved: float | None  # seconds from posting to its resolution
    nobody: bool  # still open with nobody found: nobody accepted, nobody asked waits (live only)
    helpers: frozenset[int]  # who helped with it (accepted, solved it, was thanked for it, replied)


@dataclass(frozen=True)
class Facts:
    period: Period
    needs: tuple[NeedFact, ...]
    free_help: tuple[tuple[int, int], ...]  # (week, helper): thanks given for no particular need


Recognise = Callable[[str], list[str]]


def _time(expression: Any) -> Any:
    # Aggregates lose the column's type: give it back, so times come back aware.
    return sa.type_coerce(expression, UTCDateTime())


def read_facts(store: Store, period: Period, recognise: Recognise, close_after: timedelta) -> Facts:
    with store.session() as session:
        needs = _live_needs(session, period, close_after)
        needs += _imported(session, period, recognise)
        free = _free_help(session, period)
    return Facts(period, tuple(needs), tuple(free))


def _seconds(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else max((later - earlier).total_seconds(), 0.0)


def _live_needs(session: Any, period: Period, close_after: timedelta) -> list[NeedFact]:
    start, end = period.start, period.end
    in_period = sa.and_(col(Need.created_at) >= start, col(Need.created_at) < end)
    asks = (
        sa.select(
            col(Ask.need_id).label("need_id"),
            sa.func.max(
                sa.case((sa.and_(col(Ask.status).in_(SENT), col(Ask.asked_at) < end), 1), else_=0)
            ).label("asked"),
            _time(
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
    rows = session.execute(
        sa.select(
            col(Need.id),
            col(Need.person_id),
            col(Need.created_at),
            col(Need.skills),
            col(Need.status),
            col(Need.solved_at),
            asks.c.asked,
            asks.c.accepted_at,
            asks.c.awaiting,
        )
        .outerjoin(asks, asks.c.need_id == col(Need.id))
        .where(in_period)
    ).all()
    helpers = _need_helpers(session, in_period, end)
    facts = []
    for need_id, person, created, skills, status, solved_at, asked, accepted_at, awaiting in rows:
        solved = solved_at is not None and solved_at < end
        # Old open needs are closed by a job, which keeps no time: closed at the end if that old.
        closed = status == NeedStatus.CLOSED and created < end - close_after
        facts.append(
            NeedFact(
                person=person,
                week=period.week_of(created) or 0,
                skills=tuple(skills or ()),
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


def _need_helpers(session: Any, in_period: Any, end: datetime) -> dict[int, set[int]]:
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
    for need_id, person in session.execute(sa.union(accepted, solvers, thanked)):
        found.setdefault(need_id, set()).add(person)
    return found


def _imported(session: Any, period: Period, recognise: Recognise) -> list[NeedFact]:
    start, end = period.start, period.end
    in_period = sa.and_(
        col(HelpThread.created_at) >= start,
        col(HelpThread.created_at) < end,
        col(HelpThread.source) != LIVE_THREADS,
        col(HelpThread.asker_id).is_not(None),
    )
    before_end = col(HelpReply.created_at) < end
    replies = (
        sa.select(
            col(HelpReply.thread_id).label("thread_id"),
            _time(sa.func.min(sa.case((before_end, col(HelpReply.created_at))))).label("first_reply"),
            _time(
                sa.func.min(sa.case((sa.and_(before_end, col(HelpReply.solved)), col(HelpReply.created_at))))
            ).label("solved_at"),
        )
        .join(HelpThread, col(HelpThread.id) == col(HelpReply.thread_id))
        # Replies by the asker are not imported (history.import_archive): all are someone else's.
        .where(in_period, col(HelpReply.person_id) != col(HelpThread.asker_id))
        .group_by(col(HelpReply.thread_id))
        .subquery()
    )
    rows = session.execute(
        sa.select(
            col(HelpThread.id),
            col(HelpThread.asker_id),
            col(HelpThread.created_at),
            col(HelpThread.skills),
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
    for thread_id, person in session.execute(repliers):
        helpers.setdefault(thread_id, set()).add(person)
    facts = []
    for thread_id, person, created, skills, text, first_reply, solved_at in rows:
        facts.append(
            NeedFact(
                person=person,
                week=period.week_of(created) or 0,
                skills=tuple(skills if skills is not None else recognise(text or "")),
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


def _free_help(session: Any, period: Period) -> list[tuple[int, int]]:
    """Thanks for no need in particular (`thanks @ana for the review`), in the period."""
    rows = session.execute(
        sa.select(col(Thanks.to_person_id), col(Thanks.created_at)).where(
            col(Thanks.need_id).is_(None),
            col(Thanks.kind) == ThanksKind.THANKS,
            col(Thanks.created_at) >= period.start,
            col(Thanks.created_at) < period.end,
            col(Thanks.to_person_id) != col(Thanks.from_person_id),
        )
    ).all()
    return [(period.week_of(at) or 0, person) for person, at in rows]


def helpers_by_skill(store: Store, skills: Iterable[str], end: datetime) -> dict[str, int]:
    """Distinct people who demonstrably helped on each skill in the year before ``end``: credited
    for a need they solved or thanked for help on it (HELPED claims), or who answered imported
    threads about it (IMPORTED claims of threads)."""
    names = sorted(set(skills))
    if not names:
        return {}
    demonstrated = sa.or_(
        col(SkillClaim.source) == ClaimSource.HELPED,
        sa.and_(col(SkillClaim.source) == ClaimSource.IMPORTED, col(SkillClaim.ref).like("thread:%")),
    )
    query = (
        sa.select(col(Skill.name), sa.func.count(sa.distinct(col(SkillClaim.person_id))))
        .join(Skill, col(Skill.id) == col(SkillClaim.skill_id))
        .where(
            col(Skill.name).in_(names),
            demonstrated,
            col(SkillClaim.created_at) >= end - HELPER_WINDOW,
            col(SkillClaim.created_at) < end,
        )
        .group_by(col(Skill.name))
    )
    with store.session() as session:
        found = {name: int(count) for name, count in session.execute(query)}
    return {name: found.get(name, 0) for name in names}


def learners_by_skill(store: Store, skills: Iterable[str], end: datetime) -> dict[str, int]:
    """Distinct people who said, before ``end``, that they want to learn each skill."""
    names = sorted(set(skills))
    if not names:
        return {}
    query = (
        sa.select(col(Skill.name), sa.func.count(sa.distinct(col(LearningGoal.person_id))))
        .join(Skill, col(Skill.id) == col(LearningGoal.skill_id))
        .where(col(Skill.name).in_(names), col(LearningGoal.created_at) < end)
        .group_by(col(Skill.name))
    )
    with store.session() as session:
        found = {name: int(count) for name, count in session.execute(query)}
    return {name: found.get(name, 0) for name in names}


def kinds_of_needs(store: Store) -> tuple[bool, bool]:
    """Whether there are live needs, and imported history, at all."""
    live = sa.select(col(Need.id)).limit(1)
    history = (
        sa.select(col(HelpThread.id))
        .where(col(HelpThread.source) != LIVE_THREADS, col(HelpThread.asker_id).is_not(None))
        .limit(1)
    )
    with store.session() as session:
        return session.execute(live).first() is not None, session.execute(history).first() is not None
