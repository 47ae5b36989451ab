"""The outbox: messages written with the action that said them, delivered after its commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from skills_db.storage.database import Database, insert_ignoring_duplicates, insert_returning
from skills_db.storage.models import Need, OutboxMessage, OutboxStatus, SentMessage

# How long a delivery may take before a sweep may take the message over: a send waits at most
# about a minute (rate limits, a Matrix room to sync), so this is a crash, not a slow send.
DELIVERY_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Pending:
    """An outbox row to deliver."""

    id: int
    key: str
    platform: str
    account: str
    reply: dict[str, Any]
    attempts: int


class OutboxQueries(Database):
    def enqueue(
        self,
        key: str,
        platform: str,
        account: str,
        reply: dict[str, Any],
        about: tuple[str, int] | None,
        at: datetime,
        lease: timedelta = DELIVERY_LEASE,
    ) -> Pending | None:
        """Add a message to deliver, held by its writer for ``lease`` (it delivers it right after
        the commit); None when one with this key is already there (a re-run)."""
        row = {
            "key": key,
            "platform": platform,
            "account": account,
            "reply": reply,
            "about_kind": about[0] if about else None,
            "about_id": about[1] if about else None,
            "status": OutboxStatus.PENDING,
            "attempts": 1,
            "lease_until": at + lease,
            "created_at": at,
        }
        with self.session() as session:
            found = insert_returning(session, OutboxMessage, row, col(OutboxMessage.id))
        return None if found is None else Pending(int(found), key, platform, account, reply, 1)

    def take(self, message: Pending, now: datetime, lease: timedelta = DELIVERY_LEASE) -> bool:
        """Claim a pending message whose lease ran out, for one more attempt; False if another
        process has it (a conditional update: two sweeps never send the same message)."""
        with self.session() as session:
            result = session.execute(
                sa.update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message.id,
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                    col(OutboxMessage.attempts) == message.attempts,
                    col(OutboxMessage.lease_until) < now,
                )
                .values(attempts=message.attempts + 1, lease_until=now + lease)
            )
            return bool(getattr(result, "rowcount", 0))

    def unclaimed(self, now: datetime, limit: int = 500) -> list[Pending]:
        """Pending messages nobody holds: their writer crashed, or a failed attempt's retry is due."""
        query = select(OutboxMessage).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING, col(OutboxMessage.lease_until) < now
        )
        with self.session() as session:
            return [
                Pending(m.id or 0, m.key, m.platform, m.account, dict(m.reply), m.attempts)
                for m in session.exec(query.order_by(col(OutboxMessage.id)).limit(limit))
            ]

    def delivered(
        self, message: Pending, conversation: str | None, message_id: str | None, at: datetime
    ) -> None:
        """Record a delivery and, when the message is about something, where it landed."""
        with self.session() as session:
            session.execute(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == message.id)
                .values(status=OutboxStatus.SENT, sent_at=at, message_id=message_id)
            )
            about = message.reply.get("about")
            if message_id is None or conversation is None or not about:
                return
            row = {
                "platform": message.platform,
                "account": message.account,
                "conversation": conversation,
                "message_id": message_id,
                "about_kind": about["kind"],
                "about_id": about["id"],
                "outbox_id": message.id,
                "created_at": at,
            }
            insert_ignoring_duplicates(session, SentMessage, row)
            if about["kind"] == "need":
                # A need typed as a command has no message of its own: this answer is its thread.
                session.execute(
                    sa.update(Need)
                    .where(col(Need.id) == about["id"], col(Need.thread).is_(None))
                    .values(thread=message_id)
                )

    def release_deliveries(self, now: datetime) -> int:
        """End the delivery leases of pending messages at ``now`` (see ``release_leases``)."""
        with self.session() as session:
            result = session.execute(
                sa.update(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == OutboxStatus.PENDING, col(OutboxMessage.lease_until) >= now
                )
                .values(lease_until=now - timedelta(microseconds=1))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def undeliverable(self, outbox_id: int, error: str, *, final: bool, retry_at: datetime) -> None:
        """An attempt failed: retried from ``retry_at`` by a sweep, or given up for good."""
        with self.session() as session:
            values: dict[str, Any] = {"error": error[:500], "lease_until": retry_at}
            if final:
                values["status"] = OutboxStatus.FAILED
            update = sa.update(OutboxMessage).where(col(OutboxMessage.id) == outbox_id)
            session.execute(update.values(**values))

    def sent_about(
        self, platform: str, account: str, conversation: str, message_id: str
    ) -> tuple[str, int] | None:
        """What a message the bot posted was about, if it was about something."""
        with self.session() as session:
            row = session.get(SentMessage, (platform, account, conversation, message_id))
            return None if row is None else (row.about_kind, row.about_id)

    def prune_outbox(self, before: datetime) -> int:
        with self.session() as session:
            result = session.execute(
                sa.delete(OutboxMessage).where(
                    col(OutboxMessage.status) != OutboxStatus.PENDING, col(OutboxMessage.created_at) < before
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)
