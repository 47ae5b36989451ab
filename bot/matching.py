"""Who can help with a need, and why.

Evidence weights: declared skills count least, peers' endorsements more, help actually given
most; each piece of evidence decays with a configurable half-life. Someone who only declared a
skill never ranks above someone who demonstrably helped with it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from skills_db.taxonomy import Taxonomy

from bot.config import MatchingConfig, RoutingConfig
from skills_db.models import ClaimSource, Person
from skills_db.store import Store

SOURCE_WEIGHTS = {
    ClaimSource.DECLARED: 1.0,
    ClaimSource.IMPORTED: 1.5,
    ClaimSource.ENDORSED: 2.0,
    ClaimSource.HELPED: 4.0,
}
DEMONSTRATED = {ClaimSource.HELPED, ClaimSource.IMPORTED}


@dataclass(frozen=True)
class Reason:
    """Why someone is suggested; rendered through the catalogue in the reader's language."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, **self.values}


@dataclass(frozen=True)
class Candidate:
    person_id: int
    name: str
    score: float
    demonstrated: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Match:
    skills: tuple[str, ...]
    candidates: tuple[Candidate, ...]


class Matcher:
    def __init__(
        self, store: Store, taxonomy: Taxonomy, routing: RoutingConfig, matching: MatchingConfig
    ) -> None:
        self.store = store
        self.taxonomy = taxonomy
        self.routing = routing
        self.matching = matching

    def recognise(self, text: str) -> list[str]:
        return [mention.skill for mention in self.taxonomy.recognise(text)]

    def rank(
        self, skills: list[str], asker_id: int | None, at: datetime, exclude: set[int] | None = None
    ) -> Match:
        excluded = set(exclude or ())
        if asker_id is not None:
            excluded.add(asker_id)
        evidence: dict[int, dict[str, dict[str, list[float]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        for claim in self.store.claims(skills=skills):
            if claim.person_id not in excluded:
                evidence[claim.person_id][claim.skill][claim.source].append(
                    claim.weight * self._decay(at - claim.created_at)
                )
        people = self.store.people(list(evidence))
        candidates = [
            self._candidate(people[pid], by_skill)
            for pid, by_skill in evidence.items()
            if pid in people and _available(people[pid], at)
        ]
        candidates = [c for c in candidates if c.score >= self.matching.min_score]
        candidates.sort(key=lambda c: (c.demonstrated, c.score, -c.person_id), reverse=True)
        return Match(tuple(skills), tuple(candidates))

    def route(
        self, match: Match, at: datetime, count: int | None = None, exclude: set[int] | None = None
    ) -> list[Candidate]:
        """The people to ask now: the best ranked who have not reached their weekly cap."""
        count = self.routing.ask_count if count is None else count
        recent = self.store.ask_counts_since(at - timedelta(days=7))
        people = self.store.people([c.person_id for c in match.candidates])
        chosen: list[Candidate] = []
        for candidate in match.candidates:
            if exclude and candidate.person_id in exclude:
                continue
            cap = people[candidate.person_id].weekly_ask_cap or self.routing.weekly_ask_cap
            if recent.get(candidate.person_id, 0) < cap:
                chosen.append(candidate)
            if len(chosen) == count:
                break
        return chosen

    def _decay(self, age: timedelta) -> float:
        days = max(age.total_seconds(), 0.0) / 86400
        return math.pow(0.5, days / self.matching.half_life_days)

    def _candidate(self, person: Person, by_skill: dict[str, dict[str, list[float]]]) -> Candidate:
        score = 0.0
        reasons: list[Reason] = []
        demonstrated = False
        for skill, by_source in by_skill.items():
            for source, weights in by_source.items():
                weight = SOURCE_WEIGHTS.get(ClaimSource(source), 1.0)
                if source == ClaimSource.DECLARED:
                    score += weight * max(weights)  # declaring twice is no more evidence
                else:
                    score += weight * sum(weights)
                demonstrated = demonstrated or source in DEMONSTRATED
            reasons.extend(_reasons(skill, by_source))
        assert person.id is not None
        return Candidate(person.id, person.name, round(score, 4), demonstrated, tuple(reasons))


def _reasons(skill: str, by_source: dict[str, list[float]]) -> list[Reason]:
    reasons = []
    if helped := len(by_source.get(ClaimSource.HELPED, [])):
        reasons.append(Reason("reason.helped", {"count": helped, "skill": skill}))
    if imported := len(by_source.get(ClaimSource.IMPORTED, [])):
        reasons.append(Reason("reason.imported", {"count": imported, "skill": skill}))
    if endorsed := len(by_source.get(ClaimSource.ENDORSED, [])):
        reasons.append(Reason("reason.endorsed", {"count": endorsed, "skill": skill}))
    if not reasons and ClaimSource.DECLARED in by_source:
        reasons.append(Reason("reason.declared", {"skill": skill}))
    return reasons


def _available(person: Person, at: datetime) -> bool:
    if person.deleted or person.matching_opt_out:
        return False
    return person.away_until is None or person.away_until <= at
