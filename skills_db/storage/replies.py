"""Replies in a need's thread, recorded as they arrive: evidence of who helps with what.

A reply live (a Slack thread reply, a Matrix ``m.thread`` reply) or in a ``match --batch``
stream is what an imported reply is (skills_db.importers.history): a HelpReply on the need's
HelpThread, and claims (IMPORTED, the same weights) on the thread's skills. The thread is found
or created by its unique (source, external_id); two instances racing to create it both end on
the one row (ON CONFLICT DO NOTHING, then read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from skills_db.storage.database import Database, insert_returning
from skills_db.storage.evidence import add_claim_in, ensure_skill_in
from skills_db.storage.feed import ChangeKind, record_change
from skills_db.storage.models import ClaimSource, HelpReply, HelpThread, Need

# As for imported history (skills_db.importers.history): one reply is one piece of help on the
# thread's skills, the reply that solved it counts double. Kept equal so that a community
# imported and one learned live rank alike.
REPLY_WEIGHT = 1.0
SOLVING_REPLY_WEIGHT = 2.0
MAX_REPLY_TEXT = 2000


@dataclass(frozen=True)
class ReplyThread:
    """The thread a reply belongs to: a live need ("live", "need:<id>") or a batch need
    ("batch", its id in the stream)."""

    source: str
    external_id: str
    text: str  # the question
    asker_id: int | None
    channel: str
    created_at: datetime
    public: bool
    skills: list[str]


def live_thread_key(need_id: int) -> tuple[str, str]:
    """(source, external_id) of a live need's HelpThread."""
    return "live", f"need:{need_id}"


def live_thread(need: Need) -> ReplyThread:
    """The help thread a live need's replies are kept on (the one solve_need closes)."""
    assert need.id is not None
    source, external_id = live_thread_key(need.id)
    return ReplyThread(
        source=source,
        external_id=external_id,
        text=need.text,
        asker_id=need.person_id,
        channel=need.conversation,
        created_at=need.created_at,
        public=need.public,
        skills=list(need.skills),
    )


def find_or_create_thread(session: Session, thread: ReplyThread) -> tuple[HelpThread, bool]:
    """The HelpThread of ``thread`` and whether it existed before this call."""
    found = _find(session, thread.source, thread.external_id)
    if found is not None:
        return found, True
    row = {
        "source": thread.source,
        "external_id": thread.external_id,
        "channel": thread.channel,
        "asker_id": thread.asker_id,
        "text": thread.text,
        "created_at": thread.created_at,
        "public": thread.public,
        "skills": list(thread.skills),
    }
    created = insert_returning(session, HelpThread, row, col(HelpThread.id))
    if created is None:  # another instance created it between our read and our insert
        existing = _find(session, thread.source, thread.external_id)
        assert existing is not None
        return existing, True
    made = session.get(HelpThread, created)
    assert made is not None
    return made, False


def _find(session: Session, source: str, external_id: str) -> HelpThread | None:
    return session.exec(
        select(HelpThread).where(HelpThread.source == source, HelpThread.external_id == external_id)
    ).first()


class ReplyQueries(Database):
    def record_reply(
        self, thread: ReplyThread, person_id: int, text: str, at: datetime, *, solved: bool = False
    ) -> int:
        """Record ``person_id``'s reply in ``thread``; its id, or 0 when nothing was recorded
        (the asker answering their own question is not help given)."""
        if thread.asker_id is not None and person_id == thread.asker_id:
            return 0
        with self.session() as session:
            row, existed = find_or_create_thread(session, thread)
            assert row.id is not None
            # Several replies in one thread are one piece of help: only the first is credited
            # (with the solving weight if it solved it), so that "you answered N questions"
            # counts questions, not messages.
            replied_before = existed and (
                session.exec(
                    select(HelpReply.id).where(
                        HelpReply.thread_id == row.id, HelpReply.person_id == person_id
                    )
                ).first()
                is not None
            )
            reply = HelpReply(
                thread_id=row.id,
                person_id=person_id,
                text=text[:MAX_REPLY_TEXT],
                created_at=at,
                solved=solved,
            )
            session.add(reply)
            if solved:
                row.solved_by_id = person_id
                session.add(row)
            session.flush()
            assert reply.id is not None
            if existed:  # a new thread is read by id with its first reply; a known one is re-read
                record_change(session, ChangeKind.THREAD_CHANGED, thread_id=row.id)
            if not replied_before:
                weight = SOLVING_REPLY_WEIGHT if solved else REPLY_WEIGHT
                for name in row.skills if row.skills is not None else thread.skills:
                    add_claim_in(
                        session,
                        person_id,
                        ensure_skill_in(session, name),
                        ClaimSource.IMPORTED,
                        weight=weight,
                        ref=f"reply:{reply.id}",
                        at=at,
                    )
            session.flush()
            return reply.id
