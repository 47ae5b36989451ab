"""What each person's help so far says, whatever the topic: how much and how lately they answered
(at several time scales), how often their answer solved the question, in which channels, and
whom they helped.

Every community has this evidence, whatever it talks about: the matcher's model
(:mod:`bot.matching.model`) weighs it beside the evidence on the need's topic. Sums decay with
their half-life relative to a fixed epoch (as :class:`~bot.matching.text_index.TextIndex` does),
so adding an answer costs the same whatever the history, and time passing changes nothing stored.
"""

from __future__ import annotations

import heapq
import math
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

HALF_LIVES_DAYS = (2.0, 7.0, 14.0, 30.0, 180.0)  # recency at several time scales, days to months
MONTH = HALF_LIVES_DAYS.index(30.0)
SOLVED_HALF_LIFE_DAYS = 180.0
PACED = (10, 30, 100)  # the community's latest answers, for HelpHistory.paced
MAX_EXPONENT = 600.0  # past this, sums are re-based on a later epoch (exp(700) overflows a float)

# One person's help at a time: their answers at each time scale (HelpHistory.recent), and
# (solved lately, answers ever, days since their latest answer, share in the need's channel).
Figures = tuple[list[float], tuple[float, int, float, float]]

# The history is saved in the index snapshot (bot.matching.snapshot) and read back at every
# start: tens of thousands of people and threads. Counts are therefore plain dicts (a Counter
# is rebuilt through Python when unpickled), and a thread's answers and a person's times are
# bytes: 0.44 s of a 0.6 s snapshot at 30,000 people went to this module's objects.


@dataclass
class _Person:
    recent: list[float] = field(default_factory=lambda: [0.0] * len(HALF_LIVES_DAYS))
    solved: float = 0.0
    answers: int = 0
    last: float = -math.inf  # epoch seconds of their latest answer
    channels: dict[str, int] = field(default_factory=dict)
    helped: dict[int, int] = field(default_factory=dict)  # asker -> threads answered for them
    moments: _Moments = field(default_factory=lambda: _Moments())  # of each of their answers

    def __reduce__(self) -> tuple[type[_Person], tuple[Any, ...]]:
        # Rebuilt by its constructor: 15 % faster to read back than a state dict per person.
        fields = (self.recent, self.solved, self.answers, self.last, self.channels, self.helped)
        return _Person, (*fields, self.moments)


# One thread's answers, as counted here (kept to take them back when the thread goes):
# (asker, channel, answers), the answers packed with ANSWER, one (person, solved, epoch
# seconds) after the other: three objects per thread rather than eight to read back.
Contribution = tuple[int | None, str, bytes]
ANSWER = struct.Struct("<q?d")


class HelpHistory:
    def __init__(self) -> None:
        self._rates = [math.log(2) / (days * 86400) for days in HALF_LIVES_DAYS]
        self._solved_rate = math.log(2) / (SOLVED_HALF_LIFE_DAYS * 86400)
        self._epoch: float | None = None
        self._people: dict[int, _Person] = {}
        self._threads: dict[int, Contribution] = {}
        self._helpers_of: dict[int, dict[int, int]] = {}  # asker -> helpers -> threads
        # Every answer's time, whoever gave it (see paced): kept when someone is forgotten, as
        # the community's pace, linked to nobody.
        self._moments = _Moments()
        # The most active at the middle time scale, kept up to date as answers come (the order
        # does not depend on the time of asking: every sum decays alike).
        self._top: list[int] | None = None
        self._top_count = 0

    def add(
        self, thread_id: int, asker: int | None, channel: str, answers: Iterable[tuple[int, bool, datetime]]
    ) -> None:
        """Count a thread's answers: one per person (their first), solved if any of theirs solved it."""
        firsts: dict[int, tuple[bool, float]] = {}
        for person, solved, when in answers:
            if person == asker:
                continue  # the asker's own replies are not help given
            moment = when.timestamp()
            seen = firsts.get(person)
            if seen is not None:
                solved, moment = solved or seen[0], min(moment, seen[1])
            firsts[person] = (solved, moment)
        packed = b"".join(ANSWER.pack(p, s, t) for p, (s, t) in firsts.items())
        contribution: Contribution = (asker, channel, packed)
        self.remove(thread_id)
        self._threads[thread_id] = contribution
        self._apply(contribution, 1)

    def remove(self, thread_id: int) -> None:
        contribution = self._threads.pop(thread_id, None)
        if contribution is not None:
            self._apply(contribution, -1)

    def forget(self, person: int) -> None:
        self._top = None
        self._people.pop(person, None)
        for helpers in self._helpers_of.values():
            helpers.pop(person, None)
        self._helpers_of.pop(person, None)

    def _apply(self, contribution: Contribution, sign: int) -> None:
        asker, channel, packed = contribution
        answers: list[tuple[int, bool, float]] = list(ANSWER.iter_unpack(packed))
        for person, solved, when in answers:
            if self._epoch is None:
                self._epoch = when
            if (when - self._epoch) * self._rates[0] > MAX_EXPONENT:
                self._rebase(when)
            entry = self._people.setdefault(person, _Person())
            age = when - self._epoch
            for i, rate in enumerate(self._rates):
                entry.recent[i] = max(entry.recent[i] + sign * math.exp(rate * age), 0.0)
            if solved:
                entry.solved = max(entry.solved + sign * math.exp(self._solved_rate * age), 0.0)
            entry.answers += sign
            if sign > 0:
                entry.last = max(entry.last, when)
                entry.moments.add(when)
                self._moments.add(when)
            else:
                entry.moments.discard(when)
                self._moments.discard(when)
            if channel:
                entry.channels[channel] = entry.channels.get(channel, 0) + sign
            if asker is not None:
                entry.helped[asker] = entry.helped.get(asker, 0) + sign
                helpers = self._helpers_of.setdefault(asker, {})
                helpers[person] = helpers.get(person, 0) + sign
        if sign < 0:
            self._top = None
        elif self._top is not None:  # only these people gained: the new leaders are among them
            pool = set(self._top).union(p for p, _s, _t in answers)
            self._top = sorted(pool, key=self._sort_key)[: self._top_count]

    def _rebase(self, epoch: float) -> None:
        assert self._epoch is not None
        shift = epoch - self._epoch
        for entry in self._people.values():
            rates = zip(entry.recent, self._rates, strict=True)
            entry.recent = [value * math.exp(-rate * shift) for value, rate in rates]
            entry.solved *= math.exp(-self._solved_rate * shift)
        self._epoch = epoch

    def recent(self, person: int, at: datetime) -> list[float]:
        """Answers at each time scale of HALF_LIVES_DAYS, each decayed by its age at ``at``."""
        return self.figures([person], at, "")[person][0]

    def facts(self, person: int, at: datetime, channel: str) -> tuple[float, int, float, float]:
        """(solved lately, answers ever, days since their latest answer, share of answers in ``channel``)."""
        return self.figures([person], at, channel)[person][1]

    def figures(self, people: Iterable[int], at: datetime, channel: str) -> dict[int, Figures]:
        """Per person, :meth:`recent` and :meth:`facts` at ``at``: the decay of each time scale
        computed once for them all (ranking asks for some 200 people per need)."""
        nobody: Figures = ([0.0] * len(self._rates), (0.0, 0, math.inf, 0.0))
        if self._epoch is None:
            return {person: nobody for person in people}
        now = at.timestamp()
        age = now - self._epoch
        decays = [math.exp(-rate * age) for rate in self._rates]
        solved_decay = math.exp(-self._solved_rate * age)
        found: dict[int, Figures] = {}
        for person in people:
            entry = self._people.get(person)
            if entry is None:
                found[person] = nobody
                continue
            recent = [value * decay for value, decay in zip(entry.recent, decays, strict=True)]
            idle = max(now - entry.last, 0.0) / 86400
            answers = entry.answers
            share = entry.channels.get(channel, 0) / answers if channel and answers > 0 else 0.0
            found[person] = (recent, (entry.solved * solved_decay, max(answers, 0), idle, share))
        return found

    def paced(self, person: int, at: datetime) -> tuple[float, ...]:
        """Recency counted in the community's own pace rather than in days: the share of the
        community's last answers before ``at`` (PACED: 10, 30, 100 of them) that were theirs,
        then how many answers it gave since their latest. A quiet community's month is a busy
        one's afternoon: half-lives in days cannot suit both (fitted leave-one-community-out,
        these took the model from 1.06x to 1.09x the best live baseline, see bench.quality)."""
        entry = self._people.get(person)
        if entry is None or not entry.answers:
            return (*([0.0] * len(PACED)), math.inf)
        now = at.timestamp()
        everyone, theirs = self._moments.ordered(), entry.moments.ordered()
        end, mine_end = bisect_right(everyone, now), bisect_right(theirs, now)
        shares = []
        for count in PACED:
            start = everyone[max(end - count, 0)] if end else now
            shares.append((mine_end - bisect_left(theirs, start)) / count)
        since = end - bisect_right(everyone, theirs[mine_end - 1]) if mine_end else math.inf
        return (*shares, float(since))

    def helped(self, person: int, asker: int) -> int:
        entry = self._people.get(person)
        return max(entry.helped.get(asker, 0), 0) if entry is not None else 0

    def near(self, asker: int) -> Counter[int]:
        """How often each person helped the asker's neighbours: those who helped the asker, and
        those the asker helped (people who work close to them)."""
        neighbours = set(self._helpers_of.get(asker, ()))
        entry = self._people.get(asker)
        if entry is not None:
            neighbours.update(p for p, n in entry.helped.items() if n > 0)
        found: Counter[int] = Counter()
        for neighbour in neighbours:
            for person, count in self._helpers_of.get(neighbour, {}).items():
                if count > 0 and person != asker:
                    found[person] += count
        return found

    def _sort_key(self, person: int) -> tuple[float, int]:
        entry = self._people.get(person)
        return (-entry.recent[MONTH] if entry else 0.0), person

    def most_recent(self, count: int) -> list[int]:
        """The ``count`` people who answered most lately (the 30-day time scale)."""
        if self._top is None or self._top_count < count:
            self._top = heapq.nsmallest(count, self._people, key=self._sort_key)
            self._top_count = count
        return [p for p in self._top[:count] if p in self._people and self._people[p].recent[MONTH] > 0]


class _Moments:
    """Times (epoch seconds) in a compact array, sorted when next read: answers mostly come in
    time order (appended), and a history loaded out of order is sorted once, not per answer."""

    __slots__ = ("_sorted", "_values")

    def __init__(self, values: bytes = b"", ordered: bool = True) -> None:
        self._values = array("d", values)
        self._sorted = ordered

    def __reduce__(self) -> tuple[type[_Moments], tuple[bytes, bool]]:
        # As bytes: an array is unpickled through a Python-level call, bytes are not.
        return _Moments, (self._values.tobytes(), self._sorted)

    def add(self, when: float) -> None:
        if self._values and when < self._values[-1]:
            self._sorted = False
        self._values.append(when)

    def discard(self, when: float) -> None:
        values = self.ordered()
        i = bisect_left(values, when)
        if i < len(values) and values[i] == when:
            del values[i]

    def ordered(self) -> array[float]:
        if not self._sorted:
            self._values = array("d", sorted(self._values))
            self._sorted = True
        return self._values
