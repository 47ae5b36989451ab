"""Import read history (skills_db.importers.read) into the skills database.

One import is one transaction: a broken file raises before anything is written, and a failure
while writing rolls everything back. Threads are keyed by (source, thread id), so importing the
same export twice changes nothing. A thread its asker marked solved by someone else is help
given, as a live need solved is: one thanks (kind IMPORTED) from the asker to the solver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from skills_db.importers.model import HistoryArchive, HistoryUser
from skills_db.storage.curation import LEARNED_CATEGORY
from skills_db.storage.database import insert_ignoring_duplicates
from skills_db.storage.evidence import ensure_skill_in
from skills_db.storage.feed import ChangeKind, record_change
from skills_db.storage.models import (
    ClaimSource,
    HelpReply,
    HelpThread,
    Identity,
    Person,
    SkillClaim,
    Thanks,
    ThanksKind,
)
from skills_db.storage.store import Store
from skills_db.vocabulary.taxonomy import Skill as TaxonomySkill
from skills_db.vocabulary.taxonomy import Taxonomy
from skills_db.vocabulary.terms import recurring_phrases

# How much one reply counts as evidence for the skills of the thread it answered.
REPLY_WEIGHT = 1.0
SOLVING_REPLY_WEIGHT = 2.0
MAX_REPLY_TEXT = 2000

Recognise = Callable[[str], list[str]]


@dataclass(frozen=True)
class ImportReport:
    people: int  # people created
    threads: int  # threads imported now
    skipped_threads: int  # already imported before
    replies: int
    solved_threads: int
    claims: int
    thanks: int = 0  # solved threads credited as help from their asker to their solver
    # Handles of people who asked to be forgotten, met and skipped (never shown: only counted).
    erased_handles: frozenset[str] = frozenset()

    @property
    def erased(self) -> int:
        """People skipped because they asked to be forgotten."""
        return len(self.erased_handles)


def learn_vocabulary(archive: HistoryArchive, known: Callable[[str], str | None]) -> list[str]:
    """The key phrases of the answered questions (see :func:`recurring_phrases`: this workspace's
    own, not common-word filler) that the vocabulary does not know yet."""
    texts = (thread.root.text for thread in archive.threads if thread.replies)
    return [phrase for phrase in recurring_phrases(texts) if known(phrase) is None]


def import_history(
    store: Store,
    archive: HistoryArchive,
    taxonomy: Taxonomy,
    platform: str = "slack",
    *,
    learn: bool = True,
    erasure_salt: str = "",
) -> tuple[ImportReport, list[str]]:
    """Import ``archive``, recognising skills with ``taxonomy`` plus the phrases it learns.

    Returns the report and the learned phrases (already saved: running instances reload their
    vocabulary from the database when they read the change feed).
    """
    learned = learn_vocabulary(archive, taxonomy.canonical) if learn else []
    extended = taxonomy.extended(TaxonomySkill(phrase, category="domain") for phrase in learned)

    def recognise(text: str) -> list[str]:
        return list(dict.fromkeys(mention.skill for mention in extended.recognise(text)))

    report = import_archive(store, archive, recognise, platform, learned, erasure_salt=erasure_salt)
    return report, learned


def import_archive(
    store: Store,
    archive: HistoryArchive,
    recognise: Recognise,
    platform: str = "slack",
    learned: Sequence[str] = (),
    *,
    declare: bool = True,
    erasure_salt: str = "",
) -> ImportReport:
    """Import ``archive``; ``learned`` phrases (see learn_vocabulary) join the vocabulary.

    ``declare``: the users' profile titles count as declared skills (an import in batches does
    it with its first batch only). People who asked to be forgotten (``erasure_salt``: the
    configured ``[privacy] erasure_salt``, "" for the database's) are skipped, with the threads
    they asked, as `forget-me` erased them: no person, reply, claim or thanks of theirs.
    """
    handles = set(archive.users) | {
        message.author for thread in archive.threads for message in (thread.root, *thread.replies)
    }
    erased = store.erased_handles(erasure_salt, platform, handles)
    with store.session() as session:
        for phrase in learned:
            ensure_skill_in(session, phrase, LEARNED_CATEGORY)
        if learned:  # every running instance reloads its vocabulary once this commits
            record_change(session, ChangeKind.VOCABULARY_CHANGED)
        people = _People(session, platform, archive.users, erased)
        known = set(
            session.exec(
                select(HelpThread.external_id).where(col(HelpThread.source) == _source(archive))
            ).all()
        )
        created_threads = skipped = replies = solved = claims = thanks = 0
        skill_ids: dict[str, int] = {}  # each skill looked up (or created) once per import

        def skill_id(name: str) -> int:
            found = skill_ids.get(name)
            if found is None:
                found = skill_ids[name] = ensure_skill_in(session, name).id or 0
            return found

        for user in archive.users.values() if declare else ():
            if not user.is_bot and not user.deleted and user.title:
                claims += people.declare(user, recognise(user.title))
        for thread in archive.threads:
            if thread.thread_id in known:
                skipped += 1
                continue
            known.add(thread.thread_id)
            if people.is_erased(thread.root.author):
                continue  # their question, and the replies to it, were erased with them
            asker = people.get(thread.root.author)
            solver = None
            by_ts = {r.ts: r for r in thread.replies}
            if thread.solved_by and thread.solved_by in by_ts:
                solver = people.get(by_ts[thread.solved_by].author)
            skills = recognise(thread.root.text)
            row = HelpThread(
                source=thread.source,
                external_id=thread.thread_id,
                channel=thread.channel,
                asker_id=asker,
                text=thread.root.text,
                created_at=thread.root.posted_at,
                solved_by_id=solver,
                skills=skills,
                public=thread.public,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            created_threads += 1
            solved += solver is not None
            credited: set[int] = set()
            for reply in thread.replies:
                person = people.get(reply.author)
                if person is None or person == asker:
                    continue
                is_solution = reply.ts == thread.solved_by
                session.add(
                    HelpReply(
                        thread_id=row.id,
                        person_id=person,
                        text=reply.text[:MAX_REPLY_TEXT],
                        created_at=reply.posted_at,
                        solved=is_solution,
                    )
                )
                replies += 1
                if person in credited and not is_solution:
                    continue  # several replies in one thread are one piece of help
                credited.add(person)
                for skill in skills:
                    session.add(
                        SkillClaim(
                            person_id=person,
                            skill_id=skill_id(skill),
                            source=ClaimSource.IMPORTED,
                            weight=SOLVING_REPLY_WEIGHT if is_solution else REPLY_WEIGHT,
                            ref=f"thread:{row.id}",
                            created_at=reply.posted_at,
                        )
                    )
                    claims += 1
            if asker is not None and solver is not None and solver != asker and thread.solved_by:
                at = by_ts[thread.solved_by].posted_at
                thanks += _thank_solver(session, row.id, asker, solver, at, skills, thread.public)
        session.flush()
        return ImportReport(
            people.created,
            created_threads,
            skipped,
            replies,
            solved,
            claims,
            thanks,
            frozenset(people.skipped),
        )


def _thank_solver(
    session: Session,
    thread_id: int,
    asker: int,
    solver: int,
    at: datetime,
    skills: list[str],
    public: bool,
) -> bool:
    """The asker's thanks to who solved their thread, at the solving reply's time, about the
    skills the thread's claims were for. Its ref is unique: a second guard, after the skipping
    of threads imported before, against counting a thread twice."""
    row = Thanks(
        from_person_id=asker,
        to_person_id=solver,
        created_at=at,
        kind=ThanksKind.IMPORTED,
        skills=skills,
        public=public,  # as its thread: a private channel's help is not named in public
        ref=f"import:{thread_id}",
    )
    return insert_ignoring_duplicates(session, Thanks, row.model_dump(exclude={"id"}))


def _source(archive: HistoryArchive) -> str:
    return archive.threads[0].source if archive.threads else ""


class _People:
    """Platform handle → person id, creating people on first sight, within the import session."""

    def __init__(
        self, session: Session, platform: str, users: Mapping[str, HistoryUser], erased: set[str]
    ) -> None:
        self.session = session
        self.platform = platform
        self.users = users
        self.ids: dict[str, int | None] = {}
        self.created = 0
        self.erased = erased
        self.skipped: set[str] = set()
        for identity in session.exec(select(Identity).where(Identity.platform == platform)):
            self.ids[identity.handle] = identity.person_id

    def is_erased(self, handle: str) -> bool:
        """Whether ``handle`` asked to be forgotten (and has not come back since)."""
        if handle in self.ids or handle not in self.erased:
            return False
        self.skipped.add(handle)
        return True

    def get(self, handle: str) -> int | None:
        if handle in self.ids:
            return self.ids[handle]
        if self.is_erased(handle):
            return None
        user = self.users.get(handle)
        if user is not None and user.is_bot:
            self.ids[handle] = None
            return None
        name = (user.name if user else "") or handle
        person = Person(
            name=name,
            timezone=user.tz if user else None,
            title=user.title if user else "",
            deleted=bool(user and user.deleted),
            created_at=datetime.now(UTC),
        )
        self.session.add(person)
        self.session.flush()
        assert person.id is not None
        self.session.add(Identity(person_id=person.id, platform=self.platform, handle=handle, display=name))
        self.ids[handle] = person.id
        self.created += 1
        return person.id

    def declare(self, user: HistoryUser, skills: list[str]) -> int:
        """profile.title is a self-description: its skills count as declared, once."""
        person = self.get(user.handle)
        if person is None:
            return 0
        count = 0
        for skill in skills:
            skill_row = ensure_skill_in(self.session, skill)
            exists = self.session.exec(
                select(SkillClaim.id).where(
                    SkillClaim.person_id == person,
                    SkillClaim.skill_id == skill_row.id,
                    SkillClaim.source == ClaimSource.DECLARED,
                )
            ).first()
            if exists is None:
                self.session.add(
                    SkillClaim(
                        person_id=person,
                        skill_id=skill_row.id or 0,
                        source=ClaimSource.DECLARED,
                        ref="profile",
                        created_at=datetime.now(UTC),
                    )
                )
                count += 1
        return count
