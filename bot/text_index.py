"""BM25 retrieval over past help threads, aggregated per helper.

A need with no recognised skill still finds people: its words are matched against the
questions (and answers) of threads people helped with. The index lives in memory in compact
arrays — about 10 bytes per (term, thread) pair — and grows as new threads arrive.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from skills_db.terms import content_words
from skills_db.textnorm import stem

K1 = 1.2
B = 0.75
TOP_DOCS = 300  # threads whose helpers are credited for one query
MAX_DOC_CHARS = 4000


def index_terms(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: folded, stemmed, without stopwords."""
    return [stem(t) for t in content_words(text[:MAX_DOC_CHARS])]


@dataclass(frozen=True)
class ThreadHit:
    thread_id: int
    score: float
    text: str


class TextIndex:
    def __init__(self, half_life_days: float) -> None:
        self.decay_rate = math.log(2) / (half_life_days * 86400)
        self._terms: dict[str, int] = {}
        self._doc_ids: list[array[int]] = []  # per term: document numbers
        self._doc_tfs: list[array[int]] = []  # per term: term frequencies
        self._lengths = array("H")
        self._times = array("d")  # epoch seconds
        self._thread_ids = array("q")
        self._helpers: list[tuple[tuple[int, float], ...]] = []  # (person, weight) per document
        self._titles: list[str] = []
        self._total_length = 0
        # Decayed activity per person, relative to _epoch: sum of weight * exp(rate * (t - epoch)).
        self._activity: dict[int, float] = defaultdict(float)
        self._epoch: float | None = None
        self._most_active: list[int] | None = None
        self.max_thread_id = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, thread_id: int, text: str, created_at: datetime, helpers: list[tuple[int, float]]) -> None:
        terms = index_terms(text)
        counts: dict[int, int] = defaultdict(int)
        for term in terms:
            term_id = self._terms.get(term)
            if term_id is None:
                term_id = self._terms[term] = len(self._doc_ids)
                self._doc_ids.append(array("i"))
                self._doc_tfs.append(array("H"))
            counts[term_id] += 1
        doc = len(self._lengths)
        for term_id, count in counts.items():
            self._doc_ids[term_id].append(doc)
            self._doc_tfs[term_id].append(min(count, 65535))
        self._lengths.append(min(len(terms), 65535))
        self._total_length += min(len(terms), 65535)
        when = created_at.timestamp()
        self._times.append(when)
        self._thread_ids.append(thread_id)
        self._helpers.append(tuple(helpers))
        self._titles.append(" ".join(text[:120].split()))
        if self._epoch is None:
            self._epoch = when
        for person, weight in helpers:
            self._activity[person] += weight * math.exp(self.decay_rate * (when - self._epoch))
        self._most_active = None
        self.max_thread_id = max(self.max_thread_id, thread_id)

    def activity(self, person: int, at: datetime) -> float:
        """Help given by ``person``, each piece decayed by its age at ``at``."""
        if self._epoch is None:
            return 0.0
        return self._activity.get(person, 0.0) * math.exp(-self.decay_rate * (at.timestamp() - self._epoch))

    def most_active(self, count: int) -> list[int]:
        """The people who helped most lately (the order does not depend on the time of asking)."""
        if self._most_active is None or len(self._most_active) < count:
            self._most_active = heapq.nlargest(count, self._activity, key=self._activity.__getitem__)
        return self._most_active[:count]

    def search(self, text: str, limit: int = TOP_DOCS) -> list[tuple[int, float]]:
        """(document, BM25 score) of the best matching documents."""
        count = len(self._lengths)
        if not count:
            return []
        average = max(self._total_length / count, 1.0)
        scores: dict[int, float] = defaultdict(float)
        for term in set(index_terms(text)):
            term_id = self._terms.get(term)
            if term_id is None:
                continue
            docs, tfs = self._doc_ids[term_id], self._doc_tfs[term_id]
            frequency = len(docs)
            idf = math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))
            if idf < 0.1:
                continue  # in almost every thread: says nothing, costs much
            lengths = self._lengths
            for doc, tf in zip(docs, tfs, strict=True):
                norm = K1 * (1 - B + B * lengths[doc] / average)
                scores[doc] += idf * tf * (K1 + 1) / (tf + norm)
        return heapq.nlargest(limit, scores.items(), key=lambda item: item[1])

    def people(
        self, text: str, at: datetime, exclude: set[int] | None = None, top_docs: int = TOP_DOCS
    ) -> dict[int, tuple[float, int, int]]:
        """Per person: (text evidence score, threads matched, best document)."""
        result: dict[int, tuple[float, int, int]] = {}
        for doc, score in self.search(text, top_docs):
            age = max(at.timestamp() - self._times[doc], 0.0)
            decayed = score * math.exp(-self.decay_rate * age)
            for person, weight in self._helpers[doc]:
                if exclude and person in exclude:
                    continue
                total, matched, best = result.get(person, (0.0, 0, doc))
                result[person] = (total + decayed * weight, matched + 1, best)
        return result

    def title(self, doc: int) -> str:
        return self._titles[doc]
