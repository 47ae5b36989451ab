"""The people behind each skill's needs, and behind the rest of the needs, week by week — for
every skill of a period in one pass over its needs (thousands of skills in a large organisation:
filtering the needs once per skill would take seconds). Kept sparse: most skills are asked
about in a few weeks only, and a week of nobody or of at least ``k`` people passes every rule,
so only the weeks that could fail are listed (see :meth:`Rule.count`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.barometer.facts import NeedFact
from bot.barometer.privacy import Sizes


class SkillSizes:
    def __init__(self, needs: Sequence[NeedFact], length: int, k: int) -> None:
        self.length = length
        self.needs_of: dict[str, list[NeedFact]] = {}
        self._askers: dict[tuple[str, int], set[int]] = {}  # (skill, week) → people
        self._weeks: dict[str, list[int]] = {}  # skill → the weeks it was asked about
        self._week_people: list[set[int]] = [set() for _ in range(length)]
        common: dict[tuple[int, int], set[str]] = {}  # (week, person) → skills all their needs have
        for need in needs:
            self._week_people[need.week].add(need.person)
            skills = set(need.skills)
            key = (need.week, need.person)
            if key in common:
                common[key] &= skills
            else:
                common[key] = skills
            for skill in skills:
                self.needs_of.setdefault(skill, []).append(need)
                people = self._askers.get((skill, need.week))
                if people is None:
                    people = self._askers[skill, need.week] = set()
                    self._weeks.setdefault(skill, []).append(need.week)
                people.add(need.person)
        # A person is in a skill's rest that week unless every need of theirs that week has it.
        self._only: dict[str, dict[int, int]] = {}
        for (week, _), skills in common.items():
            for skill in skills:
                only = self._only.setdefault(skill, {})
                only[week] = only.get(week, 0) + 1
        # Weeks whose needs come from 1 to k - 1 people: a skill that leaves them whole fails.
        self._small_weeks = [w for w, people in enumerate(self._week_people) if 0 < len(people) < k]

    @property
    def skills(self) -> list[str]:
        return sorted(self.needs_of)

    def part(self, skill: str) -> Sizes:
        """The people asking about ``skill``, in all and in the weeks they asked (sparse)."""
        weeks = [self._askers[skill, week] for week in self._weeks.get(skill, ())]
        return Sizes(len(set().union(*weeks)), tuple(len(people) for people in weeks))

    def rest(self, skill: str) -> tuple[int, ...]:
        """People with at least one need without ``skill``, in the weeks where that could be 1 to
        k - 1 (sparse): the weeks with needs about it, and the small weeks."""
        only = self._only.get(skill, {})
        sizes = [len(self._week_people[week]) - kept for week, kept in only.items()]
        sizes += [len(self._week_people[week]) for week in self._small_weeks if week not in only]
        return tuple(sizes)
