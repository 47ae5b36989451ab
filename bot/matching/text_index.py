"""BM25 retrieval over past help threads, aggregated per helper.

A need with no recognised skill still finds people: its words are matched against the
questions (and answers) of threads people helped with. The index lives in memory in compact
arrays — about 6 bytes per (term, thread) pair — and grows as new threads arrive. A search
gives the exact BM25 top; it reads in full only the postings of the query's rarer terms, or,
with numpy installed, scores all of them at once (see :meth:`TextIndex.search`).

A thread deleted or changed is removed with a tombstone (:meth:`TextIndex.remove`): it never
scores nor shows again, and its helpers lose its credit; a changed thread is then added again,
as a new document. As in Lucene, removed documents still count in the collection statistics
(number of documents, lengths, document frequencies), so removals leave every ceiling valid.
"""

from __future__ import annotations

import heapq
import importlib
import math
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import Any, NamedTuple

from skills_db.vocabulary.language import Language, language_of
from skills_db.vocabulary.stemming import SHARED_STEMS, stemmed_content_words
from skills_db.vocabulary.terms import content_tokens
from skills_db.vocabulary.textnorm import tokens

try:  # optional: the same search, vectorised (see TextIndex.search)
    numpy: Any = importlib.import_module("numpy") if array("i").itemsize == 4 else None
except ImportError:
    numpy = None

K1 = 1.2
B = 0.75
TOP_DOCS = 300  # threads whose helpers are credited for one query
MAX_DOC_CHARS = 4000
CEILING_SLACK = 1.1  # term ceilings hold for average lengths up to this much above the real one
LOOK_UP_COST = 6  # finding one document in a posting list costs about this many scanned postings
MAX_PROBES = 3  # attempts per search to show that the rest of the documents cannot make the top
MIN_IDF = 0.1  # a term in almost every thread says nothing (and costs much to score)
# A thread is close to a need when the terms they share carry at least this share of the need's
# information (the sum of its terms' IDF, unseen terms counting as the rarest), or are at least
# this share of its informative terms, two or more: one ordinary word in common is not enough,
# one rare word that is most of the need is. Chosen leave-one-community-out on the dev exports as
# the strictest share that keeps routing at least 0.9x "ask the 3 most active" (0.5: 0.85x, the
# off-topic ask rate 0.49; 0.3: 0.99x, 0.59; 0.2: 1.14x, 0.77; no gate: 1.21x, 1.00).
CLOSE_SHARE = 0.3
# A long need (a pasted log, a whole paragraph) is searched by its most informative known terms
# only: each term costs a scan of its postings, and the frequent ones add least to BM25. Real
# exports' long questions cost up to 460 ms at p99 with all their terms.
MAX_QUERY_TERMS = 24
SAMPLE_STEP = 8  # one score in this many sampled for a first bound of the best ones (see _top)


def _tf_factor(tf: int, length: int, average: float) -> float:
    """The BM25 weight of a term found ``tf`` times in a document of ``length`` terms."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


def index_terms(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: folded, stemmed (Snowball, English or French),
    without stopwords."""
    return stemmed_content_words(text[:MAX_DOC_CHARS])


@lru_cache(maxsize=512)
def _document_terms(text: str) -> tuple[str, ...]:
    """:func:`index_terms` of ``text`` (at most MAX_DOC_CHARS), kept for the texts met lately:
    a thread that gets a reply is indexed again whole, with the same answers of its other
    helpers, and stemming a long text costs milliseconds."""
    return tuple(stemmed_content_words(text))


Terms = tuple[tuple[str, str], ...]  # a text's content words: (stem, word), in its language


def content_terms(text: str) -> tuple[Terms, Language]:
    """The content words of ``text`` (at most MAX_DOC_CHARS) with their stems, as
    :func:`index_terms` stems them, and its language."""
    folded = tokens(text[:MAX_DOC_CHARS])
    language = language_of(folded)
    words = content_tokens(folded)
    return tuple(zip(SHARED_STEMS.stem(language, words), words, strict=True)), language


@lru_cache(maxsize=16)
def need_terms(text: str) -> tuple[Terms, Language]:
    """:func:`content_terms` of a need: both text indexes (threads, answers) and the
    familiarity of its words ask for the same need's (a long one took milliseconds each)."""
    return content_terms(text)


def _query_words(text: str) -> tuple[str, ...]:
    """The distinct index terms of a need, in order."""
    return tuple(sorted({stem for stem, _word in need_terms(text)[0]}))


class TextEvidence(NamedTuple):
    """What one person's past threads say about a need."""

    score: float  # BM25 of the matching threads, decayed with age, summed
    threads: int  # threads matched
    best: int  # the best matching document
    close: int  # threads close to the need as a whole (see CLOSE_SHARE)
    coverage: float = 0.0  # the largest share of the need one of their threads holds (see _shares)


@dataclass(frozen=True)
class ThreadHit:
    thread_id: int
    score: float
    text: str


def _top(scores: Any, limit: int) -> Any:
    """The documents of the ``limit`` best positive ``scores`` (a numpy array), best first;
    equal scores in document order, as the term-at-a-time path orders them.

    A partition of every score cost more than summing them (1–3 ms at 100,000 documents). The
    ``limit``-th best of every SAMPLE_STEP-th score is a lower bound of the ``limit``-th best of
    all (a subset's can only be lower): only the scores above it, a few times ``limit``, are
    partitioned. Exactly the documents a full partition finds.
    """
    lowest, found = _kth(scores, limit)
    if not found:  # no matching document, or only removed ones
        return numpy.zeros(0, dtype=numpy.int64)
    top = numpy.flatnonzero(scores >= lowest)
    return top[numpy.lexsort((top, -scores[top]))][:limit]


def _kth(scores: Any, limit: int) -> tuple[float, int]:
    """The ``limit``-th best positive score (the lowest positive one when fewer), and how many
    that is of ``limit``; (0.0, 0) when none."""
    positive = scores[scores > 0]  # every matching document scores > 0
    found = min(limit, len(positive))
    if not found:
        return 0.0, 0
    sample = positive[::SAMPLE_STEP]
    if len(sample) > found:
        bound = numpy.partition(sample, len(sample) - found)[len(sample) - found]
        positive = positive[positive >= bound]
    return float(numpy.partition(positive, len(positive) - found)[len(positive) - found]), found


class TextIndex:
    def __init__(self, half_life_days: float) -> None:
        self.decay_rate = math.log(2) / (half_life_days * 86400)
        self._terms: dict[str, int] = {}
        self._doc_ids: list[array[int]] = []  # per term: document numbers, ascending
        self._doc_tfs: list[array[int]] = []  # per term: term frequencies
        # Per term: the largest BM25 term-frequency factor of its documents, were the average
        # document length _ceiling_average (at least the real one, so these are upper bounds).
        self._ceilings = array("d")
        self._frequencies = array("q")  # per term: its occurrences in every document (collection frequency)
        self._ceiling_average = 0.0
        self._lengths = array("H")
        self._max_length = 0
        self._times = array("d")  # epoch seconds
        self._thread_ids = array("q")
        # Per document, ascending, for bisection: its thread id if larger than every earlier
        # one, else that largest earlier id — such a document (a gap filled late, a changed
        # thread added again) is found in _late instead.
        self._order_ids = array("q")
        self._late: dict[int, int] = {}  # thread id -> document, for those out of order
        self._removed = bytearray()  # per document: 1 once removed
        self._dead: list[int] = []  # the removed documents
        self._dead_array: Any = None  # the same, as a numpy array (cached)
        self._gone: set[int] = set()  # people forgotten: never credited again
        # Document d's helpers are _helper_people[_helper_start[d]:_helper_start[d + 1]].
        self._helper_start = array("q", [0])
        self._helper_people = array("q")
        self._helper_weights = array("d")
        # Titles, UTF-8, one after the other: document d's is _title_bytes[_title_start[d]:…[d + 1]].
        self._title_bytes = bytearray()
        self._title_start = array("q", [0])
        self._total_length = 0
        # Decayed activity per person, relative to _epoch: sum of weight * exp(rate * (t - epoch)).
        # A person's slot is the order in which they first helped (ties in most_active keep it).
        self._slots: dict[int, int] = {}
        self._slot_people = array("q")
        self._activity = array("d")
        self._epoch: float | None = None
        self._most_active: list[int] | None = None  # slots, most active first
        self._most_active_count = 0  # how many were asked for when it was computed
        self._weights: tuple[float, int, list[float]] | None = None  # see _single_weights
        self._query_cache: tuple[str, int, list[tuple[float, int | None]]] | None = None

    def __len__(self) -> int:
        """The threads indexed (not counting the removed ones)."""
        return len(self._lengths) - len(self._dead)

    def add(
        self,
        thread_id: int,
        text: str,
        created_at: datetime,
        helpers: list[tuple[int, float]],
        *,
        quotable: bool = True,
        title: str | None = None,
    ) -> None:
        """Index one thread; one not ``quotable`` (asked in private) has no title to quote.
        ``title``: what a reason quotes of it (its question), the start of ``text`` by default."""
        terms = _document_terms(text[:MAX_DOC_CHARS])
        counts: dict[int, int] = defaultdict(int)
        for term in terms:
            term_id = self._terms.get(term)
            if term_id is None:
                term_id = self._terms[term] = len(self._doc_ids)
                self._doc_ids.append(array("i"))
                self._doc_tfs.append(array("H"))
                self._ceilings.append(0.0)
                self._frequencies.append(0)
            counts[term_id] += 1
        doc = len(self._lengths)
        length = min(len(terms), 65535)
        for term_id, count in counts.items():
            self._doc_ids[term_id].append(doc)
            self._doc_tfs[term_id].append(min(count, 65535))
            self._frequencies[term_id] += count
        self._lengths.append(length)
        self._max_length = max(self._max_length, length)
        self._total_length += length
        average = max(self._total_length / len(self._lengths), 1.0)
        if not average <= self._ceiling_average <= average * CEILING_SLACK**2:
            self._set_ceilings(average * CEILING_SLACK)
        else:
            ceilings, reference = self._ceilings, self._ceiling_average
            for term_id, count in counts.items():
                factor = _tf_factor(min(count, 65535), length, reference)
                if factor > ceilings[term_id]:
                    ceilings[term_id] = factor
        when = created_at.timestamp()
        self._times.append(when)
        self._thread_ids.append(thread_id)
        top = self._order_ids[-1] if self._order_ids else 0
        if thread_id > top:
            self._order_ids.append(thread_id)
        else:
            self._order_ids.append(top)
            self._late[thread_id] = doc
        self._removed.append(0)
        if quotable:
            self._title_bytes += " ".join((text if title is None else title)[:120].split()).encode()
        self._title_start.append(len(self._title_bytes))
        if self._epoch is None:
            self._epoch = when
        changed = []
        for person, weight in helpers:
            self._helper_people.append(person)
            self._helper_weights.append(weight)
            slot = self._slots.get(person)
            if slot is None:
                slot = self._slots[person] = len(self._slot_people)
                self._slot_people.append(person)
                self._activity.append(0.0)
            self._activity[slot] += weight * math.exp(self.decay_rate * (when - self._epoch))
            changed.append(slot)
        self._helper_start.append(len(self._helper_people))
        if self._most_active is not None and changed:
            # Only this thread's helpers gained: the new leaders are among the old ones and them.
            keep = self._most_active_count
            pool = set(self._most_active).union(changed)
            self._most_active = sorted(pool, key=lambda s: (-self._activity[s], s))[:keep]

    @property
    def total_length(self) -> int:
        """The terms of every document indexed (removed ones included, as in every statistic)."""
        return self._total_length

    def frequency(self, term: str) -> int:
        """How often the (stemmed) ``term`` occurs in all the documents together."""
        term_id = self._terms.get(term)
        return self._frequencies[term_id] if term_id is not None else 0

    def _find(self, thread_id: int) -> int | None:
        """The live document of this thread, if any."""
        doc = self._late.get(thread_id)
        if doc is not None:
            return doc
        ids = self._order_ids
        doc = bisect_left(ids, thread_id)
        if doc < len(ids) and ids[doc] == thread_id and not self._removed[doc]:
            return doc
        return None

    def remove(self, thread_id: int) -> tuple[float, list[tuple[int, float]]] | None:
        """Remove a thread: it never scores again, its helpers lose its credit, its title is gone.

        Returns its time (epoch seconds) and its (helper, weight) pairs; None if not indexed.
        """
        doc = self._find(thread_id)
        if doc is None:
            return None
        self._late.pop(thread_id, None)
        self._removed[doc] = 1
        self._dead.append(doc)
        self._dead_array = None
        when = self._times[doc]
        growth = math.exp(self.decay_rate * (when - (self._epoch or when)))
        helpers = []
        for i in range(self._helper_start[doc], self._helper_start[doc + 1]):
            person, weight = self._helper_people[i], self._helper_weights[i]
            helpers.append((person, weight))
            slot = self._slots[person]
            taken = weight * growth
            left = self._activity[slot] - taken
            self._activity[slot] = left if left > 1e-9 * taken else 0.0  # not a rounding residue
        self._most_active = None
        return when, helpers

    def forget(self, person: int) -> None:
        """Never credit ``person`` again (their threads are removed or changed separately)."""
        self._gone.add(person)
        slot = self._slots.get(person)
        if slot is not None:
            self._activity[slot] = 0.0
            self._most_active = None

    def threads_of(self, person: int) -> list[int]:
        """The threads indexed that ``person`` helped with."""
        people, starts = self._helper_people, self._helper_start
        found = []
        i = 0
        while True:
            try:
                i = people.index(person, i)
            except ValueError:
                break
            doc = bisect_left(starts, i + 1) - 1  # the document whose helpers hold position i
            if not self._removed[doc]:
                found.append(doc)
            i += 1
        return [self._thread_ids[doc] for doc in dict.fromkeys(found)]

    def _set_ceilings(self, average: float) -> None:
        """Recompute every term's ceiling for this average length (when the real one drifted)."""
        lengths = self._lengths
        ceilings = array("d")
        for docs, tfs in zip(self._doc_ids, self._doc_tfs, strict=True):
            # A word found once weighs most in the shortest document; the others are few.
            best = _tf_factor(1, min(map(lengths.__getitem__, docs)), average) if docs else 0.0
            for doc, tf in zip(compress(docs, map((1).__lt__, tfs)), filter((1).__lt__, tfs), strict=True):
                best = max(best, _tf_factor(tf, lengths[doc], average))
            ceilings.append(best)
        self._ceilings = ceilings
        self._ceiling_average = average

    def activity(self, person: int, at: datetime) -> float:
        """Help given by ``person``, each piece decayed by its age at ``at``."""
        return self.activities([person], at)[0]

    def activities(self, people: Iterable[int], at: datetime) -> list[float]:
        """:meth:`activity` of each of ``people``, in their order (the decay to ``at`` worked
        out once for all: a need's pool asks for hundreds)."""
        if self._epoch is None:
            return [0.0 for _person in people]
        decay = math.exp(-self.decay_rate * (at.timestamp() - self._epoch))
        slots, values = self._slots, self._activity
        return [values[slot] * decay if (slot := slots.get(person)) is not None else 0.0 for person in people]

    def most_active(self, count: int) -> list[int]:
        """The people who helped most lately (the order does not depend on the time of asking)."""
        if self._most_active is None or self._most_active_count < count:
            values = self._activity
            best = heapq.nlargest(count, range(len(values)), key=values.__getitem__)
            # Removals can leave people with no credit at all: they are not active.
            self._most_active = [slot for slot in best if values[slot] > 0]
            self._most_active_count = count
        return [self._slot_people[slot] for slot in self._most_active[:count]]

    def _single_weights(self, average: float) -> list[float]:
        """BM25 term-frequency factor of a word found once, by document length (for this average)."""
        cached = self._weights
        if cached is None or cached[0] != average or cached[1] < self._max_length:
            weights = [(K1 + 1) / (1 + K1 * (1 - B + B * n / average)) for n in range(self._max_length + 1)]
            cached = self._weights = (average, self._max_length, weights)
        return cached[2]

    def search(self, text: str, limit: int = TOP_DOCS) -> list[tuple[int, float]]:
        """(document, BM25 score) of the best matching documents.

        The exact top ``limit`` by BM25, computed term by term, the terms that can add most
        first. Each term has a ceiling (the most it adds to any document); once ``limit``
        documents are known to score more than the remaining ceilings add up to, no document
        that none of the terms so far matched can reach the top, and the remaining terms —
        the frequent ones, with long posting lists — only complete the documents that still
        can, looking them up rather than scanning every posting.
        With numpy installed, every posting of the query's terms is scored at once instead
        (the same result, an order of magnitude faster on large indexes).
        """
        count = len(self._lengths)
        if not count or limit <= 0:
            return []
        average = max(self._total_length / count, 1.0)
        query = [
            (idf * self._ceilings[term_id], idf, term_id)
            for idf, term_id in self._query_terms(text)
            if term_id is not None
        ]
        if numpy is not None and query:
            return self._search_vectorised(query, limit, average)
        query.sort(reverse=True)
        rests = []  # rests[j]: the most the terms after the j-th can add, with room for rounding
        total = 0.0
        for ceiling, _idf, _term in reversed(query):
            rests.append(total * (1 + 1e-9))
            total += ceiling
        rests.reverse()
        weights = self._single_weights(average)
        scores: dict[int, float] = {}
        threshold = 0.0  # the limit-th best score is at least this
        closed = False  # no document outside `scores` can reach the top any more
        probes = 0
        for position, (_ceiling, idf, term_id) in enumerate(query):
            docs, tfs, rest = self._doc_ids[term_id], self._doc_tfs[term_id], rests[position]
            if not closed:
                self._scan(scores, docs, tfs, idf, average, weights)
                if self._dead:
                    self._drop_removed(scores)
            elif len(scores) * LOOK_UP_COST < len(docs):
                self._look_up(scores, docs, tfs, idf, average, weights)
            else:
                self._update(scores, docs, tfs, idf, average, weights)
            if not rest:
                break
            later = query[position + 1 :]
            if not closed and len(scores) >= limit and probes < MAX_PROBES:
                # Worth finding out whether we can close, when that costs less than a scan.
                probe_cost = len(scores) // 2 + limit * len(later) * LOOK_UP_COST
                if len(self._doc_ids[later[0][2]]) > probe_cost:
                    probes += 1
                    threshold = max(threshold, self._probe(scores, limit, later, average, weights))
                    closed = threshold > rest
            if closed:
                if len(scores) > 2 * limit:
                    threshold = max(threshold, heapq.nlargest(limit, scores.values())[-1])
                scores = {doc: score for doc, score in scores.items() if score + rest >= threshold}
        return heapq.nlargest(limit, scores.items(), key=itemgetter(1))

    def _query_terms(self, text: str) -> list[tuple[float, int | None]]:
        """(IDF, term id) of the informative terms of ``text``; None for a term no thread has.

        Of the terms some thread has, the MAX_QUERY_TERMS of highest IDF (ties: the first in
        term order). Computed once per text for as long as no thread is added (search() and
        people() both ask, for one need).
        """
        count = len(self._lengths)
        cached = self._query_cache
        if cached is not None and cached[0] == text and cached[1] == count:
            return cached[2]
        terms: list[tuple[float, int | None]] = []
        for term in _query_words(text):
            term_id = self._terms.get(term)
            frequency = len(self._doc_ids[term_id]) if term_id is not None else 0
            idf = math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))
            if idf >= MIN_IDF:
                terms.append((idf, term_id))
        known = [i for i, (_idf, term_id) in enumerate(terms) if term_id is not None]
        if len(known) > MAX_QUERY_TERMS:
            kept = set(sorted(known, key=lambda i: (-terms[i][0], i))[:MAX_QUERY_TERMS])
            terms = [t for i, t in enumerate(terms) if t[1] is None or i in kept]
        self._query_cache = (text, count, terms)
        return terms

    def _share(self, doc: int, terms: list[tuple[float, int | None]]) -> float:
        """How much of the query of ``terms`` document ``doc`` holds (see :meth:`_shares`)."""
        shared, count = 0.0, 0
        for idf, term_id in terms:
            if term_id is None:
                continue
            docs = self._doc_ids[term_id]
            i = bisect_left(docs, doc)
            if i < len(docs) and docs[i] == doc:
                shared += idf
                count += 1
        total = sum(idf for idf, _term in terms)
        by_count = count / len(terms) if count >= 2 else 0.0
        return max(shared / total if total else 0.0, by_count)

    def _shares(self, docs: list[int], terms: list[tuple[float, int | None]]) -> dict[int, float]:
        """Per document of ``docs``, the share of the query it holds: of the IDF of the query's
        informative terms (unseen terms counting as the rarest), or of those terms in number,
        two or more. With numpy, every document against every term at once."""
        if numpy is None or not docs or not terms:
            return {doc: self._share(doc, terms) for doc in docs} if terms else dict.fromkeys(docs, 0.0)
        top = numpy.array(docs, dtype=numpy.int32)
        shared = numpy.zeros(len(top))
        count = numpy.zeros(len(top), dtype=numpy.int64)
        for idf, term_id in terms:
            if term_id is None:
                continue
            postings = numpy.frombuffer(self._doc_ids[term_id], dtype=numpy.int32)
            if not len(postings):
                continue
            where = numpy.minimum(numpy.searchsorted(postings, top), len(postings) - 1)
            found = postings[where] == top
            shared += idf * found
            count += found
        total = sum(idf for idf, _term in terms)
        by_count = numpy.where(count >= 2, count / len(terms), 0.0)
        share = numpy.maximum(shared / total if total else shared * 0.0, by_count)
        return dict(zip(docs, share.tolist(), strict=True))

    def _search_vectorised(
        self, query: list[tuple[float, float, int]], limit: int, average: float
    ) -> list[tuple[int, float]]:
        """search() with numpy: all the postings scored and summed per document at once."""
        lengths = numpy.frombuffer(self._lengths, dtype=numpy.uint16)
        docs_parts, weight_parts = [], []
        for _ceiling, idf, term_id in query:
            docs = numpy.frombuffer(self._doc_ids[term_id], dtype=numpy.int32)
            tfs = numpy.frombuffer(self._doc_tfs[term_id], dtype=numpy.uint16).astype(numpy.float64)
            norm = K1 * (1 - B + B * lengths[docs] / average)
            docs_parts.append(docs)
            weight_parts.append(idf * tfs * (K1 + 1) / (tfs + norm))
        scores = numpy.bincount(
            numpy.concatenate(docs_parts), weights=numpy.concatenate(weight_parts), minlength=len(lengths)
        )
        if self._dead:
            if self._dead_array is None:
                self._dead_array = numpy.array(self._dead, dtype=numpy.int64)
            scores[self._dead_array] = 0.0
        return [(doc, float(scores[doc])) for doc in _top(scores, limit).tolist()]

    def _drop_removed(self, scores: dict[int, float]) -> None:
        """Take the removed documents out of ``scores`` (before they count for the threshold)."""
        if len(self._dead) <= len(scores):
            for doc in self._dead:
                scores.pop(doc, None)
        else:
            removed = self._removed
            for doc in [doc for doc in scores if removed[doc]]:
                del scores[doc]

    def _probe(
        self,
        scores: dict[int, float],
        limit: int,
        later: list[tuple[float, float, int]],
        average: float,
        weights: list[float],
    ) -> float:
        """A lower bound of the limit-th best score: the full scores of the best partial ones."""
        lengths = self._lengths
        full = []
        for doc, score in heapq.nlargest(limit, scores.items(), key=itemgetter(1)):
            for _ceiling, idf, term_id in later:
                docs = self._doc_ids[term_id]
                i = bisect_left(docs, doc)
                if i < len(docs) and docs[i] == doc:
                    tf = self._doc_tfs[term_id][i]
                    score += idf * (
                        weights[lengths[doc]] if tf == 1 else _tf_factor(tf, lengths[doc], average)
                    )
            full.append(score)
        return min(full)

    def _scan(
        self,
        scores: dict[int, float],
        docs: array[int],
        tfs: array[int],
        idf: float,
        average: float,
        weights: list[float],
    ) -> None:
        """Add one term's BM25 contribution to each of its documents."""
        lengths = self._lengths
        get = scores.get
        for doc, tf in zip(docs, tfs, strict=True):
            if tf == 1:
                scores[doc] = get(doc, 0.0) + idf * weights[lengths[doc]]
            else:
                scores[doc] = get(doc, 0.0) + idf * _tf_factor(tf, lengths[doc], average)

    def _update(
        self,
        scores: dict[int, float],
        docs: array[int],
        tfs: array[int],
        idf: float,
        average: float,
        weights: list[float],
    ) -> None:
        """Like _scan, for the documents already in ``scores`` only."""
        lengths = self._lengths
        for doc, tf in zip(docs, tfs, strict=True):
            if doc in scores:
                if tf == 1:
                    scores[doc] += idf * weights[lengths[doc]]
                else:
                    scores[doc] += idf * _tf_factor(tf, lengths[doc], average)

    def _look_up(
        self,
        scores: dict[int, float],
        docs: array[int],
        tfs: array[int],
        idf: float,
        average: float,
        weights: list[float],
    ) -> None:
        """Like _update, finding each document of ``scores`` by bisection (when they are few)."""
        lengths = self._lengths
        size = len(docs)
        for doc in scores:
            i = bisect_left(docs, doc)
            if i == size or docs[i] != doc:
                continue
            tf = tfs[i]
            if tf == 1:
                scores[doc] += idf * weights[lengths[doc]]
            else:
                scores[doc] += idf * _tf_factor(tf, lengths[doc], average)

    def people(
        self, text: str, at: datetime, exclude: set[int] | None = None, top_docs: int = TOP_DOCS
    ) -> dict[int, TextEvidence]:
        """Per person: their text evidence (score, threads matched, best document, close threads).

        A thread is close when the terms it shares with ``text`` carry at least CLOSE_SHARE of
        the IDF of ``text``'s informative terms (or are that share of them, two or more): IDF
        relative to this collection, so "pod" weighs little against "kubernetes", which no
        coffee thread has.
        """
        result: dict[int, TextEvidence] = {}
        now = at.timestamp()
        starts, people, weights = self._helper_start, self._helper_people, self._helper_weights
        skip = (exclude or set()) | self._gone if self._gone else exclude
        hits = self.search(text, top_docs)
        shares = self._shares([doc for doc, _score in hits], self._query_terms(text))
        # Summed in lists, the evidence made once per person (the same sums, in the same order).
        sums: dict[int, list[Any]] = {}  # person -> [score, threads, best, close, coverage]
        rate, times = self.decay_rate, self._times
        for doc, score in hits:
            age = max(now - times[doc], 0.0)
            decayed = score * math.exp(-rate * age)
            share = shares[doc]
            close = share >= CLOSE_SHARE
            for i in range(starts[doc], starts[doc + 1]):
                person = people[i]
                if skip and person in skip:
                    continue
                found = sums.get(person)
                if found is None:
                    sums[person] = [decayed * weights[i], 1, doc, int(close), share]
                else:
                    found[0] += decayed * weights[i]
                    found[1] += 1
                    found[3] += close
                    found[4] = max(found[4], share)
        for person, (total, threads, best, closes, coverage) in sums.items():
            result[person] = TextEvidence(total, threads, best, closes, coverage)
        return result

    def title(self, doc: int) -> str:
        """The start of the thread's question; empty for a removed thread."""
        if self._removed[doc]:
            return ""
        return self._title_bytes[self._title_start[doc] : self._title_start[doc + 1]].decode()
