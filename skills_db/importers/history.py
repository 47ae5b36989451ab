"""Import read history (skills_db.importers.read) into the skills database.

One import is one transaction: a broken file raises before anything is written, and a failure
while writing rolls everything back. Threads are keyed by (source, thread id), so importing the
same export twice changes nothing. A thread its asker marked solved by someone else is help
given, as a live need solved is: one thanks (kind IMPORTED) from the asker to the solver.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from skills_db.importers.bulk import (
    Conversions,
    SkillIds,
    existing_pairs,
    insert_ignoring_duplicates_many,
    insert_returning_ids,
    insert_rows,
    insert_values,
)
from skills_db.importers.collector import collector_paused
from skills_db.importers.model import HistoryArchive, HistoryThread, HistoryUser
from skills_db.importers.recognition import Recognition, new_phrases
from skills_db.storage.curation import LEARNED_CATEGORY
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
from skills_db.vocabulary.taxonomy import Taxonomy

# How much one reply counts as evidence for the skills of the thread it answered.
REPLY_WEIGHT = 1.0
SOLVING_REPLY_WEIGHT = 2.0
MAX_REPLY_TEXT = 2000

# The columns of the replies and claims written, as value rows (see bulk.insert_values).
REPLY_COLUMNS = ("thread_id", "person_id", "text", "created_at", "solved")
CLAIM_COLUMNS = ("person_id", "skill_id", "source", "weight", "ref", "created_at")
IMPORTED = ClaimSource.IMPORTED.value

BATCH_THREADS = 2000  # threads written per round of statements (and per progress report)

Recognise = Callable[[str], list[str]]
Progress = Callable[[int, int], None]  # (messages written, messages in the archive)


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
    """The key phrases of the answered questions (see :func:`new_phrases`: this workspace's own,
    not common-word filler) that the vocabulary does not know yet."""
    return new_phrases(answered_questions(archive), known)


def answered_questions(archive: HistoryArchive, erased: Container[str] = frozenset()) -> list[str]:
    """The questions of ``archive`` that got replies, but those asked by the ``erased``
    handles: what its phrases are learned from."""
    return [
        thread.root.text for thread in archive.threads if thread.replies and thread.root.author not in erased
    ]


def import_history(
    store: Store,
    archive: HistoryArchive,
    taxonomy: Taxonomy,
    platform: str = "slack",
    *,
    learn: bool = True,
    erasure_salt: str = "",
    progress: Progress | None = None,
    parallel: bool | None = None,
) -> tuple[ImportReport, list[str]]:
    """Import ``archive``, recognising skills with ``taxonomy`` plus the phrases it learns.

    Returns the report and the learned phrases (already saved: running instances reload their
    vocabulary from the database when they read the change feed). ``parallel``: whether the
    phrases are learned and the questions' skills recognised in a second process (see
    skills_db.importers.recognition; None: when it pays).
    """
    texts, learn_from = import_texts(store, archive, platform, erasure_salt=erasure_salt)
    learning = learn_from if learn else None
    with Recognition(taxonomy, texts, learn_from=learning, parallel=parallel) as recognise:
        report = import_archive(
            store,
            archive,
            recognise,
            platform,
            recognise.learned,
            erasure_salt=erasure_salt,
            progress=progress,
        )
    return report, recognise.learned()


def questions_to_write(
    store: Store, archive: HistoryArchive, platform: str, *, erasure_salt: str
) -> list[str]:
    """The questions of the threads an import of ``archive`` would write now, to recognise
    ahead: not those imported before (a re-import recognises nothing again), nor those of
    people who asked to be forgotten (their text never reaches the recognition process)."""
    erased = store.erased_handles(erasure_salt, platform, {thread.root.author for thread in archive.threads})
    return _questions_to_write(store, archive, erased)


def _questions_to_write(store: Store, archive: HistoryArchive, erased: Container[str]) -> list[str]:
    with store.session() as session:
        known = _imported(session, archive)
    return [
        thread.root.text
        for thread in archive.threads
        if thread.thread_id not in known and thread.root.author not in erased
    ]


def import_texts(
    store: Store, archive: HistoryArchive, platform: str, *, erasure_salt: str
) -> tuple[list[str], list[str]]:
    """What an import of ``archive`` recognises skills in, in the order it writes them: the
    questions to write (:func:`questions_to_write`), then the profile titles it declares (after
    the threads: see import_archive); and the answered questions it learns phrases from. None
    holds the words of people who asked to be forgotten: their words shape no vocabulary, and
    never reach the recognition process (who they are is looked up once, for all three)."""
    users = [user for user in archive.users.values() if _declares(user)]
    handles = {thread.root.author for thread in archive.threads} | {user.handle for user in users}
    erased = store.erased_handles(erasure_salt, platform, handles)
    titles = [user.title for user in users if user.handle not in erased]
    return [*_questions_to_write(store, archive, erased), *titles], answered_questions(archive, erased)


def _declares(user: HistoryUser) -> bool:
    """Whether ``user``'s profile title counts as declared skills."""
    return not user.is_bot and not user.deleted and bool(user.title)


def _imported(session: Session, archive: HistoryArchive) -> set[str]:
    """The ids of ``archive``'s threads already in the database."""
    query = select(HelpThread.external_id).where(col(HelpThread.source) == _source(archive))
    return set(session.exec(query).all())


def import_archive(
    store: Store,
    archive: HistoryArchive,
    recognise: Recognise,
    platform: str = "slack",
    learned: Sequence[str] | Callable[[], Sequence[str]] = (),
    *,
    declare: bool = True,
    erasure_salt: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``archive``; ``learned`` phrases (see learn_vocabulary) join the vocabulary (a
    function giving them: called once the people are written, as another process learns them).

    ``declare``: the users' profile titles count as declared skills (an import in batches does
    it with its first batch only). People who asked to be forgotten (``erasure_salt``: the
    configured ``[privacy] erasure_salt``, "" for the database's) are skipped, with the threads
    they asked, as `forget-me` erased them: no person, reply, claim or thanks of theirs.
    ``progress(done, total)``: called as messages are written (total: the archive's messages).

    Rows are written in bulk (see :mod:`skills_db.importers.bulk`), and each distinct text is
    recognised once: a large export's cost was one round trip per row.
    """
    handles = set(archive.users) | {
        message.author for thread in archive.threads for message in (thread.root, *thread.replies)
    }
    erased = store.erased_handles(erasure_salt, platform, handles)
    total = sum(1 + len(thread.replies) for thread in archive.threads)
    recognised: dict[str, list[str]] = {}

    def skills_of(text: str) -> list[str]:
        found = recognised.get(text)
        if found is None:
            found = recognised[text] = recognise(text)
        return found

    with collector_paused(), store.session() as session, _import_cache(session):
        people = _People(session, platform, archive.users, erased)
        known = _imported(session, archive)
        skipped = 0
        declaring = [user for user in (archive.users.values() if declare else ()) if _declares(user)]
        for user in declaring:
            people.want(user.handle)
        threads: list[HistoryThread] = []
        for thread in archive.threads:
            if thread.thread_id in known:
                skipped += 1
                continue
            known.add(thread.thread_id)
            if people.is_erased(thread.root.author):
                continue  # their question, and the replies to it, were erased with them
            threads.append(thread)
            for message in (thread.root, *thread.replies):
                people.want(message.author)
        people.create()
        # What needs no skill, planned while the other process learns the phrases.
        plans = [_plan(people, thread) for thread in threads]
        phrases = learned() if callable(learned) else learned
        skill_id = SkillIds(session)
        # In their own category, before any thread's skills would create one in the default
        # category; all in one statement (one by one, 300 phrases cost 0.8 s on PostgreSQL).
        skill_id.create(phrases, LEARNED_CATEGORY)
        if phrases:  # every running instance reloads its vocabulary once this commits
            record_change(session, ChangeKind.VOCABULARY_CHANGED)
        written = _Written()
        done = total - sum(1 + len(thread.replies) for thread in threads)
        for start in range(0, len(plans), BATCH_THREADS):
            batch = plans[start : start + BATCH_THREADS]
            _write_threads(session, batch, skills_of, skill_id, written)
            done += sum(1 + len(plan.thread.replies) for plan in batch)
            if progress is not None:
                progress(done, total)
        # The titles after the threads: a second process recognises them after the questions.
        declared = [(user, skills_of(user.title)) for user in declaring]
        written.claims += _declare(session, people, declared, skill_id)
        session.flush()
        return ImportReport(
            people.created,
            written.threads,
            skipped,
            written.replies,
            written.solved,
            written.claims,
            written.thanks,
            frozenset(people.skipped),
        )


# SQLite pages kept in memory by the importing connection (KiB, as PRAGMA cache_size takes a
# negative figure): its indexes (claims by person, by skill and time; replies by thread) are
# written in no order, and with the default 2 MB most writes read a page back from the file.
IMPORT_CACHE_KIB = 256 * 1024


@contextmanager
def _import_cache(session: Session) -> Iterator[None]:
    """A large page cache for the import's connection only, as it was after (durability is
    untouched: journal and synchronous settings stay the database's)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.execute(sa.text("PRAGMA cache_size")).scalar_one()
    session.execute(sa.text(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(sa.text(f"PRAGMA cache_size = {int(before)}"))


@dataclass
class _Written:
    """What an import wrote so far (for its report)."""

    threads: int = 0
    replies: int = 0
    solved: int = 0
    claims: int = 0
    thanks: int = 0


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a thread writes that needs neither its skills nor its id: made for every thread
    while the other process is still learning the phrases (see import_archive)."""

    thread: HistoryThread
    asker: int | None
    solver: int | None  # who solved it, if it was solved by a reply
    replies: list[tuple[int, str, datetime, bool]]  # (person, text, time, solves)
    credited: list[tuple[int, float, datetime]]  # (person, weight, time): one claim per skill each
    thanks: tuple[int, int, datetime] | None  # (asker, solver, time) when the asker thanks a solver


def _plan(people: _People, thread: HistoryThread) -> _Plan:
    asker = people.get(thread.root.author)
    solution = {r.ts: r for r in thread.replies}.get(thread.solved_by) if thread.solved_by else None
    solver = people.get(solution.author) if solution is not None else None
    replies: list[tuple[int, str, datetime, bool]] = []
    credited: list[tuple[int, float, datetime]] = []
    seen: set[int] = set()
    for reply in thread.replies:
        person = people.get(reply.author)
        if person is None or person == asker:
            continue
        is_solution = reply.ts == thread.solved_by
        replies.append((person, reply.text[:MAX_REPLY_TEXT], reply.posted_at, is_solution))
        if person in seen and not is_solution:
            continue  # several replies in one thread are one piece of help
        seen.add(person)
        credited.append((person, SOLVING_REPLY_WEIGHT if is_solution else REPLY_WEIGHT, reply.posted_at))
    thanks = None
    if asker is not None and solver is not None and solver != asker and solution is not None:
        thanks = (asker, solver, solution.posted_at)
    return _Plan(thread, asker, solver, replies, credited, thanks)


def _write_threads(
    session: Session,
    plans: Sequence[_Plan],
    skills_of: Recognise,
    skill_id: SkillIds,
    written: _Written,
) -> None:
    """Write a batch of new threads with their replies, claims and thanks: four statements."""
    rows: list[dict[str, Any]] = []
    skills: list[list[str]] = []
    for plan in plans:
        thread = plan.thread
        found = skills_of(thread.root.text)
        rows.append(
            {
                "source": thread.source,
                "external_id": thread.thread_id,
                "channel": thread.channel,
                "asker_id": plan.asker,
                "text": thread.root.text,
                "created_at": thread.root.posted_at,
                "solved_by_id": plan.solver,
                "skills": found,
                "public": thread.public,
            }
        )
        skills.append(found)
    ids = insert_returning_ids(session, HelpThread, rows)
    skill_id.create(
        skill for plan, found in zip(plans, skills, strict=True) if plan.credited for skill in found
    )
    replies: list[tuple[Any, ...]] = []  # in REPLY_COLUMNS order
    claims: list[tuple[Any, ...]] = []  # in CLAIM_COLUMNS order
    thanks: list[dict[str, Any]] = []
    for plan, thread_id, found in zip(plans, ids, skills, strict=True):
        written.threads += 1
        written.solved += plan.solver is not None
        replies.extend((thread_id, *reply) for reply in plan.replies)
        if plan.credited:  # only then: looking an id up creates a skill the database lacks
            found_ids = [skill_id(skill) for skill in found]  # once per thread, not per reply
            ref = f"thread:{thread_id}"
            for person, weight, at in plan.credited:
                claims.extend((person, skill, IMPORTED, weight, ref, at) for skill in found_ids)
        if plan.thanks is not None:
            thanks.append(_thanks_row(thread_id, *plan.thanks, found, plan.thread.public))
    written.replies += len(replies)
    written.claims += len(claims)
    times = Conversions()  # a claim's time is its reply's: converted once for both
    insert_values(session, HelpReply, REPLY_COLUMNS, replies, times)
    insert_values(session, SkillClaim, CLAIM_COLUMNS, claims, times)
    written.thanks += insert_ignoring_duplicates_many(session, Thanks, thanks)


def _thanks_row(
    thread_id: int, asker: int, solver: int, at: datetime, skills: list[str], public: bool
) -> dict[str, Any]:
    """The asker's thanks to who solved their thread, at the solving reply's time, about the
    skills the thread's claims were for. Its ref is unique: a second guard, after the skipping
    of threads imported before, against counting a thread twice."""
    return {
        "from_person_id": asker,
        "to_person_id": solver,
        "need_id": None,
        "text": "",
        "created_at": at,
        "kind": ThanksKind.IMPORTED.value,
        "skills": skills,
        "public": public,  # as its thread: a private channel's help is not named in public
        "ref": f"import:{thread_id}",
    }


def _declare(
    session: Session,
    people: _People,
    declared: Sequence[tuple[HistoryUser, list[str]]],
    skill_id: Callable[[str], int],
) -> int:
    """profile.title is a self-description: its skills count as declared, once."""
    wanted: dict[tuple[int, int], None] = {}
    for user, skills in declared:
        person = people.get(user.handle)
        if person is not None:
            wanted.update(((person, skill_id(skill)), None) for skill in skills)
    if not wanted:
        return 0
    # Only people already there before this import can hold a declaration already.
    held = existing_pairs(session, (p for p, _s in wanted if p not in people.new), ClaimSource.DECLARED.value)
    now = datetime.now(UTC)
    rows = [
        {
            "person_id": person,
            "skill_id": skill,
            "source": ClaimSource.DECLARED.value,
            "weight": 1.0,
            "ref": "profile",
            "created_at": now,
        }
        for person, skill in wanted
        if (person, skill) not in held
    ]
    insert_rows(session, SkillClaim, rows)
    return len(rows)


def _source(archive: HistoryArchive) -> str:
    return archive.threads[0].source if archive.threads else ""


class _People:
    """Platform handle → person id within the import session: the people an import needs are
    first noted (:meth:`want`), then created at once (:meth:`create`)."""

    def __init__(
        self, session: Session, platform: str, users: Mapping[str, HistoryUser], erased: set[str]
    ) -> None:
        self.session = session
        self.platform = platform
        self.users = users
        self.ids: dict[str, int | None] = {}
        self.wanted: dict[str, None] = {}  # handles to create, in order of first sight
        self.new: set[int] = set()  # the people this import created
        self.created = 0
        self.erased = erased
        self.skipped: set[str] = set()
        query = sa.select(col(Identity.handle), col(Identity.person_id)).where(
            col(Identity.platform) == platform
        )
        for handle, person in session.execute(query):
            self.ids[handle] = person

    def is_erased(self, handle: str) -> bool:
        """Whether ``handle`` asked to be forgotten (and has not come back since)."""
        if handle in self.ids or handle not in self.erased:
            return False
        self.skipped.add(handle)
        return True

    def want(self, handle: str) -> None:
        """Note that the import needs ``handle``'s person (created by :meth:`create`)."""
        if handle in self.ids or handle in self.wanted or self.is_erased(handle):
            return
        user = self.users.get(handle)
        if user is not None and user.is_bot:
            self.ids[handle] = None
            return
        self.wanted[handle] = None

    def create(self) -> None:
        """Create every person wanted and not there yet, and their identities."""
        handles = list(self.wanted)
        self.wanted.clear()
        if not handles:
            return
        now = datetime.now(UTC)
        # Every column's default taken from the model once; a model object per person cost
        # more than writing them.
        defaults = Person(name="", created_at=now).model_dump(exclude={"id"})
        rows, names = [], []
        for handle in handles:
            user = self.users.get(handle)
            name = (user.name if user else "") or handle
            names.append(name)
            rows.append(
                {
                    **defaults,
                    "name": name,
                    "timezone": user.tz if user else None,
                    "title": user.title if user else "",
                    "deleted": bool(user and user.deleted),
                }
            )
        ids = insert_returning_ids(self.session, Person, rows)
        insert_rows(
            self.session,
            Identity,
            [
                {"person_id": person, "platform": self.platform, "handle": handle, "display": name}
                for handle, person, name in zip(handles, ids, names, strict=True)
            ],
        )
        self.ids.update(zip(handles, ids, strict=True))
        self.new.update(ids)
        self.created += len(ids)

    def get(self, handle: str) -> int | None:
        """The person of ``handle``: None for a bot or someone erased (create() came first)."""
        return self.ids.get(handle)
