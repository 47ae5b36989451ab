"""Who demonstrably helps on a skill, who wants to learn it, and what kinds of needs an
organisation has at all: people counted per skill in SQL (covered by the index
ix_skillclaim_skill_time on a million claims)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from bot.barometer.facts import LIVE_THREADS
from skills_db.storage.models import ClaimSource, HelpThread, LearningGoal, Need, Skill, SkillClaim
from skills_db.storage.store import Store

HELPER_WINDOW = timedelta(weeks=52)  # "people who demonstrably help": evidence of the past year


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
