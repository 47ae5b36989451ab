"""Evidence of who knows what: skills, claims, learning goals, endorsements, help threads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from skills_db.storage.database import Database
from skills_db.storage.feed import (
    ChangeKind,
    ClaimTuple,
    IdRanges,
    ThreadRow,
    claim_query,
    claim_tuples,
    committed,
    in_ranges,
    read_help_threads,
    record_change,
)
from skills_db.storage.models import (
    ClaimSource,
    Endorsement,
    HelpThread,
    LearningGoal,
    Skill,
    SkillAlias,
    SkillClaim,
    utcnow,
)
from skills_db.vocabulary.textnorm import fold


@dataclass(frozen=True)
class ClaimRow:
    person_id: int
    skill: str
    source: str
    weight: float
    created_at: datetime
    ref: str | None


class EvidenceQueries(Database):
    # -- skills ------------------------------------------------------------------------------

    def vocabulary(self, categories: Iterable[str]) -> list[tuple[str, str, list[str]]]:
        """(name, category, aliases) of the skills of these categories (learned, added by admins)."""
        with self.session() as session:
            skills = session.exec(select(Skill).where(col(Skill.category).in_(list(categories)))).all()
            aliases: dict[int, list[str]] = {}
            for alias in session.exec(select(SkillAlias)):
                aliases.setdefault(alias.skill_id, []).append(alias.alias)
            return [(s.name, s.category, aliases.get(s.id or 0, [])) for s in skills]

    def add_claim(
        self,
        person_id: int,
        skill_name: str,
        source: ClaimSource,
        *,
        weight: float = 1.0,
        ref: str | None = None,
        at: datetime | None = None,
    ) -> None:
        with self.session() as session:
            skill = ensure_skill_in(session, skill_name)
            assert skill.id is not None
            if source == ClaimSource.DECLARED and _declared(session, person_id, skill.id):
                return  # declaring twice is not more evidence
            add_claim_in(session, person_id, skill, source, weight=weight, ref=ref, at=at or utcnow())
            session.flush()

    def remove_declared(self, person_id: int, skill_name: str) -> bool:
        with self.session() as session:
            skill = session.exec(select(Skill).where(Skill.name == skill_name)).first()
            if skill is None or skill.id is None:
                return False
            result = session.execute(
                delete(SkillClaim).where(
                    col(SkillClaim.person_id) == person_id,
                    col(SkillClaim.skill_id) == skill.id,
                    col(SkillClaim.source) == ClaimSource.DECLARED,
                )
            )
            removed = bool(getattr(result, "rowcount", 0))
            if removed:
                # Every instance's skill index reads this and the person's declarations again.
                record_change(session, ChangeKind.DECLARED_REMOVED, person_id=person_id, skill=skill.name)
            session.flush()
            return removed

    def claims(
        self, person_ids: Iterable[int] | None = None, skills: Iterable[str] | None = None
    ) -> list[ClaimRow]:
        query = sa.select(
            col(SkillClaim.person_id),
            col(Skill.name),
            col(SkillClaim.source),
            col(SkillClaim.weight),
            col(SkillClaim.created_at),
            col(SkillClaim.ref),
        )
        query = query.join(Skill, col(Skill.id) == col(SkillClaim.skill_id))
        if person_ids is not None:
            query = query.where(col(SkillClaim.person_id).in_(list(person_ids)))
        if skills is not None:
            query = query.where(col(Skill.name).in_(list(skills)))
        with self.session() as session:
            return [ClaimRow(*row) for row in session.execute(query)]

    def claims_after(self, claim_id: int, *, gaps: IdRanges = ()) -> Iterator[ClaimTuple]:
        """(claim id, person, skill, source, weight, epoch seconds) of the claims with a larger id,
        then of those in ``gaps`` (id ranges below it, see :class:`GapCursor`).

        From the start (``claim_id`` 0) they come sorted by skill, person and time, else by id.
        Only committed claims: read outside the caller's unit of work.
        """
        query = claim_query()
        if claim_id:
            query = query.order_by(col(SkillClaim.id))
        else:
            query = query.order_by(
                col(SkillClaim.skill_id), col(SkillClaim.person_id), col(SkillClaim.created_at)
            )
        conditions = [col(SkillClaim.id) > claim_id, *in_ranges(col(SkillClaim.id), gaps)]
        for condition in conditions:
            with committed(self.engine) as session:
                rows = session.execute(query.where(condition).execution_options(yield_per=20_000))
                yield from claim_tuples(rows)

    def add_learning_goal(self, person_id: int, skill_name: str) -> bool:
        with self.session() as session:
            skill = ensure_skill_in(session, skill_name)
            assert skill.id is not None
            exists = session.exec(
                select(LearningGoal).where(
                    LearningGoal.person_id == person_id, LearningGoal.skill_id == skill.id
                )
            ).first()
            if exists:
                return False
            session.add(LearningGoal(person_id=person_id, skill_id=skill.id))
            session.flush()
            return True

    def learning_goals(self, person_id: int) -> list[tuple[int, str]]:
        """(person, skill) of what ``person_id`` is learning (a need's learners are read with its
        offers: NeedQueries.offers_and_goals)."""
        query = (
            select(LearningGoal.person_id, Skill.name)
            .join(Skill, col(Skill.id) == col(LearningGoal.skill_id))
            .where(LearningGoal.person_id == person_id)
        )
        with self.session() as session:
            return [(pid, name) for pid, name in session.exec(query)]

    def endorse(
        self, endorser_id: int, endorsee_id: int, skill_name: str, *, at: datetime | None = None
    ) -> bool:
        """Record an endorsement; False if this peer already endorsed this skill."""
        when = at or utcnow()
        with self.session() as session:
            skill = ensure_skill_in(session, skill_name)
            assert skill.id is not None
            exists = session.exec(
                select(Endorsement).where(
                    Endorsement.endorser_id == endorser_id,
                    Endorsement.endorsee_id == endorsee_id,
                    Endorsement.skill_id == skill.id,
                )
            ).first()
            if exists:
                return False
            endorsement = Endorsement(
                endorser_id=endorser_id, endorsee_id=endorsee_id, skill_id=skill.id, created_at=when
            )
            session.add(endorsement)
            session.flush()
            add_claim_in(
                session,
                endorsee_id,
                skill,
                ClaimSource.ENDORSED,
                ref=f"endorsement:{endorsement.id}",
                at=when,
            )
            session.flush()
            return True

    def help_threads_after(
        self, thread_id: int, batch: int = 5000, *, gaps: IdRanges = ()
    ) -> Iterator[ThreadRow]:
        """Help threads with a larger id, oldest id first, each with (helper, weight) pairs; then
        those in ``gaps`` (id ranges below it, see :class:`GapCursor`).

        The text is the question and its answers; a solving reply weighs twice an ordinary one.
        Only committed threads: read outside the caller's unit of work.
        """
        conditions = [col(HelpThread.id) > thread_id, *in_ranges(col(HelpThread.id), gaps)]
        return read_help_threads(self.engine, conditions, batch)


def find_skill_in(session: Session, name: str) -> Skill | None:
    """The skill ``name`` names, by its name or one of its aliases (accents and case ignored)."""
    folded = fold(name)
    skill = session.exec(select(Skill).where(Skill.folded == folded)).first()
    if skill is None:
        skill = session.exec(
            select(Skill)
            .join(SkillAlias, col(SkillAlias.skill_id) == col(Skill.id))
            .where(SkillAlias.folded == folded)
        ).first()
    return skill


def ensure_skill_in(session: Session, name: str, category: str = "tech") -> Skill:
    """The skill named ``name`` (accents and case ignored), created inside ``session`` if new.

    A name that is an alias (a skill merged into another, or renamed) is the skill it names:
    an instance whose vocabulary is a few seconds old still writes onto the skill kept.
    """
    skill = find_skill_in(session, name)
    if skill is None:
        skill = Skill(name=name, folded=fold(name), category=category)
        session.add(skill)
        session.flush()
    return skill


def add_claim_in(
    session: Session,
    person_id: int,
    skill: Skill,
    source: ClaimSource,
    *,
    at: datetime,
    weight: float = 1.0,
    ref: str | None = None,
) -> None:
    """Add one piece of evidence inside ``session``."""
    session.add(
        SkillClaim(
            person_id=person_id,
            skill_id=skill.id or 0,
            source=source,
            weight=weight,
            ref=ref,
            created_at=at,
        )
    )


def _declared(session: Session, person_id: int, skill_id: int | None) -> bool:
    return (
        session.exec(
            select(SkillClaim.id).where(
                SkillClaim.person_id == person_id,
                SkillClaim.skill_id == skill_id,
                SkillClaim.source == ClaimSource.DECLARED,
            )
        ).first()
        is not None
    )
