"""Many short sorted series of numbers, one per key, held in two flat arrays.

The matcher keeps, per person, the times of their answers and the people they helped: tens of
thousands of small arrays. Read back from the index snapshot (:mod:`bot.matching.snapshot`)
at every start, each array is one more object to build (50 ms for 44,000 of them at 30,000
people). Here every series read from a snapshot stays a slice of one shared array, and only
those that change afterwards get an array of their own; saved again, they are all packed back
into the shared one.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from itertools import chain
from typing import Any


class SortedSeries:
    """key -> an ascending series of numbers (``typecode`` of :mod:`array`: "d" or "q"),
    repeats allowed."""

    __slots__ = ("_bounds", "_index", "_own", "_typecode", "_values")

    def __init__(self, typecode: str) -> None:
        self._typecode = typecode
        # Packed: key k's series is _values[_bounds[i]:_bounds[i + 1]] for i = _index[k] ...
        self._index: dict[int, int] = {}
        self._bounds = array("q", [0])
        self._values: array[Any] = array(typecode)
        # ... unless it changed since it was packed: then it is here, whole, and not in _index.
        self._own: dict[int, array[Any]] = {}

    def get(self, key: int) -> array[Any]:
        """The series of ``key``, ascending (empty if none); not to be changed by the caller."""
        own = self._own.get(key)
        if own is not None:
            return own
        i = self._index.get(key)
        if i is None:
            return array(self._typecode)
        return self._values[self._bounds[i] : self._bounds[i + 1]]

    def __contains__(self, key: int) -> bool:
        return key in self._own or key in self._index

    def __iter__(self) -> Iterator[int]:
        """The keys."""
        return chain(self._index, self._own)

    def _mine(self, key: int) -> array[Any]:
        own = self._own.get(key)
        if own is None:
            own = self._own[key] = self.get(key)
            self._index.pop(key, None)  # its packed slice is dead until the next packing
        return own

    def add(self, key: int, value: float) -> None:
        series = self._mine(key)
        if series and value < series[-1]:
            insort(series, value)
        else:
            series.append(value)  # mostly: times come in order

    def discard(self, key: int, value: float) -> None:
        """Take one occurrence of ``value`` out of the series of ``key``, if there is one."""
        if key not in self:
            return
        series = self._mine(key)
        i = bisect_left(series, value)
        if i < len(series) and series[i] == value:
            del series[i]

    def discard_all(self, key: int, value: float) -> None:
        """Take every occurrence of ``value`` out of the series of ``key``."""
        if key not in self:
            return
        series = self._mine(key)
        del series[bisect_left(series, value) : bisect_right(series, value)]

    def count(self, key: int, value: float) -> int:
        """How many times ``value`` is in the series of ``key``."""
        series = self.get(key)
        return bisect_right(series, value) - bisect_left(series, value)

    def pop(self, key: int) -> None:
        """Forget ``key`` and its series (its packed values go at the next packing)."""
        self._own.pop(key, None)
        self._index.pop(key, None)

    def __reduce__(self) -> tuple[Any, tuple[str, bytes, bytes, bytes]]:
        # Packed again, the series of keys popped or changed since are left out: a person
        # forgotten leaves nothing in the snapshot.
        keys, bounds, values = array("q"), array("q", [0]), array(self._typecode)
        for key in self:
            series = self.get(key)
            if series:
                keys.append(key)
                values.extend(series)
                bounds.append(len(values))
        return _unpack, (self._typecode, keys.tobytes(), bounds.tobytes(), values.tobytes())


def _unpack(typecode: str, keys: bytes, bounds: bytes, values: bytes) -> SortedSeries:
    series = SortedSeries(typecode)
    packed_keys = array("q", keys)
    series._index = dict(zip(packed_keys, range(len(packed_keys)), strict=True))
    series._bounds = array("q", bounds)
    series._values = array(typecode, values)
    return series
