"""Tables of the skills database.

Times are stored as naive UTC (SQLite has no time zones) and handed back aware, through
:class:`UTCDateTime`, so the core only ever compares aware datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _time(*, index: bool = False, nullable: bool = False) -> Any:
    column: sa.Column[datetime] = sa.Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


def _json() -> Any:
    return Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))


class ClaimSource(StrEnum):
    DECLARED = "declared"  # "skills add" — counts least
    ENDORSED = "endorsed"  # a peer vouched for it
    HELPED = "helped"  # credited for solving a need, or thanked for it
    IMPORTED = "imported"  # from an import of history or profiles


class NeedStatus(StrEnum):
    OPEN = "open"
    SOLVED = "solved"
    CLOSED = "closed"


class AskStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    language: str | None = None  # None: the workspace default
    timezone: str | None = None
    title: str = ""  # self-description (profile title)
    away_until: datetime | None = _time(nullable=True)
    matching_opt_out: bool = False
    shoutouts_opt_out: bool = False
    weekly_ask_cap: int | None = None  # None: the configured default
    deleted: bool = False
    created_at: datetime = _time()


class Identity(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("platform", "handle"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str
    handle: str
    display: str = ""


class Skill(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    folded: str = Field(unique=True)  # accent- and case-folded name, for lookups
    category: str = "tech"


class SkillAlias(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    skill_id: int = Field(foreign_key="skill.id", index=True)
    alias: str
    folded: str = Field(unique=True)
    language: str = "en"


class SkillClaim(SQLModel, table=True):
    """One piece of evidence that a person knows a skill."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    skill_id: int = Field(foreign_key="skill.id", index=True)
    source: str  # ClaimSource
    weight: float = 1.0
    ref: str | None = None  # what it stems from: "need:12", "endorsement:3", "import:…"
    created_at: datetime = _time()


class LearningGoal(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("person_id", "skill_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    skill_id: int = Field(foreign_key="skill.id", index=True)
    created_at: datetime = _time()


class Need(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    text: str
    skills: list[str] = _json()  # canonical skill names recognised in the text
    platform: str
    conversation: str
    thread: str | None = None  # where to answer: the need's thread
    status: str = NeedStatus.OPEN
    solved_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _time(index=True)
    solved_at: datetime | None = _time(nullable=True)


class Offer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    text: str
    skills: list[str] = _json()
    created_at: datetime = _time()
    expires_at: datetime = _time(index=True)


class Ask(SQLModel, table=True):
    """A request to one colleague to help with one need, and their answer."""

    __table_args__ = (sa.UniqueConstraint("need_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = AskStatus.PENDING
    reasons: list[dict[str, Any]] = _json()
    asked_at: datetime = _time(index=True)
    answered_at: datetime | None = _time(nullable=True)


class Thanks(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    from_person_id: int = Field(foreign_key="person.id", index=True)
    to_person_id: int = Field(foreign_key="person.id", index=True)
    need_id: int | None = Field(default=None, foreign_key="need.id")
    text: str = ""
    created_at: datetime = _time(index=True)


class Endorsement(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("endorser_id", "endorsee_id", "skill_id"),)
    id: int | None = Field(default=None, primary_key=True)
    endorser_id: int = Field(foreign_key="person.id", index=True)
    endorsee_id: int = Field(foreign_key="person.id", index=True)
    skill_id: int = Field(foreign_key="skill.id")
    created_at: datetime = _time()


class ProcessedEvent(SQLModel, table=True):
    """Events already handled, so a retry or a restart does not handle them twice."""

    platform: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    processed_at: datetime = _time(index=True)


class AdapterState(SQLModel, table=True):
    """Small per-adapter values that must survive a restart (Matrix ``next_batch``…)."""

    platform: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(index=True)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    action: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON))


class HelpThread(SQLModel, table=True):
    """A conversation where someone asked and colleagues answered: imported or live.

    The text of these threads is what text evidence is matched against; who replied, and which
    reply solved it, is the evidence of help given.
    """

    __table_args__ = (sa.UniqueConstraint("source", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str  # "slack-export", "jsonl", "live"
    external_id: str  # stable id within the source, so a re-import changes nothing
    channel: str = ""
    asker_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    text: str  # the question
    created_at: datetime = _time(index=True)
    solved_by_id: int | None = Field(default=None, foreign_key="person.id")


class HelpReply(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="helpthread.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    text: str = ""
    created_at: datetime = _time()
    solved: bool = False  # this reply is the one that solved the thread
