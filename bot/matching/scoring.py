"""From the evidence on each candidate to their features, score, relevance and reasons.

The score is the linear model of :mod:`bot.matching.model`, shown relative to the best
candidate's (``exp(score - best)``, 1 for the best): the routing compares candidates by that
ratio. Someone whose only link to the need is a self-declaration never ranks above someone with
evidence of help.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.matching.candidates import Candidate
from bot.matching.evidence import Evidence, reasons_for
from bot.matching.skill_index import SOURCE_WEIGHTS
from skills_db.storage.models import ClaimSource
from skills_db.storage.store import PersonBrief

if TYPE_CHECKING:
    from bot.matching.engine import Matcher


def features_of(
    matcher: Matcher,
    person: int,
    entry: Evidence,
    best: tuple[float, float, float],
    asker: int | None,
    near: Mapping[int, int],
    channel: str,
    at: datetime,
) -> tuple[float, ...]:
    """One candidate's features, in bot.matching.model.FEATURES order; ``best``: the pool's best
    thread score, answer score and 30-day activity (for the relative features)."""
    history = matcher.history
    week, month, season = history.recent(person, at)
    solved, total, idle, share = history.facts(person, at, channel)
    skill = entry.skill + sum(entry.declared.values()) * SOURCE_WEIGHTS[ClaimSource.DECLARED]
    return (
        math.log1p(entry.text),
        entry.text / best[0] if best[0] > 0 else 0.0,
        math.log1p(entry.answers),
        entry.answers / best[1] if best[1] > 0 else 0.0,
        entry.coverage,
        math.log1p(skill),
        1.0 if entry.declared else 0.0,
        1.0 if entry.offer else 0.0,
        math.log1p(week),
        math.log1p(month),
        math.log1p(season),
        month / best[2] if best[2] > 0 else 0.0,
        math.log1p(total),
        math.log1p(solved),
        math.log1p(min(idle, 3650.0)),
        math.log1p(history.helped(person, asker)) if asker is not None else 0.0,
        math.log1p(near.get(person, 0)),
        share,
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
) -> list[Candidate]:
    entries = {pid: e for pid, e in evidence.items() if pid in people}
    if not entries:
        return []
    history, model = matcher.history, matcher.model
    best = (
        max(e.text for e in entries.values()),
        max(e.answers for e in entries.values()),
        max(history.recent(pid, at)[1] for pid in entries),
    )
    scored = []
    for pid, entry in entries.items():
        features = features_of(matcher, pid, entry, best, asker, near, channel, at)
        scored.append((model.score(features), pid, entry, features))
    top = max(score for score, *_rest in scored)
    candidates = []
    for raw, pid, entry, features in scored:
        score = math.exp(raw - top)
        if score < matcher.matching.min_score:
            continue
        example = matcher.index.title(entry.example) if entry.example is not None else ""
        reasons = reasons_for(entry, example, matcher.help_times(pid), at)
        # Specific to the need: evidence on one of its skills, an offer of it, or past threads or
        # answers holding enough of it. Text matching the need loosely is only a hint.
        relevant = bool(entry.skill or entry.declared or entry.offer or entry.coverage >= model.relevance)
        candidates.append(
            Candidate(
                pid,
                people[pid].name,
                round(score, 4),
                entry.demonstrated,
                reasons,
                relevant=relevant,
                available_at=later.get(pid),
                weak=not relevant and (entry.text > 0 or entry.answers > 0),
                features=tuple(round(f, 4) for f in features),
            )
        )
    declared_only = {c.person_id for c in candidates if _declared_only(evidence[c.person_id], c.features)}
    candidates.sort(key=lambda c: (c.person_id not in declared_only, c.score, -c.person_id), reverse=True)
    return candidates


def _declared_only(entry: Evidence, features: tuple[float, ...]) -> bool:
    """Only a self-declaration links them to anything: no help given, on any topic."""
    return bool(entry.declared) and not entry.demonstrated and not entry.skill and features[12] == 0.0

