"""Retention: what people wrote is blanked after a while, what was learned of skills stays.

:meth:`RetentionQueries.purge_texts` empties the stored texts older than a cutoff — needs,
offers, thanks, help threads and replies, the bodies of the bot's messages in the outbox, the
past questions quoted in the reasons of requests, the arguments of admin commands in the audit
log — in the columns themselves (an UPDATE, not a flag), so they are gone from the database,
not only hidden. Skills, who helped whom and the counts are other columns and other rows
(``Need.skills``, ``HelpThread.skills``, ``SkillClaim``, ``Thanks``), left as they are.

Each table is purged in batches, each batch one short transaction: the first run on a large
history must not hold locks for minutes. Every batch only takes rows that still have a text, so
a run cut short by a crash is finished by the next one, and a run that finds nothing writes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from skills_db.storage.database import Database
from skills_db.storage.feed import ChangeKind, record_change
from skills_db.storage.models import (
    Ask,
    AuditEntry,
    HelpReply,
    HelpThread,
    Need,
    Offer,
    OutboxMessage,
    OutboxStatus,
    Thanks,
)

BATCH = 1000  # rows per transaction
PURGED_ERROR = "text removed after the retention period, never delivered"
# Reason values that quote what someone wrote (a past question, "such as …").
QUOTING = ("example",)


@dataclass(frozen=True)
class PurgeReport:
    """How many rows had their text blanked, per kind (what the job logs: counts, never texts)."""

    needs: int = 0
    offers: int = 0
    thanks: int = 0
    threads: int = 0
    replies: int = 0
    messages: int = 0
    asks: int = 0
    audit: int = 0

    @property
    def total(self) -> int:
        return sum(vars(self).values())


def blanked_message(reply: Mapping[str, Any], status: str, why: str) -> dict[str, Any]:
    """The columns of a kept message once blanked: only what it was about stays, and one not
    delivered yet is given up (``why`` says so). Shared by the retention purge and ``forget-me``."""
    values: dict[str, Any] = {"reply": {"purged": True, "about": reply.get("about")}}
    if status == OutboxStatus.PENDING:
        values.update(status=OutboxStatus.FAILED, error=why, lease_until=None)
    return values


def _json_text(column: Any) -> Any:
    """A JSON column as its text, to skip in SQL the rows with nothing to purge (each row found
    is still checked as data: the text is only a filter)."""
    return sa.cast(column, sa.Text)


class RetentionQueries(Database):
    def purge_texts(
        self, before: datetime, recognise: Callable[[str], list[str]], *, now: datetime
    ) -> PurgeReport:
        """Blank every text written before ``before`` (``now``: the clock, for the change feed);
        ``recognise`` finds the skills of a help
        thread whose skills were not kept yet (recorded before they were), so that what its
        text said of demand survives it. Commits batch by batch; call it outside a unit of work.
        """
        if self.in_unit_of_work:
            raise RuntimeError("purge_texts commits batch by batch; call it outside a unit of work")
        return PurgeReport(
            needs=self._blank(Need, col(Need.created_at) < before),
            offers=self._blank(Offer, col(Offer.created_at) < before),
            thanks=self._blank(Thanks, col(Thanks.created_at) < before),
            threads=self._purge_threads(before, recognise, now),
            replies=self._purge_replies(before, now),
            messages=self._purge_outbox(before),
            asks=self._purge_reasons(before),
            audit=self._purge_audit_details(before),
        )

    def prune_audit(self, before: datetime) -> int:
        """Delete the audit entries older than ``before``."""
        with self.session() as session:
            result = session.execute(sa.delete(AuditEntry).where(col(AuditEntry.at) < before))
            return int(getattr(result, "rowcount", 0) or 0)

    # -- one table each ------------------------------------------------------------------------

    def _blank(self, table: Any, older: sa.ColumnElement[bool]) -> int:
        """Empty ``table.text`` where ``older``, a batch at a time."""
        done = 0
        while True:
            with self.session() as session:
                ids = list(
                    session.exec(
                        select(table.id).where(older, col(table.text) != "").order_by(table.id).limit(BATCH)
                    )
                )
                if not ids:
                    return done
                session.execute(sa.update(table).where(col(table.id).in_(ids)).values(text=""))
            done += len(ids)

    def _purge_threads(self, before: datetime, recognise: Callable[[str], list[str]], now: datetime) -> int:
        done = 0
        while True:
            with self.session() as session:
                rows = session.exec(
                    select(HelpThread.id, HelpThread.text, HelpThread.skills)
                    .where(col(HelpThread.created_at) < before, col(HelpThread.text) != "")
                    .order_by(col(HelpThread.id))
                    .limit(BATCH)
                ).all()
                if not rows:
                    return done
                for number, text, skills in rows:
                    values: dict[str, Any] = {"text": ""}
                    if skills is None:
                        values["skills"] = recognise(text)
                    session.execute(
                        sa.update(HelpThread).where(col(HelpThread.id) == number).values(**values)
                    )
                    # Every instance's text index drops what it knew of the thread's words.
                    record_change(session, ChangeKind.THREAD_CHANGED, thread_id=number, at=now)
            done += len(rows)

    def _purge_replies(self, before: datetime, now: datetime) -> int:
        done = 0
        while True:
            with self.session() as session:
                rows = session.exec(
                    select(HelpReply.id, HelpReply.thread_id)
                    .where(col(HelpReply.created_at) < before, col(HelpReply.text) != "")
                    .order_by(col(HelpReply.id))
                    .limit(BATCH)
                ).all()
                if not rows:
                    return done
                ids = [number for number, _ in rows]
                session.execute(sa.update(HelpReply).where(col(HelpReply.id).in_(ids)).values(text=""))
                for thread in sorted({thread for _, thread in rows}):
                    record_change(session, ChangeKind.THREAD_CHANGED, thread_id=thread, at=now)
            done += len(rows)

    def _purge_outbox(self, before: datetime) -> int:
        """Keep of old messages only what they were about; one never delivered is given up."""
        done, after = 0, 0
        while True:
            with self.session() as session:
                rows = session.exec(
                    select(OutboxMessage.id, OutboxMessage.reply, OutboxMessage.status)
                    .where(
                        col(OutboxMessage.created_at) < before,
                        col(OutboxMessage.id) > after,
                        sa.not_(_json_text(col(OutboxMessage.reply)).like('{"purged"%')),
                    )
                    .order_by(col(OutboxMessage.id))
                    .limit(BATCH)
                ).all()
                if not rows:
                    return done
                for number, reply, status in rows:
                    assert number is not None
                    after = number
                    if reply.get("purged"):
                        continue
                    values = blanked_message(reply, status, PURGED_ERROR)
                    session.execute(
                        sa.update(OutboxMessage).where(col(OutboxMessage.id) == number).values(**values)
                    )
                    done += 1

    def _purge_reasons(self, before: datetime) -> int:
        """Drop the quotes of past questions from the reasons of old requests (the counts and
        skills they give stay)."""
        done, after = 0, 0
        while True:
            with self.session() as session:
                rows = session.exec(
                    select(Ask.id, Ask.reasons)
                    .where(
                        col(Ask.asked_at) < before,
                        col(Ask.id) > after,
                        sa.or_(*(_json_text(col(Ask.reasons)).like(f'%"{key}"%') for key in QUOTING)),
                    )
                    .order_by(col(Ask.id))
                    .limit(BATCH)
                ).all()
                if not rows:
                    return done
                for number, reasons in rows:
                    assert number is not None
                    after = number
                    if not any(key in reason for reason in reasons for key in QUOTING):
                        continue
                    kept = [{k: v for k, v in reason.items() if k not in QUOTING} for reason in reasons]
                    session.execute(sa.update(Ask).where(col(Ask.id) == number).values(reasons=kept))
                    done += 1

    def _purge_audit_details(self, before: datetime) -> int:
        """The arguments of admin commands (what was typed) leave old audit entries; who did
        which command, and when, stays until ``audit_days``."""
        done, after = 0, 0
        while True:
            with self.session() as session:
                rows = session.exec(
                    select(AuditEntry.id, AuditEntry.details)
                    .where(
                        col(AuditEntry.at) < before,
                        col(AuditEntry.id) > after,
                        _json_text(col(AuditEntry.details)).like('%"arguments"%'),
                    )
                    .order_by(col(AuditEntry.id))
                    .limit(BATCH)
                ).all()
                if not rows:
                    return done
                for number, details in rows:
                    assert number is not None
                    after = number
                    if not details or "arguments" not in details:
                        continue
                    kept = {k: v for k, v in details.items() if k != "arguments"}
                    session.execute(
                        sa.update(AuditEntry).where(col(AuditEntry.id) == number).values(details=kept)
                    )
                    done += 1
