"""Who can help with a need, and why.

Three kinds of evidence are combined:

- skills: what people declared (weakest), what peers endorsed, and help actually given on the
  need's skills (solved needs, thanks, imported answers) — each piece decaying with a half-life;
- text: BM25 over the threads people helped with, so a need with no known skill still finds
  people (:mod:`bot.text_index`);
- activity: how much someone helps lately, whatever the topic — a weak prior that breaks ties.

Someone whose only link to the need is a self-declaration never ranks above someone who
demonstrably helped with it: demonstrated help puts a candidate in a higher tier.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.availability import is_available
from bot.candidates import Candidate, Match, Reason
from bot.config import MatchingConfig, RoutingConfig
from bot.routing import choose
from bot.text_index import TextIndex
from skills_db.models import ClaimSource, Person
from skills_db.store import Store
from skills_db.taxonomy import Taxonomy

SOURCE_WEIGHTS = {
    ClaimSource.DECLARED: 1.0,
    ClaimSource.IMPORTED: 2.0,
    ClaimSource.ENDORSED: 2.0,
    ClaimSource.HELPED: 4.0,
}
DEMONSTRATED = {ClaimSource.HELPED, ClaimSource.IMPORTED}
ACTIVE_POOL = 50  # the most active helpers are always candidates, ranked by the rest
RECENT = timedelta(days=90)


@dataclass
class _Evidence:
    skill: float = 0.0
    declared: dict[str, float] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    recent: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    text: float = 0.0
    similar: int = 0
    example: int | None = None
    offer: str | None = None
    demonstrated: bool = False


class Matcher:
    def __init__(
        self, store: Store, taxonomy: Taxonomy, routing: RoutingConfig, matching: MatchingConfig
    ) -> None:
        self.store = store
        self.taxonomy = taxonomy
        self.routing = routing
        self.matching = matching
        self.index = TextIndex(matching.activity_half_life_days)
        self._help_times: dict[int, list[float]] = defaultdict(list)

    def recognise(self, text: str) -> list[str]:
        return list(dict.fromkeys(mention.skill for mention in self.taxonomy.recognise(text)))

    def refresh(self) -> None:
        """Index the help threads added since the last call (imports, needs solved live)."""
        for thread_id, text, created_at, helpers in self.store.help_threads_after(self.index.max_thread_id):
            self.index.add(thread_id, text, created_at, helpers)
            for person, _weight in helpers:
                self._help_times[person].append(created_at.timestamp())

    def rank(
        self,
        text: str,
        skills: list[str],
        asker_id: int | None,
        at: datetime,
        exclude: set[int] | None = None,
    ) -> Match:
        self.refresh()
        excluded = set(exclude or ())
        if asker_id is not None:
            excluded.add(asker_id)
        evidence: dict[int, _Evidence] = defaultdict(_Evidence)
        self._skill_evidence(evidence, skills, at, excluded)
        for person, (score, matched, best) in self.index.people(text, at, excluded).items():
            entry = evidence[person]
            entry.text, entry.similar, entry.example = score, matched, best
            entry.demonstrated = True
        # The most active helpers are always candidates: a weak but robust prior.
        for person in self.index.most_active(ACTIVE_POOL + len(excluded)):
            if person not in excluded:
                evidence.setdefault(person, _Evidence())
        self._offer_evidence(evidence, skills, at, excluded)
        people = self.store.people(list(evidence))
        available = {pid: p for pid, p in people.items() if is_available(p, at, self.routing)}
        activity = {pid: self.index.activity(pid, at) for pid in available}
        candidates = self._score(evidence, available, activity, skills, at)
        learners = self._learners(skills, excluded | set(evidence), at)
        return Match(tuple(skills), tuple(candidates), learners)

    def _skill_evidence(
        self, evidence: dict[int, _Evidence], skills: list[str], at: datetime, excluded: set[int]
    ) -> None:
        if not skills:
            return
        for claim in self.store.claims(skills=skills):
            if claim.person_id in excluded:
                continue
            entry = evidence[claim.person_id]
            weight = claim.weight * self._decay(at - claim.created_at, self.matching.half_life_days)
            if claim.source == ClaimSource.DECLARED:
                entry.declared[claim.skill] = max(entry.declared.get(claim.skill, 0.0), weight)
                continue
            entry.skill += SOURCE_WEIGHTS.get(ClaimSource(claim.source), 1.0) * weight
            entry.counts[(claim.skill, claim.source)] += 1
            if at - claim.created_at <= RECENT:
                entry.recent[(claim.skill, claim.source)] += 1
            entry.demonstrated = entry.demonstrated or claim.source in DEMONSTRATED

    def _offer_evidence(
        self, evidence: dict[int, _Evidence], skills: list[str], at: datetime, excluded: set[int]
    ) -> None:
        wanted = set(skills)
        for offer in self.store.active_offers(at):
            common = wanted.intersection(offer.skills)
            if common and offer.person_id not in excluded:
                evidence[offer.person_id].offer = sorted(common)[0]

    def _score(
        self,
        evidence: dict[int, _Evidence],
        people: dict[int, Person],
        activity: dict[int, float],
        skills: list[str],
        at: datetime,
    ) -> list[Candidate]:
        def top(values: list[float]) -> float:
            return max([v for v in values if v > 0], default=1.0)

        entries = {pid: e for pid, e in evidence.items() if pid in people}
        max_skill = top([e.skill + sum(e.declared.values()) for e in entries.values()])
        max_text = top([e.text for e in entries.values()])
        max_activity = math.log1p(top([activity.get(pid, 0.0) for pid in entries]))
        weights = self.matching
        candidates = []
        for pid, entry in entries.items():
            skill = (
                entry.skill + sum(entry.declared.values()) * SOURCE_WEIGHTS[ClaimSource.DECLARED]
            ) / max_skill
            score = (
                weights.text_weight * entry.text / max_text
                + weights.skill_weight * skill
                + weights.activity_weight * math.log1p(activity.get(pid, 0.0)) / max_activity
                + (weights.offer_bonus if entry.offer else 0.0)
            )
            if score < weights.min_score:
                continue
            reasons = self._reasons(pid, entry, at)
            relevant = bool(entry.skill or entry.declared or entry.text or entry.offer)
            candidates.append(
                Candidate(
                    pid, people[pid].name, round(score, 4), entry.demonstrated, reasons, relevant=relevant
                )
            )
        candidates.sort(key=lambda c: (c.demonstrated, c.score, -c.person_id), reverse=True)
        return candidates

    def _reasons(self, person_id: int, entry: _Evidence, at: datetime) -> tuple[Reason, ...]:
        reasons: list[Reason] = []
        if entry.offer:
            reasons.append(Reason("reason.offer", {"skill": entry.offer}))
        helped = [(n, skill, source) for (skill, source), n in entry.counts.items() if source in DEMONSTRATED]
        for count, skill, _source in sorted(helped, reverse=True)[:2]:
            recent = sum(n for (s, src), n in entry.recent.items() if s == skill and src in DEMONSTRATED)
            if recent:
                reasons.append(
                    Reason("reason.helped_recently", {"count": recent, "skill": skill, "days": RECENT.days})
                )
            else:
                reasons.append(Reason("reason.helped", {"count": count, "skill": skill}))
        if entry.similar and entry.example is not None and not helped:
            reasons.append(
                Reason("reason.similar", {"count": entry.similar, "example": self.index.title(entry.example)})
            )
        endorsed = [
            (n, skill) for (skill, source), n in entry.counts.items() if source == ClaimSource.ENDORSED
        ]
        for count, skill in sorted(endorsed, reverse=True)[:1]:
            reasons.append(Reason("reason.endorsed", {"count": count, "skill": skill}))
        if not reasons and entry.declared:
            reasons.append(Reason("reason.declared", {"skill": sorted(entry.declared)[0]}))
        if not reasons:
            times = self._help_times.get(person_id, [])
            recent = len(times) - bisect_left(times, (at - RECENT).timestamp())
            reasons.append(Reason("reason.active", {"count": recent or len(times), "days": RECENT.days}))
        return tuple(reasons[:3])

    def _learners(self, skills: list[str], excluded: set[int], at: datetime) -> tuple[Candidate, ...]:
        if not skills:
            return ()
        goals = [
            (pid, skill) for pid, skill in self.store.learning_goals(skills=skills) if pid not in excluded
        ]
        people = self.store.people([pid for pid, _ in goals])
        learners = {}
        for pid, skill in goals:
            person = people.get(pid)
            if person is not None and pid not in learners and is_available(person, at, self.routing):
                learners[pid] = Candidate(
                    pid, person.name, 0.0, False, (Reason("reason.learner", {"skill": skill}),), learner=True
                )
        return tuple(learners.values())

    def route(
        self,
        match: Match,
        at: datetime,
        count: int | None = None,
        exclude: set[int] | None = None,
        asks_this_week: Mapping[int, int] | None = None,
    ) -> list[Candidate]:
        """The people to ask now (see :mod:`bot.routing`)."""
        if asks_this_week is None:
            asks_this_week = self.store.ask_counts_since(at - timedelta(days=7))
        people = self.store.people([c.person_id for c in (*match.candidates, *match.learners)])
        return choose(match, self.routing, asks_this_week, people, count, exclude)

    @staticmethod
    def _decay(age: timedelta, half_life_days: float) -> float:
        days = max(age.total_seconds(), 0.0) / 86400
        return math.pow(0.5, days / half_life_days)
