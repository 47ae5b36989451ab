"""Whom to ask now: spread requests among comparably relevant people, within weekly caps.

The best-ranked people are not always the ones asked: among candidates whose score is at least
``comparable_ratio`` of the best, those asked least this week go first, nobody goes past their
weekly cap, and one place can go to a colleague who wants to learn the skill. On a skill the
organisation wants to grow (its focus skills), a learner is asked besides the experts instead.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Protocol, TypeVar

from bot.config import RoutingConfig
from bot.matching.candidates import Candidate, Match, Reason

FOCUS_LEARNER = "reason.focus.learner"  # a learner asked besides the experts, on a focus skill
Later = TypeVar("Later")


class Capped(Protocol):
    @property
    def weekly_ask_cap(self) -> int | None: ...


def choose(
    match: Match,
    routing: RoutingConfig,
    asks_this_week: Mapping[int, int],
    people: Mapping[int, Capped],
    count: int | None = None,
    exclude: set[int] | None = None,
    focus: Collection[str] = (),
) -> list[Candidate]:
    """The people to ask now; ``focus``: the need's skills the organisation wants to grow."""
    count = routing.ask_count if count is None else count
    excluded = exclude or set()

    def has_room(candidate: Candidate) -> bool:
        person = people.get(candidate.person_id)
        cap = (person.weekly_ask_cap if person else None) or routing.weekly_ask_cap
        return (
            candidate.person_id not in excluded
            and candidate.available_at is None
            and asks_this_week.get(candidate.person_id, 0) < cap
        )

    eligible = [c for c in match.candidates if c.relevant and has_room(c)]
    if not eligible or count <= 0:
        return []
    best = eligible[0]
    comparable = [
        c
        for c in eligible
        if c.demonstrated == best.demonstrated and c.score >= routing.comparable_ratio * best.score
    ]
    chosen = sorted(comparable, key=lambda c: (asks_this_week.get(c.person_id, 0), -c.score))[:count]
    for candidate in eligible:
        if len(chosen) >= count:
            break
        if candidate not in chosen:
            chosen.append(candidate)
    chosen.sort(key=lambda c: -c.score)
    learners = [c for c in match.learners if has_room(c) and c not in chosen]
    growing = [(c, skill) for c in learners if (skill := learning(c)) in focus]
    if routing.learner_slot and growing:
        # Beside the experts, not instead of one of them: the need gets all its experts, and a
        # colleague learning the skill learns by helping (told why they are asked).
        learner, skill = growing[0]
        return [*chosen, replace(learner, why=(Reason(FOCUS_LEARNER, {"skill": skill}),))]
    if routing.learner_slot and learners and count >= 2:
        # Next to at least one expert, a learner takes the last place: they learn by helping.
        chosen = [*chosen[: count - 1], learners[0]]
    return chosen


def learning(candidate: Candidate) -> str | None:
    """The skill a learner was found learning (their reason says which)."""
    for reason in candidate.reasons:
        skill = reason.values.get("skill")
        if reason.key == "reason.learner" and isinstance(skill, str):
            return skill
    return None


def asked_later(
    soon: list[Later], places: int, best: Candidate | None, candidate: Callable[[Later], Candidate]
) -> list[Later]:
    """Of the relevant people who cannot be asked now but are back soon (best first), those to
    ask when they are back: as many as there are ``places`` left, and the best of all (``best``)
    even when no place is left, rather than passed over."""
    picked = soon[: max(0, places)]
    if best is not None and soon and candidate(soon[0]) is best and soon[0] not in picked:
        picked.insert(0, soon[0])
    return picked
