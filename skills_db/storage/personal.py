"""A person's own data: everything stored about them, as JSON, and its erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col, delete, select

from skills_db.storage.database import Database
from skills_db.storage.erasure import forget_messages, record_erased
from skills_db.storage.feed import (
    ChangeKind,
    record_change,
)
from skills_db.storage.models import (
    Ask,
    AuditEntry,
    Endorsement,
    HelpReply,
    HelpThread,
    Identity,
    LearningGoal,
    Need,
    Offer,
    Person,
    SentMessage,
    Setting,
    Shoutout,
    ShoutoutPick,
    Skill,
    SkillClaim,
    Thanks,
    utcnow,
)

# The sections of an export after "person", in their order: (key, table, the column naming the
# person). docs/export.md documents them; tests/test_export.py holds the two together.
EXPORT_SECTIONS: tuple[tuple[str, type[Any], str], ...] = (
    ("identities", Identity, "person_id"),
    ("skill_claims", SkillClaim, "person_id"),
    ("learning_goals", LearningGoal, "person_id"),
    ("needs", Need, "person_id"),
    ("offers", Offer, "person_id"),
    ("asks_received", Ask, "person_id"),
    ("thanks_received", Thanks, "to_person_id"),
    ("thanks_given", Thanks, "from_person_id"),
    ("endorsements_received", Endorsement, "endorsee_id"),
    ("endorsements_given", Endorsement, "endorser_id"),
    ("help_replies", HelpReply, "person_id"),
    ("help_threads_asked", HelpThread, "asker_id"),
    ("shoutout_weeks", ShoutoutPick, "person_id"),
    ("audit_entries", AuditEntry, "actor_person_id"),
)


class PersonalDataQueries(Database):
    # -- the person's own data ----------------------------------------------------------------

    def export_person(self, person_id: int) -> dict[str, Any]:
        """Everything stored about one person, as JSON-ready data, in a fixed order.

        The layout is documented in docs/export.md: "person", then one list per section of
        :data:`EXPORT_SECTIONS` in that order; rows by id (oldest first); a row's keys in its
        table's column order, ``skill_id`` given as the skill's name under ``skill``. The same
        data always exports to the same JSON, byte for byte.
        """
        with self.session() as session:
            person = session.get(Person, person_id)
            if person is None:
                raise KeyError(person_id)
            skill_names = dict(session.exec(select(Skill.id, Skill.name)).all())
            data: dict[str, Any] = {"person": _row(person, skill_names)}
            for key, table, about in EXPORT_SECTIONS:
                query = select(table).where(col(getattr(table, about)) == person_id)
                rows = session.exec(query.order_by(col(table.id))).all()
                data[key] = [_row(r, skill_names) for r in rows]
            # Thanks for an anonymous need came from "a colleague": the helper's export does not
            # name its asker either (the asker's own export keeps them, as thanks given).
            anonymous = set(session.exec(select(Need.id).where(col(Need.anonymous))))
            for item in data["thanks_received"]:
                if item.get("need_id") in anonymous:
                    item["from_person_id"] = None
            return data

    def asks_received(self, person_id: int) -> list[Ask]:
        """Every request for help made to this person, the latest first (`why`)."""
        with self.session() as session:
            query = select(Ask).where(Ask.person_id == person_id).order_by(col(Ask.id).desc())
            return list(session.exec(query).all())

    def forget_person(self, person_id: int, salt: str, *, at: datetime | None = None) -> None:
        """Erase a person and everything about them, in one transaction.

        The change feed tells every instance's indexes: the person is gone, the threads they
        asked are deleted, and those they answered or solved have changed. Their identities are
        kept as salted hashes only (:mod:`skills_db.storage.erasure`), so that neither an old
        event nor an import of history brings them back.
        """
        with self.session() as session:
            identities = session.exec(
                select(Identity.platform, Identity.handle).where(Identity.person_id == person_id)
            ).all()
            record_erased(session, salt, [(p, h) for p, h in identities], at or utcnow())
            forget_messages(session, [(p, h) for p, h in identities])
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
            for kind, ids in (("need", needs), ("ask", asks), ("introduction", asks), ("helper-offer", asks)):
                if ids:
                    session.execute(
                        delete(SentMessage).where(
                            col(SentMessage.about_kind) == kind, col(SentMessage.about_id).in_(ids)
                        )
                    )
            for statement in (
                delete(Ask).where(sa.or_(col(Ask.person_id) == person_id, col(Ask.need_id).in_(own_needs))),
                delete(Thanks).where(col(Thanks.to_person_id) == person_id),
                # Help they were given stays the helper's, from "a former colleague": who gave
                # it, its words and the erased need it was for go; its skills and time stay.
                sa.update(Thanks)
                .where(sa.or_(col(Thanks.from_person_id) == person_id, col(Thanks.need_id).in_(own_needs)))
                .values(from_person_id=None, need_id=None, text=""),
                delete(SkillClaim).where(col(SkillClaim.person_id) == person_id),
                delete(ShoutoutPick).where(col(ShoutoutPick.person_id) == person_id),
                sa.update(Shoutout).where(col(Shoutout.by_person_id) == person_id).values(by_person_id=None),
                sa.update(Setting).where(col(Setting.updated_by_id) == person_id).values(updated_by_id=None),
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


def _row(row: SQLModel, skill_names: dict[int | None, str]) -> dict[str, Any]:
    """One exported row: its columns in order, times in ISO 8601, a skill by its name."""
    exported: dict[str, Any] = {}
    # The model's declared field order: model_dump() follows the order SQLAlchemy happened to
    # load the attributes in, which differs between rows just created and rows read back.
    for key in type(row).model_fields:
        value = getattr(row, key)
        if key == "skill_id":
            exported["skill"] = skill_names.get(value)
        else:
            exported[key] = value.isoformat() if isinstance(value, datetime) else value
    return exported
