"""The skills database: every read and write the core makes goes through :class:`Store`.

Store combines the query classes of each aggregate over one :class:`Database`: people and
adapter state here, skills and evidence in :mod:`evidence`, needs, asks and thanks in
:mod:`needs`, export and erasure in :mod:`personal`, the outbox in :mod:`outbox`, job runs and
delayed tasks in :mod:`jobs`, a need's follow-ups in :mod:`followups`, weekly shout-outs in
:mod:`shoutouts`, managers' curation of the vocabulary in :mod:`curation`, the indexes' change
feed in :mod:`feed`, replies in a need's thread in :mod:`replies`. A method called inside
:meth:`Database.unit_of_work` joins its transaction; alone, it commits at its end. Rows come
back detached, so callers never hold a transaction across an ``await``.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import col, delete, select

from skills_db.storage.curation import CurationQueries
from skills_db.storage.database import insert_ignoring_duplicates
from skills_db.storage.erasure import ErasureQueries
from skills_db.storage.evidence import EvidenceQueries
from skills_db.storage.feed import FeedQueries
from skills_db.storage.followups import FollowUpQueries
from skills_db.storage.jobs import JobQueries
from skills_db.storage.models import (
    AdapterState,
    AuditEntry,
    Identity,
    Person,
    ProcessedEvent,
    Setting,
    utcnow,
)
from skills_db.storage.needs import NeedQueries
from skills_db.storage.outbox import OutboxQueries
from skills_db.storage.personal import PersonalDataQueries
from skills_db.storage.replies import ReplyQueries
from skills_db.storage.retention import RetentionQueries
from skills_db.storage.shoutouts import ShoutoutQueries


class PersonBrief(NamedTuple):
    """The few fields of a person that ranking and routing read (see Store.people_brief). A
    tuple: a need reads some 200, and a frozen dataclass took a third of the read to build."""

    id: int | None
    name: str
    deleted: bool
    matching_opt_out: bool
    away_until: datetime | None
    timezone: str | None
    weekly_ask_cap: int | None


class Store(
    EvidenceQueries,
    CurationQueries,
    NeedQueries,
    ReplyQueries,
    FollowUpQueries,
    ShoutoutQueries,
    PersonalDataQueries,
    ErasureQueries,
    OutboxQueries,
    FeedQueries,
    JobQueries,
    RetentionQueries,
):
    # -- people and identities -------------------------------------------------------------

    def person_for(
        self, platform: str, handle: str, display: str = "", *, at: datetime | None = None
    ) -> Person:
        """The person behind a platform identity, created on first sight."""
        with self.session() as session:
            found = session.exec(
                select(Person, Identity)
                .join(Identity, col(Identity.person_id) == col(Person.id))
                .where(Identity.platform == platform, Identity.handle == handle)
            ).first()
            if found is not None:
                person, identity = found
                if display and identity.display != display:
                    identity.display = display
                    session.add(identity)
                return person
            person = Person(name=display or handle, created_at=at or utcnow())
            session.add(person)
            session.flush()
            assert person.id is not None
            # Created concurrently by another instance: the unique key refuses the second
            # identity, and the whole unit of work is retried (see bot.actions), finding it.
            session.add(Identity(person_id=person.id, platform=platform, handle=handle, display=display))
            session.flush()
            return person

    def link_identity(self, person_id: int, platform: str, handle: str, display: str = "") -> None:
        with self.session() as session:
            session.add(Identity(person_id=person_id, platform=platform, handle=handle, display=display))

    def find_person(self, platform: str, handle: str) -> Person | None:
        with self.session() as session:
            return session.exec(
                select(Person)
                .join(Identity, col(Identity.person_id) == col(Person.id))
                .where(Identity.platform == platform, Identity.handle == handle)
            ).first()

    def find_person_by_handle(self, handle: str) -> Person | None:
        """The person with this handle on any platform (Slack ids and Matrix ids never collide)."""
        with self.session() as session:
            return session.exec(
                select(Person)
                .join(Identity, col(Identity.person_id) == col(Person.id))
                .where(Identity.handle == handle)
            ).first()

    def person_id_by_handle(self, handle: str) -> int | None:
        """The id alone of :meth:`find_person_by_handle`'s person (no row built: 1-3 ms less
        on each need of `entraide match`)."""
        query = sa.select(col(Identity.person_id)).where(col(Identity.handle) == handle).limit(1)
        with self.session() as session:
            found = session.execute(query).scalar()
        return None if found is None else int(found)

    def find_people_by_name(self, platform: str, name: str) -> list[Person]:
        """People whose handle, display name or name equals ``name`` (case-insensitive)."""
        lowered = name.lower()
        with self.session() as session:
            rows = session.exec(
                select(Person)
                .join(Identity, col(Identity.person_id) == col(Person.id))
                .where(
                    Identity.platform == platform,
                    col(Person.deleted).is_(False),
                    sa.or_(
                        sa.func.lower(Identity.handle) == lowered,
                        sa.func.lower(Identity.display) == lowered,
                        sa.func.lower(Person.name) == lowered,
                    ),
                )
            ).all()
            return list({p.id: p for p in rows}.values())

    def get_person(self, person_id: int) -> Person | None:
        with self.session() as session:
            return session.get(Person, person_id)

    def update_person(self, person_id: int, **changes: Any) -> Person:
        with self.session() as session:
            person = session.get(Person, person_id)
            if person is None:
                raise KeyError(person_id)
            for name, value in changes.items():
                if not hasattr(person, name):
                    raise AttributeError(name)
                setattr(person, name, value)
            session.add(person)
            return person

    def identities(self, person_id: int) -> list[Identity]:
        with self.session() as session:
            return list(session.exec(select(Identity).where(Identity.person_id == person_id)).all())

    def identities_for(self, person_ids: list[int]) -> dict[int, list[Identity]]:
        result: dict[int, list[Identity]] = {pid: [] for pid in person_ids}
        if not person_ids:
            return result
        with self.session() as session:
            for identity in session.scalars(self._identities_query, self.ids_parameter(person_ids)):
                result[identity.person_id].append(identity)
        return result

    @cached_property
    def _identities_query(self) -> sa.Select[Identity]:
        return sa.select(Identity).where(self.among_ids(col(Identity.person_id)))

    def handles_for(self, person_ids: list[int]) -> dict[int, dict[str, str]]:
        """Each person's handle by platform: the columns alone (``identities_for`` builds rows,
        a few milliseconds for a dozen people, on every need `entraide match` prints)."""
        result: dict[int, dict[str, str]] = {pid: {} for pid in person_ids}
        if not person_ids:
            return result
        with self.session() as session:
            rows = session.execute(self._handles_query, self.ids_parameter(person_ids))
            for person_id, platform, handle in rows:
                result[person_id][platform] = handle
        return result

    @cached_property
    def _handles_query(self) -> sa.Select[int, str, str]:
        return sa.select(col(Identity.person_id), col(Identity.platform), col(Identity.handle)).where(
            self.among_ids(col(Identity.person_id))
        )

    def count_people(self) -> int:
        with self.session() as session:
            return int(
                session.exec(
                    select(sa.func.count()).select_from(Person).where(col(Person.deleted).is_(False))
                ).one()
            )

    # -- processed events and adapter state --------------------------------------------------

    def mark_processed(
        self, platform: str, event_id: str, *, account: str = "", at: datetime | None = None
    ) -> bool:
        """Record an event as handled; False when it already was (a retry or a replay).

        Inside a unit of work the mark commits with the handler's effects, or not at all.
        """
        row = {"platform": platform, "account": account, "event_id": event_id, "processed_at": at or utcnow()}
        with self.session() as session:
            return insert_ignoring_duplicates(session, ProcessedEvent, row)

    def processed_ids(self, platform: str, prefix: str, *, account: str = "") -> set[str]:
        """The ids of the events handled whose id starts with ``prefix`` (a script's lines)."""
        query = select(ProcessedEvent.event_id).where(
            col(ProcessedEvent.platform) == platform,
            col(ProcessedEvent.account) == account,
            col(ProcessedEvent.event_id).startswith(prefix, autoescape=True),
        )
        with self.session() as session:
            return set(session.exec(query).all())

    def prune_processed(self, before: datetime, *, keep_prefix: str | None = None) -> int:
        """Forget events processed before ``before``, except those whose id starts with
        ``keep_prefix`` (marks that must be kept for good)."""
        old = col(ProcessedEvent.processed_at) < before
        if keep_prefix is not None:
            old = sa.and_(old, sa.not_(col(ProcessedEvent.event_id).startswith(keep_prefix, autoescape=True)))
        with self.session() as session:
            result = session.execute(delete(ProcessedEvent).where(old))
            return int(getattr(result, "rowcount", 0) or 0)

    def get_state(self, platform: str, key: str, account: str = "") -> str | None:
        with self.session() as session:
            row = session.get(AdapterState, (platform, account, key))
            return None if row is None else row.value

    def set_state(self, platform: str, key: str, value: str, account: str = "") -> None:
        with self.session() as session:
            row = session.get(AdapterState, (platform, account, key))
            if row is None:
                row = AdapterState(platform=platform, account=account, key=key, value=value)
            row.value = value
            session.add(row)

    def get_setting(self, key: str) -> dict[str, Any] | None:
        with self.session() as session:
            row = session.get(Setting, key, populate_existing=True)
            return None if row is None else dict(row.value)

    def set_setting(
        self, key: str, value: dict[str, Any], *, by: int | None = None, at: datetime | None = None
    ) -> None:
        with self.session() as session:
            row = session.get(Setting, key)
            if row is None:
                row = Setting(key=key)
            row.value, row.updated_at, row.updated_by_id = value, at or utcnow(), by
            session.add(row)
            session.flush()

    def audit(
        self, actor_person_id: int | None, action: str, *, at: datetime | None = None, **details: Any
    ) -> None:
        """Record who did what (``at``: when, by the caller's clock; now by default)."""
        entry = AuditEntry(actor_person_id=actor_person_id, action=action, details=details, at=at or utcnow())
        with self.session() as session:
            session.add(entry)

    def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        with self.session() as session:
            return list(
                session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)).all()
            )

    def people_brief(self, person_ids: list[int]) -> dict[int, PersonBrief]:
        """What matching needs to know of these people, without loading whole rows."""
        if not person_ids:
            return {}
        with self.session() as session:
            rows = session.execute(self._brief_query, self.ids_parameter(person_ids))
            return {row[0]: PersonBrief._make(row) for row in rows}

    @cached_property
    def _brief_query(
        self,
    ) -> sa.Select[int | None, str, bool, bool, datetime | None, str | None, int | None]:
        return sa.select(
            col(Person.id),
            col(Person.name),
            col(Person.deleted),
            col(Person.matching_opt_out),
            col(Person.away_until),
            col(Person.timezone),
            col(Person.weekly_ask_cap),
        ).where(self.among_ids(col(Person.id)))

    def people(self, person_ids: list[int]) -> dict[int, Person]:
        if not person_ids:
            return {}
        with self.session() as session:
            rows = session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()
            return {p.id: p for p in rows if p.id is not None}
