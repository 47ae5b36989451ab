"""The barometer's figures for a period of whole weeks, and the same for the period before.

Every figure is about the needs posted in the period — live needs and imported history alike
(see :mod:`bot.barometer.facts`), their outcomes as of the period's end — and goes through the
rules of :mod:`bot.barometer.privacy` before anyone sees it:

- ``needs``: needs posted, live and imported; ``imported``: of which imported history;
  ``weekly``: needs posted each week (the sparkline), each week a figure of its own;
- ``asked``, ``accepted``: shares of the *live* needs for which a colleague was asked, and
  accepted (imported history has no requests); ``answered``: share of the imported threads
  that someone else replied to; ``solved``: share of all the needs solved by the period's end;
- ``time_to_offer``, ``time_to_resolution``: medians in hours, from posting to the first
  accepted request (imported: the first reply by someone else), and to the resolution;
- ``open_nobody``: live needs still open at the end with nobody found (nobody accepted, no
  request waiting for an answer);
- ``askers``, ``helpers``: distinct people who posted, who helped (accepted, solved, were
  thanked for one of these needs, replied in imported history; and thanks for no particular
  need given in the period); ``top_share``: share of the help (needs helped with) given by the
  most active 10 % of helpers;
- ``top_skills``: the skills most asked about, with their trend; ``gaps``: skills with demand
  whose askers this period outnumber the people who demonstrably helped on them in the past
  year (:func:`~bot.barometer.evidence.helpers_by_skill`); ``focus``: the organisation's focus
  skills (setting "focus_skills"), with their helpers and learners.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from bot.barometer.evidence import helpers_by_skill, kinds_of_needs, learners_by_skill
from bot.barometer.facts import Facts, NeedFact, read_demand, read_facts
from bot.barometer.period import Period
from bot.barometer.privacy import NOTHING, Figure, Group, Hidden, Rule
from bot.barometer.skills import SkillSizes
from skills_db.storage.store import Store

TOP_SKILLS = 5
MAX_GAPS = 5
FOCUS_SETTING = "focus_skills"


@dataclass(frozen=True)
class SkillFigures:
    skill: str  # canonical name
    needs: Figure
    trend: Figure
    weekly: tuple[int, ...] = ()  # needs per week, when ``needs`` is shown
    askers: int = 0  # for ranking gaps only, never shown
    helpers: Figure = NOTHING  # distinct people who demonstrably helped on it in the past year
    learners: Figure = NOTHING  # distinct people who want to learn it (focus skills)


@dataclass(frozen=True)
class Barometer:
    period: Period
    previous: Period
    min_group_size: int
    needs: Figure
    needs_previous: Figure
    needs_trend: Figure
    imported: Figure
    weekly: tuple[Figure, ...]
    asked: Figure
    accepted: Figure
    answered: Figure
    solved: Figure
    time_to_offer: Figure
    time_to_resolution: Figure
    open_nobody: Figure
    askers: Figure
    helpers: Figure
    top_share: Figure
    top_skills: tuple[SkillFigures, ...]
    gaps: tuple[SkillFigures, ...]
    focus: tuple[SkillFigures, ...]
    # Whether the organisation has live needs, imported history, at all (ever, not this period):
    # the lines about them are shown, or not, whoever asked this period.
    has_live: bool = True
    has_history: bool = True


def compute(
    store: Store,
    now: datetime,
    weeks: int,
    *,
    min_group_size: int,
    tz: tzinfo,
    recognise: Callable[[str], list[str]],
    close_after: timedelta = timedelta(days=14),
    focus: Iterable[str] | None = None,
) -> Barometer:
    """The barometer of the ``weeks`` whole weeks before the week of ``now``."""
    period = Period.ending(now, weeks, tz)
    previous = period.previous()
    facts = read_facts(store, period, recognise, close_after)
    before = read_demand(store, previous, recognise)
    if focus is None:
        focus = (store.get_setting(FOCUS_SETTING) or {}).get("skills") or ()
    barometer = _Computation(Rule(min_group_size), facts, before).barometer(store, tuple(focus))
    live, history = kinds_of_needs(store)
    return replace(barometer, has_live=live, has_history=history)


class _Computation:
    def __init__(self, rule: Rule, facts: Facts, before: Facts) -> None:
        self.rule, self.facts, self.before = rule, facts, before
        self.length = facts.period.length
        self.by_skill = SkillSizes(facts.needs, self.length, rule.k)
        self.by_skill_before = SkillSizes(before.needs, self.length, rule.k)

    def group(self, needs: Iterable[NeedFact]) -> Group:
        return Group.of(self.length, ((n.week, n.person) for n in needs))

    def count(self, part: list[NeedFact], rest: list[NeedFact] | None = None) -> Figure:
        rests = () if rest is None else (self.group(rest).sizes.weeks,)
        return Figure.of(len(part), self.rule.count(self.group(part).sizes, *rests))

    def share(self, needs: list[NeedFact], test: Callable[[NeedFact], bool]) -> Figure:
        part = [n for n in needs if test(n)]
        rest = [n for n in needs if not test(n)]
        return self.rule.share(self.group(part), self.group(rest), len(part), len(needs))

    def median_hours(self, needs: list[NeedFact], value: Callable[[NeedFact], float | None]) -> Figure:
        measured = [n for n in needs if value(n) is not None]
        return self.rule.median(self.group(measured).sizes, [(value(n) or 0.0) / 3600 for n in measured])

    def barometer(self, store: Store, focus: tuple[str, ...]) -> Barometer:
        needs = list(self.facts.needs)
        live = [n for n in needs if n.live]
        imported = [n for n in needs if not n.live]
        total = self.count(needs)
        earlier = Group.of(self.length, ((n.week, n.person) for n in self.before.needs))
        total_before = Figure.of(len(self.before.needs), self.rule.count(earlier.sizes))
        helpers, top_share = self.participation(needs)
        skills = self.skills()
        end = self.facts.period.end
        ranked = sorted((s for s in skills.values() if s.needs.shown and s.needs.number), key=_by_demand)
        gaps = self.gaps(ranked, helpers_by_skill(store, [s.skill for s in ranked], end))
        return Barometer(
            period=self.facts.period,
            previous=self.before.period,
            min_group_size=self.rule.k,
            needs=total,
            needs_previous=total_before,
            needs_trend=self.rule.trend(total, total_before),
            imported=self.count(imported, live),
            weekly=self.weekly(needs, total),
            asked=self.share(live, lambda n: n.asked),
            accepted=self.share(live, lambda n: n.accepted),
            answered=self.share(imported, lambda n: n.offered is not None),
            solved=self.share(needs, lambda n: n.solved is not None),
            time_to_offer=self.median_hours(needs, lambda n: n.offered),
            time_to_resolution=self.median_hours(needs, lambda n: n.solved),
            open_nobody=self.count([n for n in live if n.nobody], [n for n in live if not n.nobody]),
            askers=Figure.of(len({n.person for n in needs}), self.rule.people(self.group(needs))),
            helpers=helpers,
            top_share=top_share,
            top_skills=tuple(ranked[:TOP_SKILLS]),
            gaps=gaps,
            focus=self.focus(store, focus, skills),
        )

    def weekly(self, needs: list[NeedFact], total: Figure) -> tuple[Figure, ...]:
        """Each week's needs: all of them when the total is shown (every week passes then),
        else each week as a view of its own."""
        counts = Counter(n.week for n in needs)
        people = self.group(needs).weeks
        return tuple(
            Figure.of(counts[week], None if total.shown or len(people[week]) >= self.rule.k else Hidden.FEW)
            for week in range(self.length)
        )

    def participation(self, needs: list[NeedFact]) -> tuple[Figure, Figure]:
        acts = [(n.week, helper) for n in needs for helper in n.helpers]
        acts += list(self.facts.free_help)
        group = Group.of(self.length, acts)
        per_helper = Counter(helper for _, helper in acts)
        helpers = Figure.of(len(per_helper), self.rule.people(group))
        top = math.ceil(len(per_helper) / 10)
        given = sorted(per_helper.values(), reverse=True)
        hidden = self.rule.top_share(group, top, len(per_helper) - top)
        return helpers, Figure.of(sum(given[:top]) / max(len(acts), 1), hidden)

    def skills(self) -> dict[str, SkillFigures]:
        """The skills asked about in the period whose needs may be shown (checked against all the
        needs); the others are not named."""
        found = {}
        for name in self.by_skill.skills:
            figure = self.skill_needs(name)
            if figure.shown:
                found[name] = self.skill(name, figure)
        return found

    def skill_needs(self, name: str) -> Figure:
        part = self.by_skill.needs_of.get(name, [])
        return Figure.of(len(part), self.rule.count(self.by_skill.part(name), self.by_skill.rest(name)))

    def skill(self, name: str, figure: Figure | None = None) -> SkillFigures:
        now, before = self.by_skill, self.by_skill_before
        figure = figure or self.skill_needs(name)
        earlier = before.needs_of.get(name, [])
        previous = Figure.of(len(earlier), self.rule.count(before.part(name), before.rest(name)))
        weekly: tuple[int, ...] = ()
        if figure.shown:  # every week passes then: each week's count may be shown
            counts = Counter(n.week for n in now.needs_of.get(name, []))
            weekly = tuple(counts[week] for week in range(self.length))
        return SkillFigures(name, figure, self.rule.trend(figure, previous), weekly, now.part(name).people)

    def gaps(self, ranked: list[SkillFigures], helpers: dict[str, int]) -> tuple[SkillFigures, ...]:
        found = []
        for skill in ranked:
            count = helpers.get(skill.skill, 0)
            if count < skill.askers:  # more people asked in these weeks than helped in a year
                found.append(replace(skill, helpers=self.people_figure(count)))

        # Ordered by what is shown only (a count under k must not show through the order): the
        # fewest helpers for their needs first, those "fewer than k" before all others.
        def key(skill: SkillFigures) -> tuple[float, float, str]:
            return (
                skill.helpers.number / skill.needs.number if skill.helpers.shown else -1.0,
                *_by_demand(skill),
            )

        return tuple(sorted(found, key=key)[:MAX_GAPS])

    def people_figure(self, count: int) -> Figure:
        return Figure.of(count, Hidden.FEW if count < self.rule.k else None)

    def focus(
        self, store: Store, names: tuple[str, ...], skills: dict[str, SkillFigures]
    ) -> tuple[SkillFigures, ...]:
        if not names:
            return ()
        end = self.facts.period.end
        helpers = helpers_by_skill(store, names, end)
        learners = learners_by_skill(store, names, end)
        result = []
        for name in dict.fromkeys(names):
            found = skills.get(name) or self.skill(name)
            result.append(
                replace(
                    found,
                    helpers=self.people_figure(helpers.get(name, 0)),
                    learners=self.people_figure(learners.get(name, 0)),
                )
            )
        return tuple(result)


def _by_demand(skill: SkillFigures) -> tuple[float, str]:
    return (-skill.needs.number, skill.skill.casefold())
