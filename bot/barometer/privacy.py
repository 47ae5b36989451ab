"""Aggregates only: when a barometer figure may be shown.

Every figure counts *contributions* (a need posted, a need solved, a piece of help) or
*people* (the colleagues who asked, who helped). Either way what matters is how many distinct
people are behind it: twenty needs by one person are a figure about one person. With ``k`` the
configured ``[barometer] min_group_size`` (at least 5):

1. **Whole weeks.** A view covers whole weeks ending where the current week starts
   (:mod:`bot.barometer.period`), and outcomes (asked, accepted, solved, still open) are taken
   as of that end. Two views taken in the same week are the same view; comparing two views can
   only ever isolate whole weeks.
2. **Counts, week by week.** A count of contributions is shown only if they come from at
   least ``k`` people, and if, in *every* week of its period, the people behind them are 0 or
   at least ``k``. Views of different lengths, or taken in different weeks (4 weeks and
   5 weeks; this Monday's post and last Monday's), differ by whole weeks, each about 0 or at
   least ``k`` people, so no subtraction of views can single out fewer. A figure from fewer
   than ``k`` people reads "fewer than k" — from nobody too, since telling "0" from "fewer
   than k" would say whether anybody did it; one with enough people that fails a week reads
   "hidden".
3. **Parts of a total.** A figure shown beside a total it is part of (a skill's needs within
   all needs, the solved needs within those posted, the imported ones within all) is shown only
   if the rest of that total also passes rule 2, week by week: otherwise the total minus the
   part would give the rest. A share (part / total) needs a total that passes, and its part
   and its rest to pass week by week (a share of 0 % or 100 % is fine: nobody is the rest).
4. **Counts of people.** A number of distinct people (askers, helpers) is shown only if it is
   at least ``k``, and if, for every run of consecutive weeks inside the period, the
   people counted in the period but not in that run are 0 or at least ``k``: that is what a
   shorter or shifted view of the same weeks would subtract.
5. **Derived figures.** A median is shown only if the contributions it is the median of pass
   rule 2; a trend only if the figure passes in both periods; the share of help given by the
   most active 10 % of helpers only if the helpers pass rule 4 and both the top 10 % and the
   others are at least ``k`` people. A skill is named only if its figure is shown: its name
   alone would say that somebody asked about it.

Left over, and documented rather than hidden: outcomes of an older week change as needs are
solved later, so views taken in different weeks can show that some need of that week (one of
at least ``k`` people's) changed; and combining three or more views of people counts can
estimate how many people were active in two runs of weeks. Neither names anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Hidden(StrEnum):
    FEW = "few"  # fewer than k people are behind it
    COMPARISON = "comparison"  # enough people, but a comparison would single out fewer than k


@dataclass(frozen=True)
class Figure:
    """One number of the barometer, or why it is not shown.

    A trend's ``value`` is a change in percent.
    """

    value: float | None
    hidden: Hidden | None = None

    @classmethod
    def of(cls, value: float, hidden: Hidden | None = None) -> Figure:
        return cls(None, hidden) if hidden is not None else cls(value)

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def number(self) -> float:
        """The value of a figure known to be shown (0 otherwise)."""
        return 0.0 if self.value is None else self.value


NOTHING = Figure(None)


@dataclass(frozen=True)
class Sizes:
    """How many distinct people are behind a figure: in all, and each week (weeks of nobody, or
    of at least k people, which pass every rule, may be left out)."""

    people: int
    weeks: tuple[int, ...]


@dataclass(frozen=True)
class Group:
    """The people behind a figure, week by week: a person counts once a week, whatever their rows."""

    weeks: tuple[frozenset[int], ...]

    @classmethod
    def of(cls, length: int, contributions: Iterable[tuple[int, int]]) -> Group:
        """From (week index, person) pairs."""
        weeks: list[set[int]] = [set() for _ in range(length)]
        for week, person in contributions:
            weeks[week].add(person)
        return cls(tuple(frozenset(w) for w in weeks))

    @property
    def everyone(self) -> frozenset[int]:
        return frozenset().union(*self.weeks)

    @property
    def sizes(self) -> Sizes:
        return Sizes(len(self.everyone), tuple(len(week) for week in self.weeks))


class Rule:
    """The rules above for one minimum group size ``k``."""

    def __init__(self, k: int) -> None:
        self.k = k

    def _small(self, people: int) -> bool:
        """Fewer than k but some: what no week of a shown figure, and no rest of it, may be."""
        return 0 < people < self.k

    def count(self, part: Sizes, *rests: Sequence[int]) -> Hidden | None:
        """Rules 1 to 3: may a count of ``part``'s contributions be shown beside totals whose
        other contributions come from ``rests`` (people each week)? None: it may."""
        if part.people < self.k:
            return Hidden.FEW
        weeks = (size for sizes in (part.weeks, *rests) for size in sizes)
        return Hidden.COMPARISON if any(self._small(size) for size in weeks) else None

    def people(self, group: Group) -> Hidden | None:
        """Rule 4: may the number of distinct people of ``group`` be shown?"""
        if len(group.everyone) < self.k:
            return Hidden.FEW
        absent = absent_from_runs(group.weeks)
        if any(self._small(n) for row in absent for n in row):
            return Hidden.COMPARISON
        return None

    def top_share(self, helpers: Group, top: int, rest: int) -> Hidden | None:
        """Rule 5, for the most active 10 %: ``top`` people against the ``rest``."""
        hidden = self.people(helpers)
        if hidden is not None:
            return hidden
        if top < self.k or rest < self.k:
            return Hidden.FEW
        return None

    def median(self, part: Sizes, values: Sequence[float]) -> Figure:
        return Figure.of(_median(values) if values else 0.0, self.count(part))

    def share(self, part: Group, rest: Group, part_count: int, total_count: int) -> Figure:
        """``part_count / total_count``: the total must pass, and its part and rest week by week
        (a part of nobody is a share of 0 %, a rest of nobody one of 100 %)."""
        total = Group(tuple(p | r for p, r in zip(part.weeks, rest.weeks, strict=True)))
        hidden = self.count(total.sizes, part.sizes.weeks, rest.sizes.weeks)
        return Figure.of(part_count / total_count if total_count else 0.0, hidden)

    def trend(self, now: Figure, before: Figure) -> Figure:
        """The change in percent from ``before`` to ``now``: both must be shown."""
        if not now.shown or not before.shown or not before.number:
            return Figure(None, now.hidden or before.hidden or Hidden.COMPARISON)
        return Figure((now.number - before.number) / before.number * 100)


def absent_from_runs(weeks: Sequence[frozenset[int]]) -> list[list[int]]:
    """``result[a][b - a]``: how many of the period's people have no contribution in weeks
    ``a`` to ``b`` (inclusive) — what comparing the period with a view of those weeks alone, or
    of the period without them, would reveal.

    Each person adds one to every run that fits in a gap of their activity (before their first
    week, between two, after their last): the gaps are counted on a grid, then summed.
    """
    n = len(weeks)
    active: dict[int, list[int]] = {}
    for index, people in enumerate(weeks):
        for person in people:
            active.setdefault(person, []).append(index)
    grid = [[0] * n for _ in range(n)]  # grid[lo][hi]: gaps from week lo to week hi
    for indices in active.values():
        previous = -1
        for index in [*indices, n]:
            if index - previous > 1:
                grid[previous + 1][index - 1] += 1
            previous = index
    # covering[a][b]: gaps with lo <= a and hi >= b, i.e. the people absent from all of a..b.
    covering = [[0] * n for _ in range(n)]
    for a in range(n):
        suffix = 0
        for b in range(n - 1, -1, -1):
            suffix += grid[a][b]
            covering[a][b] = suffix + (covering[a - 1][b] if a else 0)
    return [[covering[a][b] for b in range(a, n)] for a in range(n)]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
