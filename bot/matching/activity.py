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
from datetime import datetime

from bot.matching.series import SortedSeries

HALF_LIVES_DAYS = (2.0, 7.0, 14.0, 30.0, 180.0)  # recency at several time scales, days to months
MONTH = HALF_LIVES_DAYS.index(30.0)
SOLVED_HALF_LIFE_DAYS = 180.0
PACED = (10, 30, 100)  # the community's latest answers, for HelpHistory.paced
MAX_EXPONENT = 600.0  # past this, sums are re-based on a later epoch (exp(700) overflows a float)

# One person's help at a time: their answers at each time scale (HelpHistory.recent), and
# (solved lately, answers ever, days since their latest answer, share in the need's channel).
Figures = tuple[list[float], tuple[float, int, float, float]]

# One thread's answers, as counted here (kept to take them back when the thread goes): the
# asker (NOBODY if none) and the channel's number in HelpHistory._channel_names, then the
# answers, one (person, solved, epoch seconds) after the other, all in one bytes object.
THREAD = struct.Struct("<qi")
ANSWER = struct.Struct("<q?d")
NOBODY = -1


class HelpHistory:
    """The help of every person, column by column: a person's figures are at their slot in
    flat arrays, not in an object of their own. The history is saved in the index snapshot
    (bot.matching.snapshot) and read back at every start: at 30,000 people, 44,000 objects of
    five containers each took 0.3 s of a 0.65 s start."""

    def __init__(self) -> None:
        self._rates = [math.log(2) / (days * 86400) for days in HALF_LIVES_DAYS]
        self._solved_rate = math.log(2) / (SOLVED_HALF_LIFE_DAYS * 86400)
        self._epoch: float | None = None
        self._slots: dict[int, int] = {}  # person -> slot
        # Per slot: answers at each time scale (len(HALF_LIVES_DAYS) values each, relative to
        # the epoch), solved ones, answers ever, and the epoch seconds of the latest answer.
        self._recent = array("d")
        self._solved = array("d")
        self._answers = array("q")
        self._last = array("d")
        self._in_channel: dict[str, dict[int, int]] = {}  # channel -> slot -> answers in it
        self._times = SortedSeries("d")  # person -> the epoch seconds of each of their answers
        # Whom each person helped, and who helped each asker: person ids, one per thread.
        self._helped = SortedSeries("q")  # helper -> askers
        self._helpers_of = SortedSeries("q")  # asker -> helpers
        self._threads: dict[int, bytes] = {}
        self._channel_names: list[str] = []
        self._channel_numbers: dict[str, int] = {}
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
        number = self._channel_numbers.get(channel)
        if number is None:
            number = self._channel_numbers[channel] = len(self._channel_names)
            self._channel_names.append(channel)
        head = THREAD.pack(NOBODY if asker is None else asker, number)
        packed = head + b"".join(ANSWER.pack(p, s, t) for p, (s, t) in firsts.items())
        self.remove(thread_id)
        self._threads[thread_id] = packed
        self._apply(packed, 1)

    def remove(self, thread_id: int) -> None:
        packed = self._threads.pop(thread_id, None)
        if packed is not None:
            self._apply(packed, -1)

    def forget(self, person: int) -> None:
        self._top = None
        slot = self._slots.pop(person, None)
        if slot is not None:
            size = len(self._rates)
            self._recent[slot * size : (slot + 1) * size] = array("d", [0.0] * size)
            self._solved[slot], self._answers[slot], self._last[slot] = 0.0, 0, -math.inf
            for counts in self._in_channel.values():
                counts.pop(slot, None)
        self._times.pop(person)
        for asker in set(self._helped.get(person)):
            self._helpers_of.discard_all(asker, person)
        for helper in set(self._helpers_of.get(person)):
            self._helped.discard_all(helper, person)
        self._helped.pop(person)
        self._helpers_of.pop(person)

    def _slot(self, person: int) -> int:
        slot = self._slots.get(person)
        if slot is None:
            slot = self._slots[person] = len(self._answers)
            self._recent.extend([0.0] * len(self._rates))
            self._solved.append(0.0)
            self._answers.append(0)
            self._last.append(-math.inf)
        return slot

    def _apply(self, packed: bytes, sign: int) -> None:
        asker, number = THREAD.unpack_from(packed)
        channel = self._channel_names[number]
        answers: list[tuple[int, bool, float]] = list(ANSWER.iter_unpack(packed[THREAD.size :]))
        recent, size = self._recent, len(self._rates)
        for person, solved, when in answers:
            if self._epoch is None:
                self._epoch = when
            if (when - self._epoch) * self._rates[0] > MAX_EXPONENT:
                self._rebase(when)
            slot = self._slot(person)
            age = when - self._epoch
            for i, rate in enumerate(self._rates, slot * size):
                recent[i] = max(recent[i] + sign * math.exp(rate * age), 0.0)
            if solved:
                self._solved[slot] = max(self._solved[slot] + sign * math.exp(self._solved_rate * age), 0.0)
            self._answers[slot] += sign
            if sign > 0:
                self._last[slot] = max(self._last[slot], when)
                self._times.add(person, when)
                self._moments.add(when)
            else:
                self._times.discard(person, when)
                self._moments.discard(when)
            if channel:
                counts = self._in_channel.setdefault(channel, {})
                counts[slot] = counts.get(slot, 0) + sign
            if asker != NOBODY:
                if sign > 0:
                    self._helped.add(person, asker)
                    self._helpers_of.add(asker, person)
                else:
                    self._helped.discard(person, asker)
                    self._helpers_of.discard(asker, person)
        if sign < 0:
            self._top = None
        elif self._top is not None:  # only these people gained: the new leaders are among them
            pool = set(self._top).union(p for p, _s, _t in answers)
            self._top = sorted(pool, key=self._sort_key)[: self._top_count]

    def _rebase(self, epoch: float) -> None:
        assert self._epoch is not None
        shift = epoch - self._epoch
        factors = [math.exp(-rate * shift) for rate in self._rates]
        size = len(factors)
        # In place: _apply holds these arrays while it adds a thread's answers, and a re-base
        # can come between two of them.
        self._recent[:] = array("d", (value * factors[i % size] for i, value in enumerate(self._recent)))
        solved = math.exp(-self._solved_rate * shift)
        self._solved[:] = array("d", (value * solved for value in self._solved))
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
        size = len(decays)
        solved_decay = math.exp(-self._solved_rate * age)
        in_channel = self._in_channel.get(channel, {}) if channel else {}
        recent_all = self._recent
        found: dict[int, Figures] = {}
        for person in people:
            slot = self._slots.get(person)
            if slot is None:
                found[person] = nobody
                continue
            values = recent_all[slot * size : (slot + 1) * size]
            recent = [value * decay for value, decay in zip(values, decays, strict=True)]
            idle = max(now - self._last[slot], 0.0) / 86400
            answers = self._answers[slot]
            share = in_channel.get(slot, 0) / answers if answers > 0 else 0.0
            found[person] = (recent, (self._solved[slot] * solved_decay, max(answers, 0), idle, share))
        return found

    def paced(self, person: int, at: datetime) -> tuple[float, ...]:
        """Recency counted in the community's own pace rather than in days: the share of the
        community's last answers before ``at`` (PACED: 10, 30, 100 of them) that were theirs,
        then how many answers it gave since their latest. A quiet community's month is a busy
        one's afternoon: half-lives in days cannot suit both (fitted leave-one-community-out,
        these took the model from 1.06x to 1.09x the best live baseline, see bench.quality)."""
        return self.paced_of([person], at)[person]

    def paced_of(self, people: Iterable[int], at: datetime) -> dict[int, tuple[float, ...]]:
        """:meth:`paced` of each of ``people``: where the community's last answers start worked
        out once for them all (a need's pool is some 200 people)."""
        nobody = (*([0.0] * len(PACED)), math.inf)
        now = at.timestamp()
        everyone = self._moments.ordered()
        end = bisect_right(everyone, now)
        windows = [(everyone[max(end - count, 0)] if end else now, count) for count in PACED]
        slots, answers, times = self._slots, self._answers, self._times
        found: dict[int, tuple[float, ...]] = {}
        for person in people:
            slot = slots.get(person)
            if slot is None or not answers[slot]:
                found[person] = nobody
                continue
            theirs = times.get(person)
            mine_end = bisect_right(theirs, now)
            shares = [(mine_end - bisect_left(theirs, start)) / count for start, count in windows]
            since = end - bisect_right(everyone, theirs[mine_end - 1]) if mine_end else math.inf
            found[person] = (*shares, float(since))
        return found

    def helped(self, person: int, asker: int) -> int:
        """How many of ``asker``'s threads ``person`` answered."""
        return self._helpers_of.count(asker, person)

    def near(self, asker: int) -> Counter[int]:
        """How often each person helped the asker's neighbours: those who helped the asker, and
        those the asker helped (people who work close to them)."""
        neighbours = set(self._helpers_of.get(asker))
        neighbours.update(self._helped.get(asker))
        found: Counter[int] = Counter()
        for neighbour in neighbours:
            found.update(self._helpers_of.get(neighbour))
        found.pop(asker, None)
        return found

    def _sort_key(self, person: int) -> tuple[float, int]:
        slot = self._slots.get(person)
        return (-self._recent[slot * len(self._rates) + MONTH] if slot is not None else 0.0), person

    def most_recent(self, count: int) -> list[int]:
        """The ``count`` people who answered most lately (the 30-day time scale)."""
        if self._top is None or self._top_count < count:
            self._top = heapq.nsmallest(count, self._slots, key=self._sort_key)
            self._top_count = count
        size, slots = len(self._rates), self._slots
        return [p for p in self._top[:count] if p in slots and self._recent[slots[p] * size + MONTH] > 0]


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
