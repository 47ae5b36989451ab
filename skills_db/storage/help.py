"""Queries about skills and help: claims, needs, offers, asks, thanks, export and erasure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, delete, select

from skills_db.storage.models import (
    Ask,
    AskStatus,
    AuditEntry,
    ClaimSource,
    Endorsement,
    HelpReply,
    HelpThread,
    Identity,
    LearningGoal,
    Need,
    NeedStatus,
    Offer,
    Person,
    Skill,
    SkillAlias,
    SkillClaim,
    Thanks,
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


class HelpQueries:
    # Claims removed through this store, in order: (person, skill), or (person, None) for all of
    # a forgotten person's. Whoever keeps claims in memory (bot.matching.skill_index) follows it.
    removed_claims: list[tuple[int, str | None]]

    def session(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

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
            session.flush()
            removed = bool(getattr(result, "rowcount", 0))
            if removed:
                self.removed_claims.append((person_id, skill.name))
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

    def claims_after(self, claim_id: int) -> Iterator[tuple[int, int, str, str, float, float]]:
        """(claim id, person, skill, source, weight, epoch seconds) of the claims with a larger id.

        From the start (``claim_id`` 0) they come sorted by skill, person and time, else by id.
        """
        query = (
            sa.select(
                col(SkillClaim.id),
                col(SkillClaim.person_id),
                col(Skill.name),
                col(SkillClaim.source),
                col(SkillClaim.weight),
                col(SkillClaim.created_at),
            )
            .join(Skill, col(Skill.id) == col(SkillClaim.skill_id))
            .where(col(SkillClaim.id) > claim_id)
        )
        if claim_id:
            query = query.order_by(col(SkillClaim.id))
        else:
            query = query.order_by(
                col(SkillClaim.skill_id), col(SkillClaim.person_id), col(SkillClaim.created_at)
            )
        with self.session() as session:
            for cid, person, skill, source, weight, created in session.execute(
                query.execution_options(yield_per=20_000)
            ):
                yield cid or 0, person, skill, source, weight, created.timestamp()

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

    def learning_goals(
        self, person_id: int | None = None, skills: Iterable[str] | None = None, limit: int | None = None
    ) -> list[tuple[int, str]]:
        query = select(LearningGoal.person_id, Skill.name).join(
            Skill, col(Skill.id) == col(LearningGoal.skill_id)
        )
        if person_id is not None:
            query = query.where(LearningGoal.person_id == person_id)
        if skills is not None:
            query = query.where(col(Skill.name).in_(list(skills)))
        if limit is not None:
            query = query.order_by(col(LearningGoal.id)).limit(limit)
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

    # -- needs, offers, asks ------------------------------------------------------------------

    def create_need(self, need: Need) -> Need:
        with self.session() as session:
            session.add(need)
            session.flush()
            return need

    def get_need(self, need_id: int) -> Need | None:
        with self.session() as session:
            return session.get(Need, need_id)

    def set_need_thread(self, need_id: int, thread: str) -> None:
        with self.session() as session:
            need = session.get(Need, need_id)
            if need is not None and need.thread is None:
                need.thread = thread
                session.add(need)
                session.flush()

    def open_needs(self, person_id: int) -> list[Need]:
        with self.session() as session:
            return list(
                session.exec(
                    select(Need)
                    .where(Need.person_id == person_id, Need.status == NeedStatus.OPEN)
                    .order_by(col(Need.created_at).desc(), col(Need.id).desc())
                ).all()
            )

    def find_need(self, platform: str, conversation: str, thread: str) -> Need | None:
        """The need posted as (or discussed in) this thread."""
        with self.session() as session:
            return session.exec(
                select(Need).where(
                    Need.platform == platform, Need.conversation == conversation, Need.thread == thread
                )
            ).first()

    def solve_need(self, need_id: int, helper_id: int | None, *, at: datetime | None = None) -> Need:
        """Close a need; credit the helper with every skill of the need."""
        when = at or utcnow()
        with self.session() as session:
            need = session.get(Need, need_id)
            if need is None:
                raise KeyError(need_id)
            need.status = NeedStatus.SOLVED
            need.solved_at = when
            need.solved_by_id = helper_id
            session.add(need)
            if helper_id is not None and helper_id != need.person_id:
                # A need solved live is a help thread like an imported one: its text becomes
                # evidence for whoever helped.
                thread = HelpThread(
                    source="live",
                    external_id=f"need:{need_id}",
                    channel=need.conversation,
                    asker_id=need.person_id,
                    text=need.text,
                    created_at=need.created_at,
                    solved_by_id=helper_id,
                )
                session.add(thread)
                session.flush()
                session.add(
                    HelpReply(thread_id=thread.id or 0, person_id=helper_id, created_at=when, solved=True)
                )
                for name in need.skills:
                    add_claim_in(
                        session,
                        helper_id,
                        ensure_skill_in(session, name),
                        ClaimSource.HELPED,
                        ref=f"need:{need_id}",
                        at=when,
                    )
            session.flush()
            return need

    def help_threads_after(
        self, thread_id: int, batch: int = 5000
    ) -> Iterator[tuple[int, str, datetime, list[tuple[int, float]]]]:
        """Help threads with a larger id, oldest id first, each with (helper, weight) pairs.

        The text is the question and its answers; a solving reply weighs twice an ordinary one.
        """
        last = thread_id
        while True:
            with self.session() as session:
                threads = session.exec(
                    select(HelpThread.id, HelpThread.text, HelpThread.created_at, HelpThread.solved_by_id)
                    .where(col(HelpThread.id) > last)
                    .order_by(col(HelpThread.id))
                    .limit(batch)
                ).all()
                if not threads:
                    return
                replies: dict[int, list[tuple[int, str, bool]]] = {}
                for reply_thread, person, text, solved in session.exec(
                    select(HelpReply.thread_id, HelpReply.person_id, HelpReply.text, HelpReply.solved)
                    .where(col(HelpReply.thread_id).in_([t[0] for t in threads]))
                    .order_by(col(HelpReply.id))
                ):
                    replies.setdefault(reply_thread, []).append((person, text, solved))
            for number, question, created_at, solved_by in threads:
                assert number is not None
                helpers: dict[int, float] = {}
                texts = [question]
                for person, text, solved in replies.get(number, []):
                    texts.append(text)
                    weight = 2.0 if solved else 1.0
                    helpers[person] = max(helpers.get(person, 0.0), weight)
                if solved_by is not None and solved_by not in helpers:
                    helpers[solved_by] = 2.0
                yield number, " ".join(texts), created_at, list(helpers.items())
                last = number

    def create_offer(self, offer: Offer) -> Offer:
        with self.session() as session:
            session.add(offer)
            session.flush()
            return offer

    def active_offers(self, at: datetime | None = None) -> list[Offer]:
        with self.session() as session:
            return list(session.exec(select(Offer).where(col(Offer.expires_at) > (at or utcnow()))).all())

    def active_offer_skills(self, at: datetime) -> list[tuple[int, list[str]]]:
        """(person, skills) of the offers still active at ``at``."""
        with self.session() as session:
            return [
                (person, list(skills))
                for person, skills in session.exec(
                    select(Offer.person_id, Offer.skills).where(col(Offer.expires_at) > at)
                )
            ]

    def create_asks(
        self,
        need_id: int,
        asks: Iterable[tuple[int, list[dict[str, Any]]]],
        *,
        at: datetime | None = None,
    ) -> list[Ask]:
        when = at or utcnow()
        with self.session() as session:
            rows = [
                Ask(need_id=need_id, person_id=pid, reasons=reasons, asked_at=when) for pid, reasons in asks
            ]
            session.add_all(rows)
            session.flush()
            return rows

    def pending_asks(self, person_id: int) -> list[Ask]:
        with self.session() as session:
            return list(
                session.exec(
                    select(Ask)
                    .where(Ask.person_id == person_id, Ask.status == AskStatus.PENDING)
                    .order_by(col(Ask.asked_at).desc(), col(Ask.id).desc())
                ).all()
            )

    def asks_for_need(self, need_id: int) -> list[Ask]:
        with self.session() as session:
            return list(session.exec(select(Ask).where(Ask.need_id == need_id)).all())

    def answer_ask(self, ask_id: int, status: AskStatus, *, at: datetime | None = None) -> Ask:
        with self.session() as session:
            ask = session.get(Ask, ask_id)
            if ask is None:
                raise KeyError(ask_id)
            ask.status = status
            ask.answered_at = at or utcnow()
            session.add(ask)
            session.flush()
            return ask

    def ask_counts_since(self, since: datetime) -> dict[int, int]:
        with self.session() as session:
            rows = session.exec(
                select(Ask.person_id, sa.func.count())
                .where(col(Ask.asked_at) >= since)
                .group_by(col(Ask.person_id))
            ).all()
            return {pid: int(n) for pid, n in rows}

    # -- thanks -------------------------------------------------------------------------------

    def add_thanks(self, thanks: Thanks, skills: Iterable[str] = ()) -> Thanks:
        """Record thanks; the skills it names count as help given by the thanked person."""
        with self.session() as session:
            session.add(thanks)
            session.flush()
            for name in skills:
                add_claim_in(
                    session,
                    thanks.to_person_id,
                    ensure_skill_in(session, name),
                    ClaimSource.HELPED,
                    weight=0.5,
                    ref=f"thanks:{thanks.id}",
                    at=thanks.created_at,
                )
            session.flush()
            return thanks

    def thanks_received(self, person_id: int) -> list[Thanks]:
        with self.session() as session:
            return list(
                session.exec(
                    select(Thanks)
                    .where(Thanks.to_person_id == person_id)
                    .order_by(col(Thanks.created_at).desc())
                ).all()
            )

    def thanks_counts(self, person_ids: Iterable[int]) -> dict[int, int]:
        ids = list(person_ids)
        with self.session() as session:
            rows = session.exec(
                select(Thanks.to_person_id, sa.func.count())
                .where(col(Thanks.to_person_id).in_(ids))
                .group_by(col(Thanks.to_person_id))
            ).all()
            return {pid: int(n) for pid, n in rows}

    # -- the person's own data ----------------------------------------------------------------

    def export_person(self, person_id: int) -> dict[str, Any]:
        """Everything stored about one person, as JSON-ready data."""
        with self.session() as session:
            person = session.get(Person, person_id)
            if person is None:
                raise KeyError(person_id)
            tables: dict[str, Any] = {
                "identities": select(Identity).where(Identity.person_id == person_id),
                "skill_claims": select(SkillClaim).where(SkillClaim.person_id == person_id),
                "learning_goals": select(LearningGoal).where(LearningGoal.person_id == person_id),
                "needs": select(Need).where(Need.person_id == person_id),
                "offers": select(Offer).where(Offer.person_id == person_id),
                "asks_received": select(Ask).where(Ask.person_id == person_id),
                "thanks_received": select(Thanks).where(Thanks.to_person_id == person_id),
                "thanks_given": select(Thanks).where(Thanks.from_person_id == person_id),
                "endorsements_received": select(Endorsement).where(Endorsement.endorsee_id == person_id),
                "endorsements_given": select(Endorsement).where(Endorsement.endorser_id == person_id),
                "help_replies": select(HelpReply).where(HelpReply.person_id == person_id),
                "help_threads_asked": select(HelpThread).where(HelpThread.asker_id == person_id),
            }
            skill_names = dict(session.exec(select(Skill.id, Skill.name)).all())
            data: dict[str, Any] = {"person": _row(person)}
            for key, query in tables.items():
                rows = [_row(r) for r in session.exec(query).all()]
                for row in rows:
                    if "skill_id" in row:
                        row["skill"] = skill_names.get(row.pop("skill_id"))
                data[key] = rows
            return data

    def forget_person(self, person_id: int) -> None:
        """Erase a person and everything about them, in one transaction."""
        with self.session() as session:
            own_needs = select(Need.id).where(Need.person_id == person_id)
            for statement in (
                delete(Ask).where(sa.or_(col(Ask.person_id) == person_id, col(Ask.need_id).in_(own_needs))),
                delete(Thanks).where(
                    sa.or_(
                        col(Thanks.to_person_id) == person_id,
                        col(Thanks.from_person_id) == person_id,
                        col(Thanks.need_id).in_(own_needs),
                    )
                ),
                delete(SkillClaim).where(col(SkillClaim.person_id) == person_id),
                delete(LearningGoal).where(col(LearningGoal.person_id) == person_id),
                delete(Endorsement).where(
                    sa.or_(
                        col(Endorsement.endorser_id) == person_id,
                        col(Endorsement.endorsee_id) == person_id,
                    )
                ),
                delete(Offer).where(col(Offer.person_id) == person_id),
                sa.update(Need).where(col(Need.solved_by_id) == person_id).values(solved_by_id=None),
                delete(HelpReply).where(
                    sa.or_(
                        col(HelpReply.person_id) == person_id,
                        col(HelpReply.thread_id).in_(
                            select(HelpThread.id).where(HelpThread.asker_id == person_id)
                        ),
                    )
                ),
                delete(HelpThread).where(col(HelpThread.asker_id) == person_id),
                sa.update(HelpThread)
                .where(col(HelpThread.solved_by_id) == person_id)
                .values(solved_by_id=None),
                delete(Need).where(col(Need.person_id) == person_id),
                sa.update(AuditEntry)
                .where(col(AuditEntry.actor_person_id) == person_id)
                .values(actor_person_id=None),
                delete(Identity).where(col(Identity.person_id) == person_id),
                delete(Person).where(col(Person.id) == person_id),
            ):
                session.execute(statement)
            session.flush()
            self.removed_claims.append((person_id, None))


def ensure_skill_in(session: Session, name: str, category: str = "tech") -> Skill:
    """The skill named ``name`` (accents and case ignored), created inside ``session`` if new."""
    folded = fold(name)
    skill = session.exec(select(Skill).where(Skill.folded == folded)).first()
    if skill is None:
        skill = Skill(name=name, folded=folded, category=category)
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


def _row(row: SQLModel) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row.model_dump().items()
    }
