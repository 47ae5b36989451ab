"""The baselines of bench.quality, run live like Entraide: each learns every reply as it comes.

- most active: who answered the most threads so far;
- most active lately: the same, each answer decayed with a 14-day half-life;
- BM25: past threads (question and answers) scored against the need, summed per replier;
- routes: the 3 most active lately who still have room under the weekly cap, and the oracle
  under the same cap (the real repliers who have room: the ceiling of any routing).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.matching.text_index import TextIndex

LATELY_HALF_LIFE = timedelta(days=14)
WEEK = timedelta(days=7)


class Ledger:
    """Asks per person over the last 7 days, as a weekly cap counts them."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._asks: defaultdict[str, deque[datetime]] = defaultdict(deque)
        self.most = 0  # the most asks anyone had within one week

    def asks(self, who: str, at: datetime) -> int:
        """How many times ``who`` was asked in the 7 days up to ``at``."""
        window = self._asks[who]
        while window and window[0] <= at - WEEK:
            window.popleft()
        return len(window)

    def has_room(self, who: str, at: datetime) -> bool:
        return self.asks(who, at) < self.cap

    def ask(self, people: Iterable[str], at: datetime) -> None:
        for who in people:
            self.has_room(who, at)  # drops what is a week old
            self._asks[who].append(at)
            self.most = max(self.most, len(self._asks[who]))


class LiveBaselines:
    def __init__(self, cap: int) -> None:
        self._answered: Counter[str] = Counter()
        self._lately: dict[str, float] = {}  # relative to _epoch
        self._rate = math.log(2) / LATELY_HALF_LIFE.total_seconds()
        self._epoch: float | None = None
        self._bm25 = TextIndex(half_life_days=1e9)
        self._threads: dict[str, tuple[int, str, datetime, str | None, set[str], list[str]]] = {}
        self._numbers: dict[str, int] = {}
        self._handles: list[str] = []
        self.lately_route = Ledger(cap)
        self.oracle_route = Ledger(cap)

    def _person(self, who: str) -> int:
        number = self._numbers.get(who)
        if number is None:
            number = self._numbers[who] = len(self._handles)
            self._handles.append(who)
        return number

    def thread(self, key: str, question: str, asker: str | None, created: datetime) -> None:
        """A question: searchable by BM25 once someone answered it."""
        self._threads[key] = (len(self._threads) + 1, question, created, asker, set(), [])

    def reply(self, key: str, author: str, text: str, at: datetime) -> None:
        number, question, created, asker, repliers, texts = self._threads[key]
        if author == asker:
            return
        texts.append(text)
        if author not in repliers:
            repliers.add(author)
            self._answered[author] += 1
            moment = at.timestamp()
            if self._epoch is None:
                self._epoch = moment
            self._lately[author] = self._lately.get(author, 0.0) + math.exp(
                self._rate * (moment - self._epoch)
            )
        self._bm25.remove(number)
        helpers = [(self._person(who), 1.0) for who in sorted(repliers)]
        self._bm25.add(number, " ".join([question, *texts]), created, helpers)

    def most_active(self, asker: str | None, depth: int) -> list[str]:
        return [who for who, _n in self._answered.most_common(depth + 1) if who != asker][:depth]

    def most_active_lately(self, asker: str | None, depth: int) -> list[str]:
        ranked = sorted(self._lately, key=lambda who: (-self._lately[who], who))
        return [who for who in ranked if who != asker][:depth]

    def bm25(self, text: str, at: datetime, asker: str | None, depth: int) -> list[str]:
        found = self._bm25.people(text, at, top_docs=len(self._bm25))
        ranked = sorted(found, key=lambda p: -found[p].score)
        return [w for w in (self._handles[p] for p in ranked) if w != asker][:depth]

    def route_lately(self, at: datetime, asker: str | None, count: int = 3) -> list[str]:
        """The ``count`` most active lately who still have room this week (then asked)."""
        ledger = self.lately_route
        chosen = [w for w in self.most_active_lately(asker, 10_000) if ledger.has_room(w, at)][:count]
        ledger.ask(chosen, at)
        return chosen

    def route_oracle(self, truth: set[str], at: datetime, count: int = 3) -> list[str]:
        """Those who really answered, with room this week (then asked): the ceiling."""
        ledger = self.oracle_route
        chosen = [w for w in sorted(truth) if ledger.has_room(w, at)][:count]
        ledger.ask(chosen, at)
        return chosen
