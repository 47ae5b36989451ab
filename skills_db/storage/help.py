"""Queries about skills and help: claims, needs, offers, asks, thanks, export and erasure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, delete, select

from skills_db.storage.database import Database
from skills_db.storage.feed import (
    ChangeKind,
    ClaimTuple,
    IdRanges,
    ThreadRow,
    claim_query,
    committed,
    in_ranges,
    read_help_threads,
    record_change,
)
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
    SentMessage,
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


class HelpQueries(Database):
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
                for cid, person, skill, source, weight, created in session.execute(
                    query.where(condition).execution_options(yield_per=20_000)
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
        self, thread_id: int, batch: int = 5000, *, gaps: IdRanges = ()
    ) -> Iterator[ThreadRow]:
        """Help threads with a larger id, oldest id first, each with (helper, weight) pairs; then
        those in ``gaps`` (id ranges below it, see :class:`GapCursor`).

        The text is the question and its answers; a solving reply weighs twice an ordinary one.
        Only committed threads: read outside the caller's unit of work.
        """
        conditions = [col(HelpThread.id) > thread_id, *in_ranges(col(HelpThread.id), gaps)]
        return read_help_threads(self.engine, conditions, batch)

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
        caps: dict[int, int] | None = None,
        since: datetime | None = None,
    ) -> list[Ask]:
        """Ask these people; with ``caps``, only those asked fewer times than their cap since
        ``since``. The person's row is locked first (an UPDATE: a row lock on PostgreSQL, the
        write lock on SQLite), so two handlers or two instances cannot both take the last place.
        """
        when = at or utcnow()
        wanted = list(asks)
        with self.session() as session:
            taken: dict[int, int] = {}
            capped = [pid for pid, _ in wanted if caps is not None and pid in caps]
            if capped:
                session.execute(sa.update(Person).where(col(Person.id).in_(capped)).values(id=Person.id))
                taken = {
                    pid: int(n)
                    for pid, n in session.exec(
                        select(Ask.person_id, sa.func.count())
                        .where(col(Ask.person_id).in_(capped), col(Ask.asked_at) >= (since or when))
                        .group_by(col(Ask.person_id))
                    )
                }
            rows = [
                Ask(need_id=need_id, person_id=pid, reasons=reasons, asked_at=when)
                for pid, reasons in wanted
                if caps is None or pid not in caps or taken.get(pid, 0) < caps[pid]
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

    def answer_ask(self, ask_id: int, status: AskStatus, *, at: datetime | None = None) -> Ask | None:
        """Answer a pending ask; None when it was no longer pending (answered concurrently)."""
        with self.session() as session:
            result = session.execute(
                sa.update(Ask)
                .where(col(Ask.id) == ask_id, col(Ask.status) == AskStatus.PENDING)
                .values(status=status, answered_at=at or utcnow())
            )
            if not getattr(result, "rowcount", 0):
                return None
            return session.get(Ask, ask_id, populate_existing=True)

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
        """Erase a person and everything about them, in one transaction.

        The change feed tells every instance's indexes: the person is gone, the threads they
        asked are deleted, and those they answered or solved have changed.
        """
        with self.session() as session:
            own_needs = select(Need.id).where(Need.person_id == person_id)
            asked = {
                number
                for number in session.exec(select(HelpThread.id).where(HelpThread.asker_id == person_id))
                if number is not None
            }
            answered = set(
                session.exec(select(HelpReply.thread_id).where(HelpReply.person_id == person_id).distinct())
            )
            answered.update(
                number
                for number in session.exec(select(HelpThread.id).where(HelpThread.solved_by_id == person_id))
                if number is not None
            )
            needs = [n for n in session.exec(own_needs) if n is not None]
            asks = [
                a
                for a in session.exec(
                    select(Ask.id).where(sa.or_(col(Ask.person_id) == person_id, col(Ask.need_id).in_(needs)))
                )
                if a is not None
            ]
            # Messages about the erased needs and requests lead nowhere any more: a reaction to
            # one reaches nobody (and, ids never being reused, never someone else's request).
            for kind, ids in (("need", needs), ("ask", asks), ("introduction", asks)):
                if ids:
                    session.execute(
                        delete(SentMessage).where(
                            col(SentMessage.about_kind) == kind, col(SentMessage.about_id).in_(ids)
                        )
                    )
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
            record_change(session, ChangeKind.PERSON_FORGOTTEN, person_id=person_id)
            for thread_id in sorted(asked):
                record_change(session, ChangeKind.THREAD_REMOVED, thread_id=thread_id)
            for thread_id in sorted(answered - asked):
                record_change(session, ChangeKind.THREAD_CHANGED, thread_id=thread_id)
            session.flush()


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
