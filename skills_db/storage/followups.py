"""Following a need to its end: waiting requests, the asker's follow-up gate, closing.

Every transition is a conditional update, so two instances (or a retried task) racing on one
need or one request let exactly one of them through.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from skills_db.storage.database import Database
from skills_db.storage.models import Ask, AskStatus, Need, NeedStatus, Person

# Requests that take someone's time: a waiting one is not sent, a skipped one never was.
SENT = (AskStatus.PENDING, AskStatus.ACCEPTED, AskStatus.DECLINED, AskStatus.EXPIRED, AskStatus.OFFERED)


def sent_since_locked(session: Session, person_ids: list[int], since: datetime) -> dict[int, int]:
    """How many requests each person was sent since ``since``, their rows locked first (an
    UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so that two handlers or two
    instances cannot both take someone's last place under their weekly cap."""
    session.execute(sa.update(Person).where(col(Person.id).in_(person_ids)).values(id=Person.id))
    rows = session.exec(
        select(Ask.person_id, sa.func.count())
        .where(col(Ask.person_id).in_(person_ids), col(Ask.asked_at) >= since, col(Ask.status).in_(SENT))
        .group_by(col(Ask.person_id))
    )
    return {pid: int(n) for pid, n in rows}


class FollowUpQueries(Database):
    def get_ask(self, ask_id: int) -> Ask | None:
        with self.session() as session:
            return session.get(Ask, ask_id)

    def plan_ask(
        self,
        need_id: int,
        person_id: int,
        reasons: list[dict[str, Any]],
        *,
        due_at: datetime,
        why: str,
        at: datetime,
    ) -> Ask | None:
        """A request to send at ``due_at`` (the person is away, off hours or at their cap)."""
        with self.session() as session:
            exists = session.exec(
                select(Ask.id).where(Ask.need_id == need_id, Ask.person_id == person_id)
            ).first()
            if exists is not None:
                return None
            ask = Ask(
                need_id=need_id,
                person_id=person_id,
                status=AskStatus.WAITING,
                reasons=reasons,
                asked_at=at,
                due_at=due_at,
                wait_reason=why,
            )
            session.add(ask)
            session.flush()
            return ask

    def send_waiting_ask(self, ask_id: int, *, at: datetime, cap: int, since: datetime) -> Ask | None:
        """Turn a waiting request into a pending one, if the person still has room this week."""
        with self.session() as session:
            ask = session.get(Ask, ask_id)
            if ask is None or ask.status != AskStatus.WAITING:
                return None
            if sent_since_locked(session, [ask.person_id], since).get(ask.person_id, 0) >= cap:
                return None
            result = session.execute(
                sa.update(Ask)
                .where(col(Ask.id) == ask_id, col(Ask.status) == AskStatus.WAITING)
                .values(status=AskStatus.PENDING, asked_at=at, due_at=None)
            )
            if not getattr(result, "rowcount", 0):
                return None
            return session.get(Ask, ask_id, populate_existing=True)

    def skip_ask(self, ask_id: int, *, at: datetime) -> bool:
        """A waiting request that will not be sent; False when it was not waiting any more."""
        with self.session() as session:
            result = session.execute(
                sa.update(Ask)
                .where(col(Ask.id) == ask_id, col(Ask.status) == AskStatus.WAITING)
                .values(status=AskStatus.SKIPPED, answered_at=at)
            )
            return bool(getattr(result, "rowcount", 0))

    def waiting_asks(self, person_id: int) -> list[Ask]:
        with self.session() as session:
            return list(
                session.exec(
                    select(Ask).where(Ask.person_id == person_id, Ask.status == AskStatus.WAITING)
                ).all()
            )

    def asks_for_needs(self, need_ids: Iterable[int]) -> dict[int, list[Ask]]:
        """The requests of these needs, by need, in one query."""
        ids = list(set(need_ids))
        found: dict[int, list[Ask]] = {need_id: [] for need_id in ids}
        if not ids:
            return found
        with self.session() as session:
            for ask in session.exec(select(Ask).where(col(Ask.need_id).in_(ids)).order_by(col(Ask.id))):
                found[ask.need_id].append(ask)
        return found

    def sent_ask_times(self, person_ids: Iterable[int], since: datetime) -> dict[int, list[datetime]]:
        """When each person was sent requests since ``since``, oldest first (to know when they
        have room again under their weekly cap)."""
        ids = list(set(person_ids))
        times: dict[int, list[datetime]] = {pid: [] for pid in ids}
        if not ids:
            return times
        with self.session() as session:
            rows = session.exec(
                select(Ask.person_id, Ask.asked_at)
                .where(col(Ask.person_id).in_(ids), col(Ask.asked_at) >= since, col(Ask.status).in_(SENT))
                .order_by(col(Ask.asked_at))
            )
            for pid, when in rows:
                times[pid].append(when)
        return times

    def may_follow_up(self, need_id: int, *, at: datetime, every: timedelta) -> bool:
        """Take the asker's follow-up slot of this need: True at most once per ``every``."""
        with self.session() as session:
            result = session.execute(
                sa.update(Need)
                .where(
                    col(Need.id) == need_id,
                    sa.or_(col(Need.notified_at).is_(None), col(Need.notified_at) <= at - every),
                )
                .values(notified_at=at)
            )
            return bool(getattr(result, "rowcount", 0))

    def next_follow_up(self, need_id: int, every: timedelta) -> datetime | None:
        with self.session() as session:
            last = session.exec(select(Need.notified_at).where(Need.id == need_id)).first()
            return None if last is None else last + every

    def mark_told(self, need_id: int, flag: str) -> bool:
        """Set a said-once flag of the need (``exhausted_told``, ``solved_asked``); False if set."""
        column = {"exhausted_told": Need.exhausted_told, "solved_asked": Need.solved_asked}[flag]
        with self.session() as session:
            result = session.execute(
                sa.update(Need).where(col(Need.id) == need_id, col(column).is_(False)).values({flag: True})
            )
            return bool(getattr(result, "rowcount", 0))

    def close_needs_before(self, created_before: datetime) -> list[Need]:
        """Close the open needs created before ``created_before``; those this call closed."""
        with self.session() as session:
            stale = session.exec(
                select(Need).where(Need.status == NeedStatus.OPEN, col(Need.created_at) < created_before)
            ).all()
            closed = []
            for need in stale:
                result = session.execute(
                    sa.update(Need)
                    .where(col(Need.id) == need.id, col(Need.status) == NeedStatus.OPEN)
                    .values(status=NeedStatus.CLOSED)
                )
                if getattr(result, "rowcount", 0):
                    closed.append(need)
            return closed

    def open_needs_about(
        self, skills: Iterable[str], *, since: datetime, limit: int, exclude_person: int | None = None
    ) -> list[Need]:
        """Open needs posted since ``since`` naming one of ``skills`` (or, with no skills, all),
        the latest first."""
        wanted = {skill.casefold() for skill in skills}
        with self.session() as session:
            query = select(Need).where(Need.status == NeedStatus.OPEN, col(Need.created_at) >= since)
            if exclude_person is not None:
                query = query.where(Need.person_id != exclude_person)
            rows = session.exec(query.order_by(col(Need.created_at).desc(), col(Need.id).desc())).all()
        # Skills are a JSON list: filtered here, among a bounded window of open needs.
        found = [
            need for need in rows if not wanted or wanted.intersection(s.casefold() for s in need.skills)
        ]
        return found[:limit]
