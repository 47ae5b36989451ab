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


# SQLite reuses the largest rowid after a delete unless the table says AUTOINCREMENT; ids of these
# tables appear in messages and buttons ("accept #42"), so an erased row's id must never return.
AUTOINCREMENT: dict[str, Any] = {"sqlite_autoincrement": True}


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
    WAITING = "waiting"  # not sent yet: the colleague is away, off hours or at their cap until due_at
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    SKIPPED = "skipped"  # a waiting request never sent: someone accepted first, or they stayed away
    # An anonymous need's helper said yes: the asker decides whether to be introduced to them.
    OFFERED = "offered"


class Person(SQLModel, table=True):
    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    name: str
    language: str | None = None  # None: the workspace default
    timezone: str | None = None
    title: str = ""  # self-description (profile title)
    away_until: datetime | None = _time(nullable=True)
    matching_opt_out: bool = False
    shoutouts_opt_out: bool = False
    dms_opt_out: bool = False  # no private message they did not ask for (`optout dms`)
    weekly_ask_cap: int | None = None  # None: the configured default
    deleted: bool = False
    created_at: datetime = _time()


class Identity(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("platform", "handle"), AUTOINCREMENT)
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

    # Who helped on a skill in a window of time, read from the index alone (the barometer).
    __table_args__ = (
        sa.Index("ix_skillclaim_skill_time", "skill_id", "created_at", "source", "person_id"),
        AUTOINCREMENT,
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    skill_id: int = Field(foreign_key="skill.id")  # looked up by ix_skillclaim_skill_time
    source: str  # ClaimSource
    weight: float = 1.0
    ref: str | None = None  # what it stems from: "need:12", "endorsement:3", "import:…"
    created_at: datetime = _time()


class LearningGoal(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("person_id", "skill_id"), AUTOINCREMENT)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    skill_id: int = Field(foreign_key="skill.id", index=True)
    created_at: datetime = _time()


class Need(SQLModel, table=True):
    __table_args__ = (AUTOINCREMENT,)
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
    # Follow-ups to the asker, so none nags: the last one sent (at most one a day), and the
    # messages said once at most.
    notified_at: datetime | None = _time(nullable=True)
    exhausted_told: bool = False  # "nobody I know could take it" was said
    solved_asked: bool = False  # "was it solved?" was asked
    # Posted where everyone could see it (a help channel), not in a DM or a private conversation.
    public: bool = False
    # The asker stays unnamed to everyone else until they accept a helper (`need --anonymous`).
    anonymous: bool = False


class Offer(SQLModel, table=True):
    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    text: str
    skills: list[str] = _json()
    created_at: datetime = _time()
    expires_at: datetime = _time(index=True)


class Ask(SQLModel, table=True):
    """A request to one colleague to help with one need, and their answer."""

    __table_args__ = (sa.UniqueConstraint("need_id", "person_id"), AUTOINCREMENT)
    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = AskStatus.PENDING
    reasons: list[dict[str, Any]] = _json()
    asked_at: datetime = _time(index=True)  # a waiting request: when it was planned
    answered_at: datetime | None = _time(nullable=True)
    # A waiting request: when to send it, and why not now ("away", "hours", "cap").
    due_at: datetime | None = _time(nullable=True)
    wait_reason: str | None = None


class ThanksKind(StrEnum):
    """How help given came to be known: every path records one :class:`Thanks`."""

    THANKS = "thanks"  # `thanks @ana for …`
    SOLVED = "solved"  # the asker said who solved their need (✅ on a reply, `solved`, a button)
    IMPORTED = "imported"  # a solved thread of imported history


class Thanks(SQLModel, table=True):
    """Help given by ``to_person`` to ``from_person``: what shout-outs count.

    ``from_person_id`` is None once the person who gave it was erased: the help stays the
    helper's, "from a former colleague" (see PersonalDataQueries.forget_person).
    """

    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    from_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    to_person_id: int = Field(foreign_key="person.id", index=True)
    need_id: int | None = Field(default=None, foreign_key="need.id")
    text: str = ""
    created_at: datetime = _time(index=True)
    kind: str = ThanksKind.THANKS
    skills: list[str] = _json()  # canonical skills the help was about
    # Said where everyone could see it (a help channel): only then may a public post name its skills.
    public: bool = False
    ref: str | None = Field(default=None, unique=True)  # "need:12", "import:3": recorded once


class Endorsement(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("endorser_id", "endorsee_id", "skill_id"), AUTOINCREMENT)
    id: int | None = Field(default=None, primary_key=True)
    endorser_id: int = Field(foreign_key="person.id", index=True)
    endorsee_id: int = Field(foreign_key="person.id", index=True)
    skill_id: int = Field(foreign_key="skill.id")
    created_at: datetime = _time()


class ErasedIdentity(SQLModel, table=True):
    """A platform identity whose person asked to be forgotten, as a salted hash only: old events
    and imports of history do not bring them back (skills_db.storage.erasure)."""

    hash: str = Field(primary_key=True)  # sha256 of salt, platform and handle, in hex
    erased_at: datetime = _time()


class ProcessedEvent(SQLModel, table=True):
    """Events already handled, so a retry or a restart does not handle them twice.

    Keyed by the account too (a Slack workspace, a Matrix bot account): two of them may share a
    database, and their event ids are only unique within one.
    """

    platform: str = Field(primary_key=True)
    account: str = Field(default="", primary_key=True)
    event_id: str = Field(primary_key=True)
    processed_at: datetime = _time(index=True)


class AdapterState(SQLModel, table=True):
    """Small per-adapter values that must survive a restart (Matrix ``next_batch``…)."""

    platform: str = Field(primary_key=True)
    account: str = Field(default="", primary_key=True)
    key: str = Field(primary_key=True)
    value: str


class AuditEntry(SQLModel, table=True):
    __table_args__ = (AUTOINCREMENT,)
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

    __table_args__ = (sa.UniqueConstraint("source", "external_id"), AUTOINCREMENT)
    id: int | None = Field(default=None, primary_key=True)
    source: str  # "slack-export", "jsonl", "live"
    external_id: str  # stable id within the source, so a re-import changes nothing
    channel: str = ""
    asker_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    text: str  # the question
    created_at: datetime = _time(index=True)
    solved_by_id: int | None = Field(default=None, foreign_key="person.id")
    public: bool = True  # imported channels are public; a live one is as public as its need
    # Canonical skills recognised in the question when it was recorded: what it says of demand
    # (the barometer). None: recorded before this was kept (recognised again when read).
    skills: list[str] | None = Field(
        default=None,
        sa_column=sa.Column(sa.JSON(none_as_null=True), nullable=True),  # None: SQL NULL
    )


class HelpReply(SQLModel, table=True):
    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="helpthread.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    text: str = ""
    created_at: datetime = _time()
    solved: bool = False  # this reply is the one that solved the thread


class ShoutoutStatus(StrEnum):
    ASKING = "asking"  # those picked were asked whether they may be mentioned
    POSTED = "posted"
    SKIPPED = "skipped"  # a community manager skipped this week
    EMPTY = "empty"  # nobody to thank that week: nothing posted


class PickOutcome(StrEnum):
    """Why someone who helped was or was not in a week's shout-out (they may read it)."""

    FEATURED = "featured"
    NO_ROOM = "no-room"  # the post was full with people who helped more or had been seen less
    ROTATED = "rotated"  # featured the week before, while others who helped waited
    OPTED_OUT = "opted-out"
    ASKED = "asked"  # asked whether they may be mentioned, no answer yet
    AGREED = "agreed"
    DECLINED = "declined"
    NO_ANSWER = "no-answer"  # did not answer in time, and the post leaves them out then


class Shoutout(SQLModel, table=True):
    """One week's shout-out in one channel: the unique key makes it happen once."""

    __table_args__ = (sa.UniqueConstraint("channel", "week"), AUTOINCREMENT)
    id: int | None = Field(default=None, primary_key=True)
    channel: str  # "platform:conversation"
    week: str  # ISO week of the post, "2026-W49"
    status: str = ShoutoutStatus.POSTED
    since: datetime = _time()  # the period covered: [since, until)
    until: datetime = _time()
    language: str = "en"
    by_person_id: int | None = Field(default=None, foreign_key="person.id")  # a manager's send or skip
    created_at: datetime = _time()
    posted_at: datetime | None = _time(nullable=True)


class ShoutoutPick(SQLModel, table=True):
    """Someone who helped in a shout-out's period, where they ranked and what came of it."""

    __table_args__ = (sa.UniqueConstraint("shoutout_id", "person_id"), AUTOINCREMENT)
    id: int | None = Field(default=None, primary_key=True)
    shoutout_id: int = Field(foreign_key="shoutout.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    rank: int
    outcome: str  # PickOutcome
    helped: int = 0  # distinct colleagues helped in the period
    newcomers: int = 0  # of whom new here
    skills: list[str] = _json()  # the skills of that help said in public: the post may name them
    answered_at: datetime | None = _time(nullable=True)


class Setting(SQLModel, table=True):
    """A setting managers change at run time (the organisation's focus skills), shared by every
    instance: read from here, never cached for long."""

    key: str = Field(primary_key=True)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: datetime = _time()
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")


class OutboxStatus(StrEnum):
    PENDING = "pending"  # committed with the action that said it, not delivered yet
    SENT = "sent"
    FAILED = "failed"  # the platform refused it for good, or every attempt failed


class OutboxMessage(SQLModel, table=True):
    """Something the bot says, written in the same transaction as the action that said it.

    Delivered after the commit; a crash in between leaves it pending, and the next start sends
    it with the same ``key`` (Matrix takes it as the transaction id, so a resend is recognised).
    """

    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # stable idempotency key: "<platform>:<event id>:<n>", "job:…"
    platform: str
    account: str = ""
    reply: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    about_kind: str | None = None  # AboutKind: what the message is about…
    about_id: int | None = None  # …and which one
    status: str = Field(default=OutboxStatus.PENDING, index=True)
    attempts: int = 0  # deliveries tried (or under way)
    # Whoever is delivering it holds it until then; a sweep takes only messages whose lease ran
    # out (the writer crashed, or the last attempt failed and its retry is due).
    lease_until: datetime | None = _time(nullable=True, index=True)
    created_at: datetime = _time(index=True)
    sent_at: datetime | None = _time(nullable=True)
    message_id: str | None = None
    error: str | None = None


class SentMessage(SQLModel, table=True):
    """A message the bot posted, and what it was about: reactions and threads under it make sense.

    Keyed by conversation as well: Slack message ids (``ts``) are only unique within a channel.
    """

    __table_args__ = (sa.Index("ix_sentmessage_about", "about_kind", "about_id"),)
    platform: str = Field(primary_key=True)
    account: str = Field(default="", primary_key=True)
    conversation: str = Field(primary_key=True)
    message_id: str = Field(primary_key=True)
    about_kind: str
    about_id: int
    outbox_id: int | None = None
    created_at: datetime = _time()


class IndexChange(SQLModel, table=True):
    """What the in-memory indexes of every instance must apply: removals and merges.

    Additions are read from the claim and thread tables themselves; this feed carries what
    cannot be seen there (a row that is gone). Read by id, with gaps re-read for a while, since
    rows can commit out of id order.
    """

    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # ChangeKind
    person_id: int | None = None
    skill: str | None = None
    thread_id: int | None = None
    other_person_id: int | None = None  # merges: the person kept
    created_at: datetime = _time(index=True)


class JobRun(SQLModel, table=True):
    """One run of a recurring job for one period: the unique key makes it happen once."""

    job: str = Field(primary_key=True)
    period: str = Field(primary_key=True)  # e.g. "2026-W49", "2026-12-01", "2026-12-01T10:05"
    status: str = "running"  # running | done | failed | skipped
    owner: str = ""  # which process holds the lease
    lease_until: datetime | None = _time(nullable=True)
    attempts: int = 1
    started_at: datetime = _time()
    finished_at: datetime | None = _time(nullable=True)
    detail: str = ""


class DelayedTask(SQLModel, table=True):
    """Work to do later ("expire this ask in 48 working hours"); survives restarts."""

    __table_args__ = (AUTOINCREMENT,)
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    key: str = Field(unique=True)  # the same work scheduled twice is one task
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    due_at: datetime = _time(index=True)
    status: str = Field(default="pending", index=True)  # pending | running | done | cancelled | failed
    owner: str = ""
    lease_until: datetime | None = _time(nullable=True)
    attempts: int = 0
    created_at: datetime = _time()
    done_at: datetime | None = _time(nullable=True)
