"""The marketplace: needs, offers, requests for help (asks) and thanks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from skills_db.storage.database import Database, insert_returning, table_of
from skills_db.storage.evidence import add_claim_in, ensure_skill_in
from skills_db.storage.feed import ChangeKind, record_change
from skills_db.storage.followups import SENT, sent_since_locked
from skills_db.storage.models import (
    Ask,
    AskStatus,
    ClaimSource,
    HelpReply,
    LearningGoal,
    Need,
    NeedStatus,
    Offer,
    Person,
    Skill,
    Thanks,
    ThanksKind,
    utcnow,
)
from skills_db.storage.replies import find_or_create_thread, live_thread

# What daily limits count: thanks said today. Imported history is neither said nor today.
LIVE_THANKS = (ThanksKind.THANKS, ThanksKind.SOLVED)


class NeedQueries(Database):
    # -- needs, offers, asks ------------------------------------------------------------------

    def create_need(self, need: Need) -> Need:
        with self.session() as session:
            session.add(need)
            session.flush()
            return need

    def get_need(self, need_id: int) -> Need | None:
        with self.session() as session:
            return session.get(Need, need_id)

    def needs(self, need_ids: Iterable[int]) -> dict[int, Need]:
        """These needs, by id, in one query."""
        ids = list(set(need_ids))
        if not ids:
            return {}
        with self.session() as session:
            rows = session.exec(select(Need).where(col(Need.id).in_(ids)))
            return {need.id: need for need in rows if need.id is not None}

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
                # evidence for whoever helped. Replies in its thread may have created it already.
                thread, existed = find_or_create_thread(session, live_thread(need))
                thread.solved_by_id = helper_id
                session.add(thread)
                latest = session.exec(
                    select(HelpReply)
                    .where(HelpReply.thread_id == thread.id, HelpReply.person_id == helper_id)
                    .order_by(col(HelpReply.created_at).desc(), col(HelpReply.id).desc())
                ).first()
                if latest is not None:  # their last reply in the thread is the one that solved it
                    latest.solved = True
                    session.add(latest)
                else:
                    session.add(
                        HelpReply(thread_id=thread.id or 0, person_id=helper_id, created_at=when, solved=True)
                    )
                session.flush()
                if existed:  # every instance reads its solver and replies again
                    record_change(session, ChangeKind.THREAD_CHANGED, thread_id=thread.id)
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

    def create_offer(self, offer: Offer) -> Offer:
        with self.session() as session:
            session.add(offer)
            session.flush()
            return offer

    def active_offers(self, at: datetime | None = None) -> list[Offer]:
        with self.session() as session:
            return list(session.exec(select(Offer).where(col(Offer.expires_at) > (at or utcnow()))).all())

    def offers_and_goals(
        self, at: datetime, skills: list[str], limit: int
    ) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
        """What ranking a need reads besides its candidates, in one statement (on PostgreSQL a
        round trip each): (person, skills) of the offers active at ``at``, and (person, skill)
        of the first ``limit`` learning goals on one of ``skills``, oldest first."""
        offered: list[tuple[int, list[str]]] = []
        wanted: list[tuple[int, int, str]] = []
        with self.session() as session:
            rows = session.execute(self._offers_and_goals_query, {"at": at, "skills": skills, "limit": limit})
            for goal, person, offer_skills, name in rows:
                if goal:
                    wanted.append((goal, person, name))
                else:
                    offered.append((person, list(offer_skills)))
        return offered, [(person, name) for _goal, person, name in sorted(wanted)]

    @cached_property
    def _offers_and_goals_query(self) -> sa.CompoundSelect[Any]:
        """Built once (at every need, building it cost more than running it)."""
        goals = (
            sa.select(col(LearningGoal.id), col(LearningGoal.person_id), col(Skill.name))
            .join(Skill, col(Skill.id) == col(LearningGoal.skill_id))
            .where(col(Skill.name).in_(sa.bindparam("skills", expanding=True)))
            .order_by(col(LearningGoal.id))
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .subquery()
        )
        offers = sa.select(
            sa.literal(0).label("goal"),  # 0: an offer; a learning goal's id is at least 1
            col(Offer.person_id),
            col(Offer.skills),
            sa.cast(sa.null(), sa.String).label("name"),
        ).where(col(Offer.expires_at) > sa.bindparam("at"))
        learning = sa.select(
            goals.c.id, goals.c.person_id, sa.cast(sa.null(), table_of(Offer).c.skills.type), goals.c.name
        )
        return sa.union_all(offers, learning)

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
                taken = sent_since_locked(session, capped, since or when)
            rows = [
                Ask(need_id=need_id, person_id=pid, reasons=reasons, asked_at=when)
                for pid, reasons in wanted
                if caps is None or pid not in caps or taken.get(pid, 0) < caps[pid]
            ]
            session.add_all(rows)
            session.flush()
            return rows

    def pending_asks(self, person_id: int, *, expired_too: bool = False) -> list[Ask]:
        """The person's unanswered requests, the latest first; with ``expired_too``, also those
        that expired unanswered (a late yes is still welcome while the need is open)."""
        statuses = [AskStatus.PENDING, AskStatus.EXPIRED] if expired_too else [AskStatus.PENDING]
        with self.session() as session:
            return list(
                session.exec(
                    select(Ask)
                    .where(Ask.person_id == person_id, col(Ask.status).in_(statuses))
                    .order_by(col(Ask.asked_at).desc(), col(Ask.id).desc())
                ).all()
            )

    def asks_for_need(self, need_id: int) -> list[Ask]:
        with self.session() as session:
            return list(session.exec(select(Ask).where(Ask.need_id == need_id)).all())

    def answer_ask(
        self,
        ask_id: int,
        status: AskStatus,
        *,
        at: datetime | None = None,
        late: bool = False,
        offered: bool = False,
    ) -> Ask | None:
        """Answer a pending ask (with ``late``, an expired one too; with ``offered``, the asker
        answers a helper's offer on an anonymous need); None when it was answered already
        (concurrently: the conditional update lets one answer through)."""
        answerable = [AskStatus.PENDING, AskStatus.EXPIRED] if late else [AskStatus.PENDING]
        if offered:
            answerable = [AskStatus.OFFERED]
        with self.session() as session:
            result = session.execute(
                sa.update(Ask)
                .where(col(Ask.id) == ask_id, col(Ask.status).in_(answerable))
                .values(status=status, answered_at=at or utcnow())
            )
            if not getattr(result, "rowcount", 0):
                return None
            return session.get(Ask, ask_id, populate_existing=True)

    def ask_counts_since(self, since: datetime) -> dict[int, int]:
        with self.session() as session:
            rows = session.exec(
                select(Ask.person_id, sa.func.count())
                .where(col(Ask.asked_at) >= since, col(Ask.status).in_(SENT))
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

    def add_thanks_once(self, thanks: Thanks) -> bool:
        """Record thanks that has a ``ref`` once: False (nothing written) when thanks with that
        ref exists, so a path that runs twice (a need solved again) never counts twice. It credits
        no skill: the path that records it (solve_need) has."""
        assert thanks.ref is not None
        row = thanks.model_dump(exclude={"id"})
        with self.session() as session:
            found = insert_returning(session, Thanks, row, col(Thanks.id))
            thanks.id = found
            return found is not None

    def live_thanks_today_locked(
        self, giver: int, given_since: datetime, receivers: Mapping[int, datetime]
    ) -> tuple[int, dict[int, int]]:
        """Thanks said (the command and solved credits, not imports) by ``giver`` since
        ``given_since``, and to each receiver since the datetime given for them (each one's own
        start of day).

        The people's rows are locked first, as for requests (an UPDATE: a row lock on PostgreSQL,
        the write lock on SQLite), so that two instances cannot both record the one thanks that
        the limit still allows: on PostgreSQL the second waits at the lock until the first
        commits, then its count (READ COMMITTED: each statement sees what was committed before
        it began) includes the first one's row.
        """
        with self.session() as session:
            for person_id in sorted({giver, *receivers}):  # in id order: two of these cannot deadlock
                session.execute(sa.update(Person).where(col(Person.id) == person_id).values(id=Person.id))
            live = col(Thanks.kind).in_(LIVE_THANKS)
            given = session.exec(
                select(sa.func.count())
                .select_from(Thanks)
                .where(col(Thanks.from_person_id) == giver, live, col(Thanks.created_at) >= given_since)
            ).one()
            received = {
                person_id: int(
                    session.exec(
                        select(sa.func.count())
                        .select_from(Thanks)
                        .where(col(Thanks.to_person_id) == person_id, live, col(Thanks.created_at) >= since)
                    ).one()
                )
                for person_id, since in receivers.items()
            }
            return int(given), received

    def thanks_received(self, person_id: int, kinds: Iterable[str] | None = None) -> list[Thanks]:
        """Thanks the person received, the latest first; with ``kinds``, of these kinds only."""
        query = select(Thanks).where(Thanks.to_person_id == person_id)
        if kinds is not None:
            query = query.where(col(Thanks.kind).in_(list(kinds)))
        with self.session() as session:
            return list(session.exec(query.order_by(col(Thanks.created_at).desc())).all())

    def thanks_counts(self, person_ids: Iterable[int]) -> dict[int, int]:
        ids = list(person_ids)
        with self.session() as session:
            rows = session.exec(
                select(Thanks.to_person_id, sa.func.count())
                .where(col(Thanks.to_person_id).in_(ids))
                .group_by(col(Thanks.to_person_id))
            ).all()
            return {pid: int(n) for pid, n in rows}
