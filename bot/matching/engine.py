"""Who can help with a need, and why.

The matcher keeps in memory what every community has: the threads people answered (BM25 over
questions and answers, :mod:`bot.matching.text_index`), each person's own answers (a second
text index), their skill evidence — declared (weakest), endorsed, help given, imported answers,
each decaying (:mod:`bot.matching.skill_index`) — and their help at several time scales, whom
they helped and where (:mod:`bot.matching.activity`). A need's candidates are described by
features of all of it and scored by a small linear model fitted leave-one-community-out
(:mod:`bot.matching.model`, :mod:`bot.matching.scoring`).

Someone whose only link to the need is a self-declaration never ranks above someone with
evidence of help on it. Working hours never take anyone out of the ranking: they change when
someone is asked, not whether they can help.

At organisation scale a popular skill has tens of thousands of claims: the people to consider
are first chosen in memory (the skill index, the text indexes, the most active helpers),
at most ``POOL`` of them, and only their claims and availability are read from the database.

The indexes follow the database (:meth:`Matcher.refresh`, before each need and from a periodic
job): new claims and threads by id, with the ids missing below the largest read again for a
while (:class:`~skills_db.storage.feed.GapCursor`: rows can commit out of id order), and what
was removed or changed through the change feed, which every instance on the database reads.
Worker threads share one matcher: a lock keeps index updates and reads from interleaving.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from collections.abc import Callable, Collection, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from bot.config import MatchingConfig, RoutingConfig
from bot.matching.activity import HelpHistory
from bot.matching.asking import choose
from bot.matching.availability import available_from, is_available
from bot.matching.candidates import Candidate, Match, Reason
from bot.matching.evidence import RECENT, Evidence
from bot.matching.familiarity import Familiarity
from bot.matching.model import DEFAULT, Model, configured
from bot.matching.scoring import ACTIVE_POOL, candidate_pool, score_candidates
from bot.matching.series import SortedSeries
from bot.matching.skill_index import KINDS, SkillIndex
from bot.matching.text_index import TextIndex
from bot.matching.vocabulary import CURATION, follow_curation, with_stored
from skills_db.importers.collector import collector_paused
from skills_db.storage.feed import Change, ChangeKind, ClaimTuple, GapCursor, ThreadRow
from skills_db.storage.models import ClaimSource
from skills_db.storage.store import PersonBrief, Store
from skills_db.vocabulary.frequency import general_frequencies
from skills_db.vocabulary.taxonomy import Taxonomy

LEARNER_GOALS = 50  # learning goals read for one need
BACK_WITHIN = timedelta(days=31)  # people away for longer are left out of rankings
ANSWERERS_BITS = 24  # a thread's answerers, in Matcher._answer_docs (Slack threads hold far fewer replies)

log = logging.getLogger("entraide.matching")


class Matcher:
    def __init__(
        self,
        store: Store,
        taxonomy: Taxonomy,
        routing: RoutingConfig,
        matching: MatchingConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        base: Taxonomy | None = None,
        model: Model = DEFAULT,
    ) -> None:
        self.store = store
        self.taxonomy = taxonomy  # replaced whole when managers change the stored vocabulary
        self.base = base or taxonomy  # the bundled and configured vocabulary it is built on
        self.routing = routing
        self.matching = matching
        self.model = configured(
            model, matching.text_weight, matching.skill_weight, matching.activity_weight, matching.offer_bonus
        )
        self.index = TextIndex(matching.activity_half_life_days)  # threads: questions and answers
        self.answers = TextIndex(matching.activity_half_life_days)  # each person's own answers
        self.familiarity = Familiarity(self.index)  # how much a need's words are this community's
        # thread -> its documents in self.answers, consecutive: the first << ANSWERERS_BITS |
        # how many. One int each: read back with the snapshot at every start, 120,000 lists
        # took 60 ms, 120,000 pairs 25 ms.
        self._answer_docs: dict[int, int] = {}
        self.history = HelpHistory()
        self.skills = SkillIndex(matching.half_life_days)
        self._help_times = SortedSeries("d")  # person -> the times of the threads they helped with
        self._answer_count = 0  # answer documents numbered in order (the index wants ascending ids)
        # How far each source has been read; `clock` (seconds) times how long gaps are re-read.
        self._clock = clock
        self._threads = GapCursor()
        self._claims = GapCursor()
        self._changes: GapCursor | None = None  # placed at the end of the feed by the first refresh
        self._lock = threading.RLock()
        self._refreshed_in: int | None = None  # the unit of work of the latest refresh (see refresh)

    def vocabulary(self) -> Taxonomy:
        """The vocabulary as the database has it now: a skill a manager just added, renamed or
        merged (here or on another instance) is known as it is now."""
        self.refresh()
        return self.taxonomy

    def recognise(self, text: str) -> list[str]:
        return self.vocabulary().skills_in(text)

    def warm_up(self) -> None:
        """Do now what the first needs would otherwise wait for: read the general word
        frequencies of both languages, and score the community's reference questions
        (bot.matching.familiarity). 50–100 ms, once per process: `entraide run` calls it at
        start, so the first need in French is not the one to pay for the French list. The
        reads each need makes run once too (for nobody): the first need no longer pays for
        building and compiling their statements (2-4 ms)."""
        general_frequencies().load()
        with self._lock:
            self.familiarity.warm_up()
            with self.store.reading():
                self.store.people_brief([0])
                self.store.handles_for([0])
                self.store.offers_and_goals(datetime.now(UTC), [""], 1)

    def refresh(self) -> None:
        """Take in what was committed since the last call; cheap when nothing was.

        New help threads and skill claims are read by id (the first call reads them all), the
        ids missing below the largest read again; then the change feed is applied: removals,
        and threads or declarations to read again. Run before each need, and periodically so
        that an instance with no needs to handle stays current. Once per unit of work: a need's
        reads (recognising its skills, ranking, routing) share one, and what others commit
        meanwhile is for the next need (on PostgreSQL each check is a round trip of its own).
        """
        with self._lock:
            unit = self.store.unit_number()
            if unit is not None and unit == self._refreshed_in:
                return
            # The first call builds the indexes: millions of objects kept, no garbage among them.
            with collector_paused() if self._changes is None else nullcontext():
                self._refresh(unit)

    def _refresh(self, unit: int | None) -> None:
        """:meth:`refresh`, under its lock."""
        now = self._clock()
        if self._changes is None:
            # Before the tables: whatever is committed from here on is read from the feed.
            self._changes = GapCursor()
            self.store.change_feed_start(self._changes, now)
            # The vocabulary too, as stored now: what changes from here on is in the feed.
            self.taxonomy = with_stored(self.base, self.store.stored_vocabulary())
        threads, claims, changes = self.store.latest_ids()
        read_threads = threads > self._threads.last or bool(self._threads.gaps)
        if read_threads:
            self._read_threads(now)
        if claims > self._claims.last or self._claims.gaps:
            self._read_claims(now)
        changed = changes > self._changes.last or bool(self._changes.gaps)
        if changed:
            self._apply_changes(self._changes, now)
        if read_threads or changed:
            # The reference questions scored again now if the threads taken in call for it,
            # with them (a reply's refresh, the periodic one) rather than at the next need:
            # 10-15 ms of long questions. Not for a first build no need will follow (a snapshot
            # saved by an import): the reference is scored by the first need or the warm-up.
            self.familiarity.keep_scored()
        self._refreshed_in = unit

    def _read_threads(self, now: float) -> None:
        cursor, ids = self._threads, array("q")
        try:
            for row in self.store.help_threads_after(cursor.last, gaps=cursor.ranges(now)):
                self._add_thread(row)
                ids.append(row[0])
        finally:  # cut short (the database went away): what was added is not added twice
            cursor.advance(ids, now)

    def _read_claims(self, now: float) -> None:
        cursor, ids = self._claims, array("q")
        first = not cursor.last
        claims = self.store.claims_after(cursor.last, gaps=cursor.ranges(now))
        try:
            self.skills.add(claims, appending=first, ids=ids)
        except BaseException:
            if first:  # read by skill, not by id: start again from nothing
                self.skills = SkillIndex(self.matching.half_life_days)
                ids = array("q")
            raise
        finally:
            cursor.advance(ids, now)

    def _add_thread(self, row: ThreadRow) -> None:
        thread_id, text, created_at, helpers, public = row[:5]
        # A reason quotes the question, never the answers run on after it.
        self.index.add(thread_id, text, created_at, helpers, quotable=public, title=row.question or None)
        self.familiarity.add(thread_id, row.question or text)
        when = created_at.timestamp()
        for person, _weight in helpers:
            self._help_times.add(person, when)
        # Each helper's own words, one document per person and thread (the asker's are not help).
        words: dict[int, list[str]] = {}
        for reply in row.replies:
            if reply.person != row.asker and reply.text:
                words.setdefault(reply.person, []).append(reply.text)
        documents = []
        for person, texts in words.items():
            self._answer_count += 1
            text = " ".join(texts)
            self.answers.add(self._answer_count, text, created_at, [(person, 1.0)], quotable=public)
            documents.append(self._answer_count)
        if documents:
            self._answer_docs[thread_id] = documents[0] << ANSWERERS_BITS | len(documents)
        answers = [(r.person, r.solved, r.created_at) for r in row.replies]
        # A solver with no reply of their own (a need solved live with a helper named) solved it.
        answers += [(p, True, created_at) for p, weight in helpers if weight > 1 and p not in words]
        self.history.add(thread_id, row.asker, row.channel, answers)

    def _remove_thread(self, thread_id: int) -> None:
        packed = self._answer_docs.pop(thread_id, 0)
        first, count = packed >> ANSWERERS_BITS, packed & ((1 << ANSWERERS_BITS) - 1)
        for document in range(first, first + count):
            self.answers.remove(document)
        self.history.remove(thread_id)
        self.familiarity.remove(thread_id)
        removed = self.index.remove(thread_id)
        if removed is None:
            return
        when, helpers = removed
        for person, _weight in helpers:
            self._help_times.discard(person, when)

    def _apply_changes(self, cursor: GapCursor, now: float) -> None:
        changes = self.store.changes_after(cursor.last, gaps=cursor.ranges(now))
        reread: set[int] = set()  # changed threads, read again once all changes are applied
        taxonomy = follow_curation(changes, self.base, self.store, self.skills, self._claims)
        if taxonomy is not None:
            self.taxonomy = taxonomy
        for change in changes:
            if change.kind not in CURATION:
                self._apply(change, reread)
        self._reread_threads(reread)
        cursor.advance([change.id for change in changes], now)

    def _apply(self, change: Change, reread: set[int]) -> None:
        person, thread = change.person_id, change.thread_id
        if change.kind == ChangeKind.PERSON_FORGOTTEN and person is not None:
            self._forget(person)
        elif change.kind == ChangeKind.DECLARED_REMOVED and person is not None and change.skill:
            # Read again what still stands: a declaration made again at the same time stays.
            self.skills.remove_declared(person, change.skill)
            self.skills.add(self._claims_read(person, skill=change.skill, source=ClaimSource.DECLARED))
        elif change.kind in (ChangeKind.THREAD_REMOVED, ChangeKind.THREAD_CHANGED) and thread is not None:
            self._remove_thread(thread)
            if change.kind == ChangeKind.THREAD_CHANGED:
                reread.add(thread)
        elif change.kind == ChangeKind.PEOPLE_MERGED and person is not None:
            # The merge moved the rows of `person` to the one kept: read again the threads
            # `person` helped with, and all the claims of the one kept.
            reread.update(self.index.threads_of(person))
            self._forget(person)
            kept = change.other_person_id
            if kept is not None:
                self.skills.forget(kept)
                self.skills.add(self._claims_read(kept))
        else:
            log.warning("index change skipped", extra={"change": change.id, "kind": change.kind})

    def _forget(self, person: int) -> None:
        self.skills.forget(person)
        self.index.forget(person)
        self.answers.forget(person)
        self.history.forget(person)
        self._help_times.pop(person)

    def _claims_read(
        self, person: int, *, skill: str | None = None, source: ClaimSource | None = None
    ) -> list[ClaimTuple]:
        """The claims of ``person`` that the claim cursor has read (those still to read it will)."""
        cursor = self._claims
        unread = [(gap.low, gap.high) for gap in cursor.gaps]
        return self.store.claims_read(person, cursor.last, unread, skill=skill, source=source)

    def _reread_threads(self, threads: set[int]) -> None:
        """Index again, as they are now, changed threads that were read before."""
        wanted = sorted(t for t in threads if not self._threads.pending(t))
        for thread in wanted:
            self._remove_thread(thread)
        ranges: list[tuple[int, int]] = []
        for thread in wanted:  # consecutive ids in one range
            if ranges and ranges[-1][1] == thread - 1:
                ranges[-1] = (ranges[-1][0], thread)
            else:
                ranges.append((thread, thread))
        if ranges:
            for row in self.store.help_threads_in(ranges):
                self._add_thread(row)

    def rank(
        self,
        text: str,
        skills: list[str],
        asker_id: int | None,
        at: datetime,
        exclude: set[int] | None = None,
        channel: str = "",
    ) -> Match:
        """Everyone worth considering for a need, best first; ``channel``: where it was asked."""
        with self._lock, self.store.reading():
            return self._rank(text, skills, asker_id, at, exclude, channel)

    def _rank(
        self,
        text: str,
        skills: list[str],
        asker_id: int | None,
        at: datetime,
        exclude: set[int] | None,
        channel: str,
    ) -> Match:
        self.refresh()
        excluded = set(exclude or ())
        if asker_id is not None:
            excluded.add(asker_id)
        text_people = self.index.people(text, at, excluded)
        answer_people = self.answers.people(text, at, excluded)
        near = self.history.near(asker_id) if asker_id is not None else {}
        # Offers and learning goals in one read (a round trip on PostgreSQL), only for skills.
        offered, wanted = self.store.offers_and_goals(at, skills, LEARNER_GOALS) if skills else ([], [])
        offers = self._offers(skills, offered, excluded)
        pool = candidate_pool(self, skills, text_people, answer_people, near, offers, at, excluded)
        evidence = {pid: Evidence() for pid in pool}
        self._skill_evidence(evidence, skills, at)
        for person, found in text_people.items():
            entry = evidence.get(person)
            if entry is not None:
                entry.text, entry.similar, entry.example, entry.close = found[:4]
                entry.coverage = found.coverage
                entry.demonstrated = True
        for person, found in answer_people.items():
            entry = evidence.get(person)
            if entry is not None:
                entry.answers, entry.answered = found.score, found.threads
                entry.coverage = max(entry.coverage, found.coverage)
                entry.demonstrated = True
        for person, skill in offers.items():
            if person in evidence:
                evidence[person].offer = skill
        # Learners are people with no evidence yet, of any kind: not even among the pool's outsiders.
        active = self.index.most_active(ACTIVE_POOL + len(excluded))
        known = set(evidence).union(text_people, answer_people, active)
        goals = self._learning_goals(skills, wanted, excluded | known)
        # The pool's people and the learners' in one read, kept in the match for routing.
        people = self.store.people_brief(list({**dict.fromkeys(evidence), **dict(goals)}))
        # Who is unavailable now (away, off hours) is ranked too: asked when back if that is soon,
        # and in any case not described as unknown. Working hours never take anyone out of the
        # ranking: they change when to ask, not who can help.
        back = {
            pid: available_from(people[pid], at, self.routing, BACK_WITHIN)
            for pid in evidence
            if pid in people
        }
        available = {pid: people[pid] for pid, when in back.items() if when is not None}
        later = {pid: when for pid, when in back.items() if when is not None and when > at}
        familiar = self.familiarity.of(text)
        candidates = score_candidates(self, evidence, available, later, asker_id, near, channel, at, familiar)
        learners = self._learners(goals, people, at)
        return Match(tuple(skills), tuple(candidates), learners, people=people, unit=self.store.unit_number())

    def _skill_evidence(self, evidence: dict[int, Evidence], skills: list[str], at: datetime) -> None:
        now, since = at.timestamp(), (at - RECENT).timestamp()
        # Skill by skill, each person's evidence summed in the need's order of skills.
        for skill in skills:
            for person, found in self.skills.evidence_of(skill, evidence, now, since).items():
                entry = evidence[person]
                if found.declared:
                    entry.declared[skill] = found.declared
                entry.skill += found.weight
                for kind, source in enumerate(KINDS):
                    if found.counts[kind]:
                        entry.counts[(skill, source)] += found.counts[kind]
                    if found.recent[kind]:
                        entry.recent[(skill, source)] += found.recent[kind]
                entry.demonstrated = entry.demonstrated or found.demonstrated

    def _offers(
        self, skills: list[str], active: list[tuple[int, list[str]]], excluded: set[int]
    ) -> dict[int, str]:
        """The authors of ``active`` offers on one of the need's skills, and that skill."""
        wanted = set(skills)
        offers = {}
        for person, offered in active:
            common = wanted.intersection(offered)
            if common and person not in excluded:
                offers[person] = sorted(common)[0]
        return offers

    def help_times(self, person: int) -> array[float]:
        """When ``person`` helped (epoch seconds, ascending)."""
        return self._help_times.get(person)

    def _learning_goals(
        self, skills: list[str], goals: list[tuple[int, str]], excluded: set[int]
    ) -> list[tuple[int, str]]:
        """(person, skill) of ``goals`` on ``skills`` whose people could be asked besides."""
        return [
            (pid, skill)
            for pid, skill in goals
            # Learners have no evidence on the need's skills yet.
            if pid not in excluded and not any(self.skills.holds(s, pid) for s in skills)
        ]

    def _learners(
        self, goals: list[tuple[int, str]], people: Mapping[int, PersonBrief], at: datetime
    ) -> tuple[Candidate, ...]:
        learners = {}
        for pid, skill in goals:
            person = people.get(pid)
            if person is not None and pid not in learners and is_available(person, at, self.routing):
                learners[pid] = Candidate(
                    pid, person.name, 0.0, False, (Reason("reason.learner", {"skill": skill}),), learner=True
                )
        return tuple(learners.values())

    def route(
        self,
        match: Match,
        at: datetime,
        count: int | None = None,
        exclude: set[int] | None = None,
        asks_this_week: Mapping[int, int] | None = None,
        focus: Collection[str] = (),
    ) -> list[Candidate]:
        """The people to ask now (see :mod:`bot.matching.asking`)."""
        with self._lock, self.store.reading():
            if asks_this_week is None:
                asks_this_week = self.store.ask_counts_since(at - timedelta(days=7))
            ids = [c.person_id for c in (*match.candidates, *match.learners)]
            if self.routing.weekly_ask_cap > 0:
                # Whoever was not asked this week has room, whatever their own cap: only the caps
                # of the others matter.
                ids = [pid for pid in ids if asks_this_week.get(pid, 0) > 0]
            # As read when ranking, in the same unit of work (a need's); read if not (a match
            # kept from an earlier one).
            known = match.people if match.unit is not None and match.unit == self.store.unit_number() else {}
            people = {pid: known[pid] for pid in ids if pid in known}
            people.update(self.store.people_brief([pid for pid in ids if pid not in known]))
            return choose(match, self.routing, asks_this_week, people, count, exclude, focus)
