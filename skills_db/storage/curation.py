"""Curation of the skills vocabulary by community managers: add, alias, rename, merge.

The vocabulary a bot recognises is the bundled one, the configured files, and what is stored
here: skills learned from imported history, skills managers added (category ``curated``), and
aliases (``SkillAlias``). An alias whose text is the canonical name of a bundled skill absorbs
that skill: a rename and a merge leave the old name as an alias of the skill kept, so every
instance rebuilds the same vocabulary from the database (see ``bot.matching.vocabulary``).

Each change records an :class:`~skills_db.storage.models.IndexChange` in its transaction: every
instance reloads its vocabulary, and re-reads the claims of a skill whose claims moved, when it
reads the feed (before each need, and every few seconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from skills_db.storage.database import Database, table_of
from skills_db.storage.evidence import ensure_skill_in, find_skill_in
from skills_db.storage.feed import (
    ChangeKind,
    ClaimTuple,
    IdRanges,
    claim_query,
    claim_tuples,
    committed,
    in_ranges,
    record_change,
)
from skills_db.storage.models import (
    ClaimSource,
    Endorsement,
    HelpThread,
    LearningGoal,
    Need,
    Offer,
    Setting,
    ShoutoutPick,
    Skill,
    SkillAlias,
    SkillClaim,
    Thanks,
)
from skills_db.vocabulary.textnorm import fold

LEARNED_CATEGORY = "history"  # skills learned from recurring phrases of answered threads
CURATED_CATEGORY = "curated"  # skills community managers added
FOCUS_KEY = "focus_skills"  # the setting: {"skills": [canonical names], "since": ISO time}
# The tables whose JSON column ``skills`` lists canonical skill names.
# Every table with a list of skill names (a thread's is NULL when not recognised yet).
NAMED_SKILLS: tuple[Any, ...] = (Need, Offer, Thanks, ShoutoutPick, HelpThread)


@dataclass(frozen=True)
class StoredSkill:
    """A skill the database adds to the vocabulary, or gives aliases to."""

    name: str
    category: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class SkillCount:
    """How much evidence a skill has, over everyone: claims, and the people they are about."""

    name: str
    claims: int
    people: int


@dataclass(frozen=True)
class MergeReport:
    claims: int  # claims moved onto the skill kept (duplicates dropped)
    goals: int
    endorsements: int
    lists: int  # needs, offers, thanks and shout-out picks whose skills were rewritten


class CurationQueries(Database):
    def stored_vocabulary(self) -> list[StoredSkill]:
        """Skills learned or added, and every skill given aliases, with those aliases."""
        # Read at every start: columns of the tables, not of the ORM classes (whose first
        # statements cost 0.1 s to compile), and the aliased skills as a subquery, not
        # thousands of bound ids (0.2 → 0.04 s with 15,000 aliases).
        skills, aliased = table_of(Skill), table_of(SkillAlias)
        with committed(self.engine) as session:
            aliases: dict[int, list[str]] = {}
            query = sa.select(aliased.c.skill_id, aliased.c.alias).order_by(aliased.c.id)
            for skill_id, alias in session.execute(query):
                aliases.setdefault(skill_id, []).append(alias)
            wanted = sa.or_(
                skills.c.category.in_([LEARNED_CATEGORY, CURATED_CATEGORY]),
                skills.c.id.in_(sa.select(aliased.c.skill_id)),
            )
            columns = sa.select(skills.c.id, skills.c.name, skills.c.category).where(wanted)
            return [
                StoredSkill(name, category, tuple(aliases.get(skill_id, ())))
                for skill_id, name, category in session.execute(columns.order_by(skills.c.id))
            ]

    def stored_skill(self, name: str) -> str | None:
        """The stored skill that ``name`` (or an alias spelt so) names, accents and case ignored."""
        with self.session() as session:
            found = find_skill_in(session, name)
            return None if found is None else found.name

    def skill_counts(self, names: Iterable[str] | None = None) -> dict[str, SkillCount]:
        """Claims and distinct people per skill (aggregates over everyone), for these names (all
        the skills with claims when None)."""
        query = (
            sa.select(col(Skill.name), sa.func.count(), sa.func.count(sa.distinct(col(SkillClaim.person_id))))
            .join(SkillClaim, col(SkillClaim.skill_id) == col(Skill.id))
            .group_by(col(Skill.name))
        )
        if names is not None:
            wanted = list(dict.fromkeys(names))
            if not wanted:
                return {}
            query = query.where(col(Skill.name).in_(wanted))
        with self.session() as session:
            return {name: SkillCount(name, int(c), int(p)) for name, c, p in session.execute(query)}

    def stored_skill_names(self) -> list[str]:
        with self.session() as session:
            return list(session.exec(select(Skill.name)).all())

    def add_skill(self, name: str, aliases: Sequence[str], *, category: str = CURATED_CATEGORY) -> None:
        """A new skill (or one stored but unknown to the vocabulary) with its aliases."""
        with self.session() as session:
            skill = ensure_skill_in(session, name, category)
            skill.category = category
            session.add(skill)
            for alias in aliases:
                _add_alias(session, skill, alias)
            record_change(session, ChangeKind.VOCABULARY_CHANGED, skill=skill.name)
            session.flush()

    def add_alias(self, skill_name: str, alias: str) -> None:
        with self.session() as session:
            skill = ensure_skill_in(session, skill_name)
            _add_alias(session, skill, alias)
            record_change(session, ChangeKind.VOCABULARY_CHANGED, skill=skill.name)
            session.flush()

    def rename_skill(self, old: str, new: str, *, category: str = "tech") -> None:
        """``old`` is called ``new`` from now on, everywhere; ``old`` stays an alias of it.

        ``new`` must name no other skill (the caller checks: merge them instead)."""
        with self.session() as session:
            skill = session.exec(select(Skill).where(Skill.folded == fold(old))).first()
            if skill is None:
                skill = Skill(name=new, folded=fold(new), category=category)
            skill.name, skill.folded = new, fold(new)
            session.add(skill)
            session.flush()
            session.execute(sa.delete(SkillAlias).where(col(SkillAlias.folded) == fold(new)))
            _add_alias(session, skill, old)
            _rename_in_lists(session, old, new)
            record_change(session, ChangeKind.SKILL_MOVED, skill=old)
            record_change(session, ChangeKind.SKILL_MOVED, skill=new)
            session.flush()

    def merge_skills(self, source: str, target: str) -> MergeReport:
        """Move everything about ``source`` onto ``target``, and make ``source`` an alias of it.

        Evidence held twice after the move counts once: a declaration, a claim from the same
        thread or need (same person, source and reference), a learning goal, an endorsement by
        the same colleague (with the claim it gave). The ``source`` row is deleted: no row
        refers to it any more.
        """
        with self.session() as session:
            kept = ensure_skill_in(session, target)
            gone = session.exec(select(Skill).where(Skill.folded == fold(source))).first()
            claims = goals = endorsements = 0
            if gone is not None and gone.id is not None and gone.id != kept.id:
                assert kept.id is not None
                claims, goals, endorsements = _move_rows(session, gone.id, kept.id)
                session.execute(
                    sa.update(SkillAlias).where(col(SkillAlias.skill_id) == gone.id).values(skill_id=kept.id)
                )
                session.execute(sa.delete(Skill).where(col(Skill.id) == gone.id))
                session.flush()
            _add_alias(session, kept, source)
            lists = _rename_in_lists(session, source, kept.name)
            record_change(session, ChangeKind.SKILL_MOVED, skill=source)
            record_change(session, ChangeKind.SKILL_MOVED, skill=kept.name)
            session.flush()
            return MergeReport(claims, goals, endorsements, lists)

    def skill_claims_read(self, skill: str, upto: int, unread: IdRanges = ()) -> list[ClaimTuple]:
        """The claims on ``skill`` a reader has read (ids up to ``upto``, not in ``unread``)."""
        query = claim_query().where(col(Skill.name) == skill, col(SkillClaim.id) <= upto)
        for condition in in_ranges(col(SkillClaim.id), unread):
            query = query.where(sa.not_(condition))
        with committed(self.engine) as session:
            return list(claim_tuples(session.execute(query.order_by(col(SkillClaim.id)))))


def _add_alias(session: Session, skill: Skill, alias: str) -> None:
    folded = fold(alias)
    if not folded or folded == skill.folded:
        return
    row = session.exec(select(SkillAlias).where(SkillAlias.folded == folded)).first()
    if row is None:
        row = SkillAlias(skill_id=skill.id or 0, alias=" ".join(alias.split()), folded=folded)
    row.skill_id = skill.id or 0
    session.add(row)
    session.flush()


def _move_rows(session: Session, gone: int, kept: int) -> tuple[int, int, int]:
    """Claims, learning goals and endorsements of skill ``gone`` moved to ``kept``; how many."""
    claim, other = SkillClaim.__table__, SkillClaim.__table__.alias("other")  # type: ignore[attr-defined]
    same_person_source = sa.and_(
        other.c.skill_id == kept, other.c.person_id == claim.c.person_id, other.c.source == claim.c.source
    )
    # A declaration held on both is one declaration; a claim from the same thread or need is one.
    twice = sa.or_(
        sa.and_(claim.c.source == ClaimSource.DECLARED, sa.exists().where(same_person_source)),
        sa.and_(
            claim.c.ref.is_not(None),
            claim.c.source != ClaimSource.ENDORSED,  # endorsements: below, with their rows
            sa.exists().where(same_person_source, other.c.ref == claim.c.ref),
        ),
    )
    session.execute(sa.delete(claim).where(claim.c.skill_id == gone, twice))
    # A colleague who endorsed both endorsed once: the second endorsement and its claim go.
    endorsement = Endorsement.__table__  # type: ignore[attr-defined]
    kept_one = endorsement.alias("kept_endorsement")
    doubles = list(
        session.execute(
            sa.select(endorsement.c.id).where(
                endorsement.c.skill_id == gone,
                sa.exists().where(
                    kept_one.c.skill_id == kept,
                    kept_one.c.endorser_id == endorsement.c.endorser_id,
                    kept_one.c.endorsee_id == endorsement.c.endorsee_id,
                ),
            )
        ).scalars()
    )
    if doubles:
        refs = [f"endorsement:{i}" for i in doubles]
        session.execute(sa.delete(claim).where(claim.c.skill_id == gone, claim.c.ref.in_(refs)))
        session.execute(sa.delete(Endorsement).where(col(Endorsement.id).in_(doubles)))
    moved = session.execute(sa.update(claim).where(claim.c.skill_id == gone).values(skill_id=kept))
    endorsed = session.execute(
        sa.update(Endorsement).where(col(Endorsement.skill_id) == gone).values(skill_id=kept)
    )
    has_goal = select(LearningGoal.person_id).where(LearningGoal.skill_id == kept)
    session.execute(
        sa.delete(LearningGoal).where(
            col(LearningGoal.skill_id) == gone, col(LearningGoal.person_id).in_(has_goal)
        )
    )
    goals = session.execute(
        sa.update(LearningGoal).where(col(LearningGoal.skill_id) == gone).values(skill_id=kept)
    )
    return _count(moved), _count(goals), _count(endorsed)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _rename_in_lists(session: Session, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in every list of skill names (kept once, in place); how many
    rows changed. The focus skills too."""
    changed = 0
    for model in NAMED_SKILLS:
        query = sa.select(model.id, model.skills)
        if old.isascii() and not any(c in old for c in '"\\'):
            # JSON keeps such a name as written: only the rows whose text holds it are read.
            query = query.where(sa.cast(model.skills, sa.String).contains(old, autoescape=True))
        for row_id, skills in session.execute(query).all():
            if isinstance(skills, list) and old in skills:
                renamed = list(dict.fromkeys(new if s == old else s for s in skills))
                session.execute(sa.update(model).where(model.id == row_id).values(skills=renamed))
                changed += 1
    focus = session.get(Setting, FOCUS_KEY)
    if focus is not None and old in (focus.value or {}).get("skills", []):
        skills = list(dict.fromkeys(new if s == old else s for s in focus.value["skills"]))
        focus.value = {**focus.value, "skills": skills}
        session.add(focus)
    return changed
