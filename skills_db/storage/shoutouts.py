"""What weekly shout-outs read and write (a mixin of :class:`Store`).

Reads: the help given in a period (one :class:`Thanks` row per piece of help, whatever path
recorded it), how visible each helper already is, when the people they helped first appeared.
Writes: one :class:`Shoutout` per channel and week — created by INSERT … ON CONFLICT DO NOTHING,
so of two instances, a job and a manager's ``send``, only one prepares or posts a week — and the
picks that say who was considered and why they were or were not featured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from skills_db.storage.database import Database, insert_returning
from skills_db.storage.models import (
    HelpReply,
    HelpThread,
    Need,
    Person,
    PickOutcome,
    Shoutout,
    ShoutoutPick,
    ShoutoutStatus,
    Thanks,
)

# A person's visibility looks back this far: shout-outs, public thanks, public posts.
SEEN_WEEKS = 8
POSTS_DAYS = 90


@dataclass(frozen=True)
class HelpGiven:
    """One piece of help: ``helper`` helped ``helped`` at ``at``, on ``skills``."""

    helper: int
    helped: int
    at: datetime
    skills: tuple[str, ...]
    public: bool
    anonymous: bool = False  # help with an anonymous need: its asker is never described


@dataclass(frozen=True)
class Seen:
    """How visible someone already is, before a period (see :mod:`bot.shoutouts.selection`)."""

    shoutouts: int = 0  # shout-outs received lately, in any channel
    public_thanks: int = 0  # thanks received lately where everyone could see
    public_posts: int = 0  # needs, questions and replies lately in public help threads


def _count_by(session: Any, query: Any) -> dict[int, int]:
    return {int(pid): int(n) for pid, n in session.execute(query).all() if pid is not None}


class ShoutoutQueries(Database):
    # -- reading ------------------------------------------------------------------------------

    def help_given(self, since: datetime, until: datetime) -> list[HelpGiven]:
        """Help recorded in [since, until), by people who still exist, to someone else.

        Help given to someone since erased still counts, each piece as one colleague helped
        (``helped`` is then minus the thanks' id: no person's, and nobody's to recognise).
        """
        helper, helped = sa.orm.aliased(Person), sa.orm.aliased(Person)
        anonymised = col(Thanks.from_person_id).is_(None)
        query = (
            select(Thanks, col(Need.anonymous))
            .outerjoin(Need, col(Need.id) == col(Thanks.need_id))
            .join(helper, col(helper.id) == col(Thanks.to_person_id))
            .outerjoin(helped, col(helped.id) == col(Thanks.from_person_id))
            .where(
                col(Thanks.created_at) >= since,
                col(Thanks.created_at) < until,
                sa.or_(anonymised, col(Thanks.to_person_id) != col(Thanks.from_person_id)),
                sa.not_(col(helper.deleted)),
                sa.or_(anonymised, sa.not_(col(helped.deleted))),
            )
            .order_by(col(Thanks.created_at), col(Thanks.id))
        )
        with self.session() as session:
            return [
                HelpGiven(
                    t.to_person_id,
                    t.from_person_id if t.from_person_id is not None else -(t.id or 0),
                    t.created_at,
                    tuple(t.skills or ()),
                    t.public,
                    bool(anonymous),
                )
                for t, anonymous in session.exec(query).all()
            ]

    def seen(self, person_ids: Iterable[int], before: datetime) -> dict[int, Seen]:
        """How visible these people were in the weeks before ``before``."""
        ids = sorted(set(person_ids))
        if not ids:
            return {}
        lately = before - timedelta(weeks=SEEN_WEEKS)
        posts_since = before - timedelta(days=POSTS_DAYS)
        with self.session() as session:
            shoutouts = _count_by(
                session,
                sa.select(col(ShoutoutPick.person_id), sa.func.count())
                .join(Shoutout, col(Shoutout.id) == col(ShoutoutPick.shoutout_id))
                .where(
                    col(ShoutoutPick.person_id).in_(ids),
                    col(ShoutoutPick.outcome) == PickOutcome.FEATURED,
                    col(Shoutout.status) == ShoutoutStatus.POSTED,
                    col(Shoutout.until) > lately,
                    col(Shoutout.until) <= before,
                )
                .group_by(col(ShoutoutPick.person_id)),
            )
            thanks = _count_by(
                session,
                sa.select(col(Thanks.to_person_id), sa.func.count())
                .where(
                    col(Thanks.to_person_id).in_(ids),
                    col(Thanks.public),
                    col(Thanks.created_at) >= lately,
                    col(Thanks.created_at) < before,
                )
                .group_by(col(Thanks.to_person_id)),
            )
            replies = _count_by(
                session,
                sa.select(col(HelpReply.person_id), sa.func.count())
                .join(HelpThread, col(HelpThread.id) == col(HelpReply.thread_id))
                .where(
                    col(HelpReply.person_id).in_(ids),
                    col(HelpThread.public),
                    col(HelpReply.created_at) >= posts_since,
                    col(HelpReply.created_at) < before,
                )
                .group_by(col(HelpReply.person_id)),
            )
            asked = _count_by(
                session,
                sa.select(col(Need.person_id), sa.func.count())
                .where(
                    col(Need.person_id).in_(ids),
                    col(Need.public),
                    col(Need.created_at) >= posts_since,
                    col(Need.created_at) < before,
                )
                .group_by(col(Need.person_id)),
            )
        return {
            pid: Seen(shoutouts.get(pid, 0), thanks.get(pid, 0), replies.get(pid, 0) + asked.get(pid, 0))
            for pid in ids
        }

    def first_seen(self, person_ids: Iterable[int]) -> dict[int, datetime]:
        """When each person first appeared: their record, or earlier history that names them."""
        ids = sorted(set(person_ids))
        if not ids:
            return {}
        with self.session() as session:
            found: dict[int, datetime] = {
                int(pid): at
                for pid, at in session.execute(
                    sa.select(col(Person.id), col(Person.created_at)).where(col(Person.id).in_(ids))
                ).all()
            }
            earlier = [
                sa.select(col(HelpThread.asker_id), sa.func.min(col(HelpThread.created_at)))
                .where(col(HelpThread.asker_id).in_(ids))
                .group_by(col(HelpThread.asker_id)),
                sa.select(col(HelpReply.person_id), sa.func.min(col(HelpReply.created_at)))
                .where(col(HelpReply.person_id).in_(ids))
                .group_by(col(HelpReply.person_id)),
            ]
            for query in earlier:
                for pid, at in session.execute(query).all():
                    if pid is not None and at is not None and int(pid) in found:
                        found[int(pid)] = min(found[int(pid)], at)
        return found

    def last_featured(self, channel: str, week: str, until: datetime) -> set[int]:
        """Who the channel's latest post before ``week`` (and ending by ``until``) featured."""
        with self.session() as session:
            last = session.exec(
                select(Shoutout.id)
                .where(
                    col(Shoutout.channel) == channel,
                    col(Shoutout.week) != week,
                    col(Shoutout.status) == ShoutoutStatus.POSTED,
                    col(Shoutout.until) <= until,
                )
                .order_by(col(Shoutout.until).desc())
                .limit(1)
            ).first()
            if last is None:
                return set()
            query = select(ShoutoutPick.person_id).where(
                col(ShoutoutPick.shoutout_id) == last, col(ShoutoutPick.outcome) == PickOutcome.FEATURED
            )
            return set(session.exec(query).all())

    def last_post_until(self, channel: str, week: str) -> datetime | None:
        """Where the channel's latest post before ``week`` stopped counting help."""
        with self.session() as session:
            value: datetime | None = session.execute(
                sa.select(sa.func.max(col(Shoutout.until))).where(
                    col(Shoutout.channel) == channel,
                    col(Shoutout.week) != week,
                    col(Shoutout.status) == ShoutoutStatus.POSTED,
                )
            ).scalar()
            return value

    def shoutout(self, channel: str, week: str) -> Shoutout | None:
        with self.session() as session:
            return session.exec(
                select(Shoutout).where(col(Shoutout.channel) == channel, col(Shoutout.week) == week)
            ).first()

    def picks(self, shoutout_id: int) -> list[ShoutoutPick]:
        with self.session() as session:
            return list(
                session.exec(
                    select(ShoutoutPick)
                    .where(col(ShoutoutPick.shoutout_id) == shoutout_id)
                    .order_by(col(ShoutoutPick.rank))
                ).all()
            )

    def get_pick(self, pick_id: int) -> ShoutoutPick | None:
        with self.session() as session:
            return session.get(ShoutoutPick, pick_id, populate_existing=True)

    def picks_of(self, person_id: int, limit: int = 8) -> list[tuple[Shoutout, ShoutoutPick]]:
        """A person's latest weeks as a helper, newest first: what they may read of themselves."""
        query = (
            select(Shoutout, ShoutoutPick)
            .join(ShoutoutPick, col(ShoutoutPick.shoutout_id) == col(Shoutout.id))
            .where(col(ShoutoutPick.person_id) == person_id)
            .order_by(col(Shoutout.until).desc(), col(Shoutout.id).desc())
            .limit(limit)
        )
        with self.session() as session:
            return [(s, p) for s, p in session.exec(query).all()]

    def featured_count(self, person_id: int) -> int:
        """How many posts have featured this person (their public record, readable by anyone)."""
        query = (
            sa.select(sa.func.count())
            .select_from(ShoutoutPick)
            .join(Shoutout, col(Shoutout.id) == col(ShoutoutPick.shoutout_id))
            .where(
                col(ShoutoutPick.person_id) == person_id,
                col(ShoutoutPick.outcome) == PickOutcome.FEATURED,
                col(Shoutout.status) == ShoutoutStatus.POSTED,
            )
        )
        with self.session() as session:
            return int(session.execute(query).scalar() or 0)

    # -- writing ------------------------------------------------------------------------------

    def claim_shoutout(
        self,
        channel: str,
        week: str,
        status: str,
        since: datetime,
        until: datetime,
        language: str,
        at: datetime,
        by_person_id: int | None = None,
    ) -> Shoutout | None:
        """Create the week's shout-out of a channel; None when that week already has one.

        Joins the caller's unit of work: the row, its picks and its post commit together.
        """
        row = {
            "channel": channel,
            "week": week,
            "status": status,
            "since": since,
            "until": until,
            "language": language,
            "by_person_id": by_person_id,
            "created_at": at,
            "posted_at": at if status == ShoutoutStatus.POSTED else None,
        }
        with self.session() as session:
            found = insert_returning(session, Shoutout, row, col(Shoutout.id))
            return None if found is None else session.get(Shoutout, int(found))

    def set_shoutout_status(
        self, shoutout_id: int, status: str, at: datetime, *, was: str | None = None, **period: datetime
    ) -> bool:
        """Move a shout-out on (conditional on ``was``: of two instances, one moves it); ``period``
        may set a new ``since`` and ``until``."""
        values: dict[str, Any] = {"status": status, **period}
        if status == ShoutoutStatus.POSTED:
            values["posted_at"] = at
        with self.session() as session:
            update = sa.update(Shoutout).where(col(Shoutout.id) == shoutout_id)
            if was is not None:
                update = update.where(col(Shoutout.status) == was)
            return bool(getattr(session.execute(update.values(**values)), "rowcount", 0))

    def add_picks(self, picks: Iterable[ShoutoutPick]) -> list[ShoutoutPick]:
        with self.session() as session:
            rows = list(picks)
            session.add_all(rows)
            session.flush()
            return rows

    def set_pick_outcome(
        self, pick_id: int, outcome: str, *, was: Iterable[str] | None = None, at: datetime | None = None
    ) -> bool:
        with self.session() as session:
            update = sa.update(ShoutoutPick).where(col(ShoutoutPick.id) == pick_id)
            if was is not None:
                update = update.where(col(ShoutoutPick.outcome).in_(list(was)))
            values: dict[str, Any] = {"outcome": outcome}
            if at is not None:
                values["answered_at"] = at
            return bool(getattr(session.execute(update.values(**values)), "rowcount", 0))
