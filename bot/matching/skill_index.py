"""Skill evidence held in memory: per skill and person, what their claims add up to.

A popular skill has tens of thousands of claims, and its most active helpers hundreds each:
reading them from the database for every need costs seconds. This index reads every claim once,
then only the new ones (by id), like the text index reads threads, and keeps per skill and
person: the claims' weights summed (each decayed with the skill half-life, relative to a fixed
epoch, so that time passing changes nothing stored), the strongest self-declaration, how many
claims of each kind, and when each claim that is not a declaration was made (for "recently").

Removals come through the change feed (:mod:`skills_db.storage.feed`), which the matcher
applies before each need: a forgotten person is dropped, a withdrawn declaration read again.
"""

from __future__ import annotations

import heapq
import math
import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from skills_db.storage.feed import ClaimTuple
from skills_db.storage.models import ClaimSource

# How much one claim weighs, by source: a self-declaration least, help actually given most.
SOURCE_WEIGHTS = {
    ClaimSource.DECLARED.value: 1.0,
    ClaimSource.IMPORTED.value: 2.0,
    ClaimSource.ENDORSED.value: 2.0,
    ClaimSource.HELPED.value: 4.0,
}
KINDS = (ClaimSource.ENDORSED.value, ClaimSource.HELPED.value, ClaimSource.IMPORTED.value)
DEMONSTRATED = frozenset({KINDS.index(ClaimSource.HELPED.value), KINDS.index(ClaimSource.IMPORTED.value)})
_HEAD = struct.Struct("<qqq")  # a packed _Holders: its people, claims read at start, claims read later


@dataclass(frozen=True)
class Evidence:
    """One person's claims on one skill, as of a time."""

    weight: float  # the claims that are not declarations: sum of source weight * weight, decayed
    declared: float  # the strongest self-declaration, decayed (0: none)
    counts: tuple[int, int, int]  # claims per kind, in KINDS order
    recent: tuple[int, int, int]  # of which made since the given time

    @property
    def demonstrated(self) -> bool:
        return any(self.counts[k] for k in DEMONSTRATED)


@dataclass
class _Holders:
    """The people with claims on one skill, by ascending id."""

    people: array[int] = field(default_factory=lambda: array("q"))
    weights: array[float] = field(default_factory=lambda: array("d"))  # relative to the epoch
    latest: array[float] = field(default_factory=lambda: array("d"))  # their latest claim
    declared: array[float] = field(default_factory=lambda: array("d"))  # the declaration's weight…
    declared_at: array[float] = field(default_factory=lambda: array("d"))  # …and time
    counts: tuple[array[int], ...] = field(default_factory=lambda: tuple(array("i") for _ in KINDS))
    # The claims read at start, person by person: person i's are [start[i]:start[i + 1]] of
    # times, kinds and claim_weights, oldest first; the ones read later are in `later`.
    start: array[int] = field(default_factory=lambda: array("q", [0]))
    times: array[float] = field(default_factory=lambda: array("d"))
    kinds: bytearray = field(default_factory=bytearray)
    claim_weights: array[float] = field(default_factory=lambda: array("d"))
    later: dict[int, list[tuple[float, int, float]]] = field(default_factory=dict)
    best: list[int] | None = None  # positions, the strongest first (cached)

    def position(self, person: int, create: bool) -> int:
        people = self.people
        i = bisect_left(people, person)
        if i < len(people) and people[i] == person:
            return i
        if not create:
            return -1
        people.insert(i, person)
        self.weights.insert(i, 0.0)
        self.latest.insert(i, -math.inf)
        self.declared.insert(i, 0.0)
        self.declared_at.insert(i, 0.0)
        for counts in self.counts:
            counts.insert(i, 0)
        self.start.insert(i, self.start[i])
        return i

    def empty(self, i: int) -> bool:
        """Whether the person at position ``i`` has no claim left here."""
        return (
            not self.declared[i]
            and not any(counts[i] for counts in self.counts)
            and self.start[i] == self.start[i + 1]
            and self.people[i] not in self.later
        )

    def drop(self, i: int) -> None:
        """Remove the person at position ``i``, and every claim of theirs."""
        self.later.pop(self.people[i], None)
        columns: tuple[array[Any], ...] = (
            self.people,
            self.weights,
            self.latest,
            self.declared,
            self.declared_at,
            *self.counts,
        )
        for values in columns:
            del values[i]
        start = self.start
        low, high = start[i], start[i + 1]
        if high > low:
            del self.times[low:high]
            del self.kinds[low:high]
            del self.claim_weights[low:high]
            count = high - low
            for k in range(i + 2, len(start)):
                start[k] -= count
        del start[i + 1]
        self.best = None

    def packed(self) -> bytes:
        """Every column in one bytes object (see :meth:`SkillIndex.__getstate__`)."""
        later = [(person, *claim) for person, claims in self.later.items() for claim in claims]
        columns: list[array[Any]] = [
            self.people,
            self.weights,
            self.latest,
            self.declared,
            self.declared_at,
            *self.counts,
            self.start,
            self.times,
            array("b", self.kinds),
            self.claim_weights,
            array("q", [claim[0] for claim in later]),
            array("d", [claim[1] for claim in later]),
            array("b", [claim[2] for claim in later]),
            array("d", [claim[3] for claim in later]),
        ]
        head = _HEAD.pack(len(self.people), len(self.times), len(later))
        return head + b"".join(column.tobytes() for column in columns)

    @classmethod
    def unpacked(cls, packed: bytes) -> _Holders:
        people, claims, later = _HEAD.unpack_from(packed)
        view, at = memoryview(packed), _HEAD.size

        def take(typecode: str, count: int) -> array[Any]:
            nonlocal at
            column = array(typecode)
            end = at + column.itemsize * count
            column.frombytes(view[at:end])
            at = end
            return column

        holders = cls(
            take("q", people),
            take("d", people),
            take("d", people),
            take("d", people),
            take("d", people),
            tuple(take("i", people) for _ in KINDS),
            take("q", people + 1),
            take("d", claims),
            bytearray(take("b", claims).tobytes()),
            take("d", claims),
        )
        persons, times, kinds = take("q", later), take("d", later), take("b", later)
        for person, when, kind, weight in zip(persons, times, kinds, take("d", later), strict=True):
            holders.later.setdefault(person, []).append((when, kind, weight))
        return holders


class SkillIndex:
    def __init__(self, half_life_days: float) -> None:
        self.rate = math.log(2) / (half_life_days * 86400)
        self._epoch: float | None = None
        # A skill's holders read back from the index snapshot stay packed (bytes) until a need
        # asks for the skill: 6,000 skills of 14 arrays each took 0.1 s of every start.
        self._skills: dict[str, _Holders | bytes] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        state["_skills"] = {
            skill: holders if isinstance(holders, bytes) else holders.packed()
            for skill, holders in self._skills.items()
        }
        return state

    def _holders(self, skill: str) -> _Holders | None:
        holders = self._skills.get(skill)
        if isinstance(holders, bytes):
            holders = self._skills[skill] = _Holders.unpacked(holders)
        return holders

    def _all(self) -> Iterator[_Holders]:
        for skill in list(self._skills):
            holders = self._holders(skill)
            assert holders is not None
            yield holders

    def __len__(self) -> int:
        return sum(len(h.people) for h in self._all())

    def add(
        self, claims: Iterable[ClaimTuple], *, appending: bool = False, ids: array[int] | None = None
    ) -> None:
        """Take in claims; ``appending``: the index is empty and they come sorted by skill,
        person and time (the first read), so they are appended rather than inserted. The claim
        ids are appended to ``ids``, if given (for the reader's cursor)."""
        note = (array("q") if ids is None else ids).append
        for claim_id, person, skill, source, weight, when in claims:
            note(claim_id)
            if self._epoch is None:
                self._epoch = when
            value = weight * math.exp(self.rate * (when - self._epoch))
            holders = self._holders(skill)
            if holders is None:
                holders = self._skills[skill] = _Holders()
            people = holders.people
            if appending and (not people or people[-1] < person):
                people.append(person)
                holders.weights.append(0.0)
                holders.latest.append(-math.inf)
                holders.declared.append(0.0)
                holders.declared_at.append(0.0)
                for counts in holders.counts:
                    counts.append(0)
                holders.start.append(holders.start[-1])
            i = len(people) - 1 if appending and people[-1] == person else holders.position(person, True)
            if source == ClaimSource.DECLARED.value:
                old = holders.declared[i] * math.exp(self.rate * (holders.declared_at[i] - self._epoch))
                if not holders.declared[i] or value > old:
                    holders.declared[i], holders.declared_at[i] = weight, when
            else:
                kind = KINDS.index(source) if source in KINDS else 0
                holders.weights[i] += SOURCE_WEIGHTS.get(source, 1.0) * value
                holders.latest[i] = max(holders.latest[i], when)
                holders.counts[kind][i] += 1
                if appending:
                    holders.times.append(when)
                    holders.kinds.append(kind)
                    holders.claim_weights.append(weight)
                    holders.start[-1] += 1
                else:
                    holders.later.setdefault(person, []).append((when, kind, weight))
            holders.best = None

    def remove_declared(self, person: int, skill: str) -> None:
        """Forget ``person``'s declarations of ``skill`` (add the ones still standing again)."""
        holders = self._holders(skill)
        i = -1 if holders is None else holders.position(person, False)
        if holders is not None and i >= 0:
            holders.declared[i] = holders.declared_at[i] = 0.0
            holders.best = None
            if holders.empty(i):
                holders.drop(i)

    def drop_skill(self, skill: str) -> None:
        """Forget every claim on ``skill`` (its claims moved to another name: read them again)."""
        self._skills.pop(skill, None)

    def forget(self, person: int) -> None:
        """Drop every claim of ``person``: they hold no skill any more."""
        for holders in self._all():
            i = holders.position(person, False)
            if i >= 0:
                holders.drop(i)

    def strongest(self, skill: str, count: int) -> list[int]:
        """The ``count`` people with the most evidence on ``skill``: first those who demonstrated
        it, then by the decayed weight of their claims."""
        holders = self._holders(skill)
        if holders is None:
            return []
        if holders.best is None or len(holders.best) < min(count, len(holders.people)):
            weights, declared, declared_at = holders.weights, holders.declared, holders.declared_at
            epoch, rate = self._epoch or 0.0, self.rate
            shown = [holders.counts[k] for k in DEMONSTRATED]
            holders.best = heapq.nlargest(
                count,
                range(len(weights)),
                key=lambda i: (
                    any(c[i] for c in shown),
                    weights[i] + declared[i] * math.exp(rate * (declared_at[i] - epoch)),
                ),
            )
        return [holders.people[i] for i in holders.best[:count]]

    def holds(self, skill: str, person: int) -> bool:
        """Whether ``person`` has any claim on ``skill``."""
        holders = self._holders(skill)
        return holders is not None and holders.position(person, False) >= 0

    def strength(self, skill: str, person: int, at: float) -> tuple[float, bool]:
        """(weight of all claims, demonstrated) of ``person`` on ``skill``, roughly: for choosing."""
        holders = self._holders(skill)
        i = -1 if holders is None or self._epoch is None else holders.position(person, False)
        if holders is None or self._epoch is None or i < 0:
            return 0.0, False
        declared = holders.declared[i] * math.exp(self.rate * (holders.declared_at[i] - self._epoch))
        weight = (holders.weights[i] + declared) * math.exp(-self.rate * (at - self._epoch))
        return weight, any(holders.counts[k][i] for k in DEMONSTRATED)

    def strengths(self, skill: str, people: Iterable[int], at: float) -> dict[int, float]:
        """:meth:`strength`'s weight for those of ``people`` with a claim on ``skill``."""
        holders = self._holders(skill)
        if holders is None or self._epoch is None:
            return {}
        epoch, rate = self._epoch, self.rate
        declared, declared_at, weights = holders.declared, holders.declared_at, holders.weights
        decay = math.exp(-rate * (at - epoch))
        found = {}
        for person, i in _positions(holders.people, people):
            mine = declared[i] * math.exp(rate * (declared_at[i] - epoch))
            found[person] = (weights[i] + mine) * decay
        return found

    def evidence(self, skill: str, person: int, at: float, since: float) -> Evidence | None:
        """``person``'s claims on ``skill``, decayed to ``at``, those made since ``since`` apart."""
        return self.evidence_of(skill, [person], at, since).get(person)

    def evidence_of(self, skill: str, people: Iterable[int], at: float, since: float) -> dict[int, Evidence]:
        """:meth:`evidence` for those of ``people`` with a claim on ``skill`` (one need's pool:
        found by one walk rather than person by person)."""
        holders = self._holders(skill)
        if holders is None or self._epoch is None:
            return {}
        return {
            person: self._evidence(holders, i, person, at, since)
            for person, i in _positions(holders.people, people)
        }

    def _evidence(self, holders: _Holders, i: int, person: int, at: float, since: float) -> Evidence:
        assert self._epoch is not None
        rate = self.rate
        recent = [0, 0, 0]
        lo, hi = holders.start[i], holders.start[i + 1]
        for j in range(bisect_left(holders.times, since, lo, hi), hi):
            recent[holders.kinds[j]] += 1
        later = holders.later.get(person, ())
        for when, kind, _weight in later:
            if when >= since:
                recent[kind] += 1
        if holders.latest[i] <= at:
            weight = holders.weights[i] * math.exp(-rate * (at - self._epoch))
        else:  # claims dated after `at` count as made at `at`: sum them one by one
            mine = zip(holders.times[lo:hi], holders.kinds[lo:hi], holders.claim_weights[lo:hi], strict=True)
            claims = [*mine, *later]
            weight = sum(
                SOURCE_WEIGHTS[KINDS[kind]] * w * math.exp(-rate * max(at - when, 0.0))
                for when, kind, w in claims
            )
        declared = holders.declared[i] * math.exp(-rate * max(at - holders.declared_at[i], 0.0))
        return Evidence(
            weight,
            declared,
            (holders.counts[0][i], holders.counts[1][i], holders.counts[2][i]),
            (recent[0], recent[1], recent[2]),
        )


def _positions(sorted_people: array[int], people: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(person, position in ``sorted_people``) of each of ``people`` found there, in their order."""
    size = len(sorted_people)
    for person in people:
        i = bisect_left(sorted_people, person)
        if i < size and sorted_people[i] == person:
            yield person, i
