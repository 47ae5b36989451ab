"""From the evidence on each candidate to their features, score, relevance and reasons.

The score is the linear model of :mod:`bot.matching.model`, shown relative to the best
candidate's (``exp(score - best)``, 1 for the best): the routing compares candidates by that
ratio. Someone whose only link to the need is a self-declaration never ranks above someone with
evidence of help.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from bot.matching.activity import Figures
from bot.matching.candidates import Candidate
from bot.matching.evidence import RECENT, Evidence, help_counts, reasons_for
from bot.matching.model import Model
from bot.matching.skill_index import SOURCE_WEIGHTS
from bot.matching.text_index import CLOSE_SHARE, TextEvidence
from skills_db.storage.models import ClaimSource
from skills_db.storage.store import PersonBrief

# Below this many threads, the words of past threads say too little of what a community knows:
# evidence on a need's skill alone makes the need one it knows.
MIN_HISTORY = 30
VOUCHED = frozenset({ClaimSource.ENDORSED.value, ClaimSource.HELPED.value})

ACTIVE_POOL = 50  # the most active helpers are always candidates, ranked by the rest
POOL = 200  # people scored for one need (their availability read from the database)
SKILL_POOL = 150  # per skill of the need, the people with the most evidence on it considered
TEXT_POOL = 200  # the people with the most text evidence considered

if TYPE_CHECKING:
    from bot.matching.engine import Matcher


def candidate_pool(
    matcher: Matcher,
    skills: list[str],
    text_people: dict[int, TextEvidence],
    answer_people: dict[int, TextEvidence],
    near: Mapping[int, int],
    offers: dict[int, str],
    at: datetime,
    excluded: set[int],
) -> list[int]:
    """The POOL people worth reading from the database, best first by an in-memory estimate.

    Everyone with text evidence (threads or their own answers), the strongest on each skill,
    the most active helpers at two time scales (a weak but robust prior: they are always
    candidates), those close to the asker and the authors of matching offers.
    """
    people: dict[int, float] = {}  # person -> estimate
    for skill in skills:
        for person in matcher.skills.strongest(skill, SKILL_POOL + len(excluded)):
            people.setdefault(person, 0.0)
    for found in (text_people, answer_people):
        top = heapq.nlargest(TEXT_POOL, found.items(), key=lambda kv: kv[1].score)
        best = top[0][1].score if top else 1.0
        for person, evidence in top:
            people[person] = people.get(person, 0.0) + evidence.score / best
    for person in matcher.index.most_active(ACTIVE_POOL + len(excluded)):
        people.setdefault(person, 0.0)
    for person in matcher.history.most_recent(ACTIVE_POOL + len(excluded)):
        people.setdefault(person, 0.0)
    for person, _count in heapq.nlargest(ACTIVE_POOL, near.items(), key=lambda kv: kv[1]):
        people.setdefault(person, 0.0)
    for person in offers:
        people.setdefault(person, 0.0)
    for person in excluded:
        people.pop(person, None)
    if len(people) <= POOL:
        return list(people)
    now = at.timestamp()
    for skill in skills:  # those with no claim on it add log1p(0.0): nothing
        for person, weight in matcher.skills.strengths(skill, people, now).items():
            people[person] += math.log1p(weight)
    for person, activity in zip(people, matcher.index.activities(people, at), strict=True):
        people[person] += 0.5 * math.log1p(activity)
    return heapq.nlargest(POOL, people, key=lambda p: (people[p], -p))


def features_of(
    matcher: Matcher,
    person: int,
    entry: Evidence,
    figures: Figures,
    best: tuple[float, float, float, float],
    asker: int | None,
    near: Mapping[int, int],
    paced: tuple[float, ...],
    familiar: float,
) -> tuple[float, ...]:
    """One candidate's features, in bot.matching.model.FEATURES order; ``figures``: their help
    at each time scale and its facts (HelpHistory.figures); ``best``: the pool's best thread
    score, answer score, 30-day and 14-day activity (for the relative features)."""
    log1p = math.log1p
    (days, week, fortnight, month, season), (solved, total, idle, share) = figures
    skill = entry.skill + sum(entry.declared.values()) * SOURCE_WEIGHTS[ClaimSource.DECLARED]
    threads_rel = entry.text / best[0] if best[0] > 0 else 0.0
    answers_rel = entry.answers / best[1] if best[1] > 0 else 0.0
    month_rel = month / best[2] if best[2] > 0 else 0.0
    return (
        log1p(entry.text),
        threads_rel,
        log1p(entry.answers),
        answers_rel,
        entry.coverage,
        log1p(skill),
        1.0 if entry.declared else 0.0,
        1.0 if entry.offer else 0.0,
        log1p(days),
        log1p(week),
        log1p(fortnight),
        log1p(month),
        log1p(season),
        month_rel,
        fortnight / best[3] if best[3] > 0 else 0.0,
        log1p(total),
        log1p(solved),
        log1p(min(idle, 3650.0)),
        log1p(matcher.history.helped(person, asker)) if asker is not None else 0.0,
        log1p(near.get(person, 0)),
        share,
        threads_rel * month_rel,
        answers_rel * month_rel,
        log1p(_vouched(entry)),
        *_paced(paced),
        familiar,
    )


def score_candidates(
    matcher: Matcher,
    evidence: dict[int, Evidence],
    people: Mapping[int, PersonBrief],
    later: Mapping[int, datetime],
    asker: int | None,
    near: Mapping[int, int],
    channel: str,
    at: datetime,
    familiar: float = 1.0,
) -> list[Candidate]:
    """``familiar``: how familiar the need's words are to this community (Familiarity.of)."""
    entries = {pid: e for pid, e in evidence.items() if pid in people}
    if not entries:
        return []
    model = matcher.model
    figures = matcher.history.figures(entries, at, channel)  # once per candidate, used twice
    best = (
        max(e.text for e in entries.values()),
        max(e.answers for e in entries.values()),
        max(f[0][3] for f in figures.values()),
        max(f[0][2] for f in figures.values()),
    )
    paced = matcher.history.paced_of(entries, at)
    scored = []
    for pid, entry in entries.items():
        features = features_of(matcher, pid, entry, figures[pid], best, asker, near, paced[pid], familiar)
        scored.append((model.score(features), pid, entry, features))
    top = max(score for score, *_rest in scored)
    # Whether this community knows the need at all (see _knows): a past thread or answer holds
    # enough of it, or someone's evidence on one of its skills is backed by some of it in their
    # words, or vouched for. A question nobody here ever discussed is asked of nobody, however
    # active they are.
    young = len(matcher.index) < MIN_HISTORY
    # Its words must also be this community's (Familiarity): a question from another community
    # shares ordinary words with many threads here. Evidence vouched for or offered always counts.
    knowing = [e for e in entries.values() if _knows(e, model, young)]
    known = any(_vouched_or_offered(e) for e in knowing) or (
        bool(knowing) and (young or familiar >= model.familiar)
    )
    floor = max(model.floor, matcher.matching.min_score)
    since = (at - RECENT).timestamp()
    candidates = []
    for raw, pid, entry, features in scored:
        score = math.exp(raw - top)
        # Reasons are put in words only for the few candidates shown or asked (Candidate.why):
        # what they say is taken now, the index may change after.
        example = matcher.index.title(entry.example) if entry.example is not None else ""
        why = partial(reasons_for, entry, example, help_counts(matcher.help_times(pid), since))
        # Worth asking: the need is one this community knows, and the model rates them close
        # enough to the best. With little history the model's figures say little: there, only
        # evidence on the need itself (not help on other topics) makes someone worth asking.
        relevant = known and (not young or specific(entry, model, young)) and score >= floor
        candidates.append(
            Candidate(
                pid,
                people[pid].name,
                round(score, 4),
                entry.demonstrated,
                why,
                relevant=relevant,
                available_at=later.get(pid),
                weak=not relevant and (entry.text > 0 or entry.answers > 0),
                features=features,
            )
        )
    declared_only = {c.person_id for c in candidates if _declared_only(evidence[c.person_id])}
    candidates.sort(key=lambda c: (c.person_id not in declared_only, c.score, -c.person_id), reverse=True)
    return candidates


def _paced(paced: tuple[float, ...]) -> tuple[float, ...]:
    *shares, since = paced
    return (*shares, math.log1p(min(since, 100_000.0)))


def _vouched(entry: Evidence) -> float:
    """The part of the decayed skill evidence that endorsements and help recorded live make up
    (the index keeps one decayed sum per skill and person: shared out by the claims' weights)."""
    if not entry.counts:  # most candidates: no claim on the need's skills
        return 0.0
    weights = {source: 0.0 for source in SOURCE_WEIGHTS}
    for (_skill, source), count in entry.counts.items():
        weights[source] += SOURCE_WEIGHTS[source] * count
    total = sum(weights.values())
    vouched = sum(weights[source] for source in VOUCHED)
    return entry.skill * vouched / total if total else 0.0


def specific(entry: Evidence, model: Model, young: bool) -> bool:
    """Evidence on this need: on one of its skills, an offer of it, or enough of it in their
    threads or answers. Much help on other topics alone is not a reason to ask someone."""
    return bool(entry.skill or entry.declared or entry.offer) or entry.coverage >= _share(model, young)


def _share(model: Model, young: bool) -> float:
    """The share of a need a thread or answer must hold to count. With little history the
    collection's word statistics say little, and the text index's own CLOSE_SHARE applies."""
    return CLOSE_SHARE if young else model.relevance


def _knows(entry: Evidence, model: Model, young: bool) -> bool:
    """Whether this person's evidence shows the community knows the need (see score_candidates)."""
    if entry.coverage >= _share(model, young) or _vouched_or_offered(entry):
        return True
    skilled = bool(entry.skill or entry.declared)
    # A skill recognised in their declarations or imported threads is weak on its own: enough of
    # the need must be in their words too — unless there is no history yet to compare with.
    return skilled and (young or entry.coverage >= model.inferred)


def _vouched_or_offered(entry: Evidence) -> bool:
    """An offer of the need, or evidence on it endorsed by peers or given live through Entraide."""
    return bool(entry.offer) or any(source in VOUCHED for _skill, source in entry.counts)


def _declared_only(entry: Evidence) -> bool:
    """Their only link to the need is a self-declaration: they rank below everyone with evidence
    of help on it (and below those whose only link is help on other topics: declared counts least)."""
    return bool(entry.declared) and not (entry.demonstrated or entry.skill or entry.offer)
