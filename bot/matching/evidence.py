"""What one person's evidence on one need is, and the reasons it gives, as facts.

:class:`Evidence` is filled by the engine (:mod:`bot.matching.engine`) from the indexes;
:func:`reasons_for` turns it into the :class:`~bot.matching.candidates.Reason` values that
:mod:`bot.matching.reasons` puts in words.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from bot.matching.candidates import Reason
from skills_db.storage.models import ClaimSource

DEMONSTRATED = {ClaimSource.HELPED, ClaimSource.IMPORTED}
RECENT = timedelta(days=90)


@dataclass
class Evidence:
    """What is known of one candidate for one need: skill evidence, text evidence, an offer."""

    skill: float = 0.0
    declared: dict[str, float] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    recent: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    text: float = 0.0
    similar: int = 0
    close: int = 0  # threads close to the need as a whole: specific text evidence
    example: int | None = None
    offer: str | None = None
    demonstrated: bool = False
    answers: float = 0.0  # BM25 of their own answers' words against the need
    answered: int = 0  # their answers that match the need's words
    coverage: float = 0.0  # the largest share of the need one of their threads or answers holds


def help_counts(help_times: array[float], since: float) -> tuple[int, int]:
    """(times they helped since ``since``, epoch seconds; times ever): what :func:`reasons_for`
    says of someone with no other reason. ``help_times``: ascending (Matcher.help_times)."""
    return len(help_times) - bisect_left(help_times, since), len(help_times)


def reasons_for(entry: Evidence, example: str, help_given: tuple[int, int]) -> tuple[Reason, ...]:
    """Why this person, in facts as they are: all-time counts with how many were recent
    (recent help ranks higher: the reasons show it), periods only on counts of that period;
    ``help_given``: their help in the last RECENT days and ever (:func:`help_counts`)."""
    reasons: list[Reason] = []
    if entry.offer:
        reasons.append(Reason("reason.offer", {"skill": entry.offer}))
    helped = [(n, skill, source) for (skill, source), n in entry.counts.items() if source in DEMONSTRATED]
    by_skill: dict[str, int] = defaultdict(int)
    for count, skill, _source in helped:
        by_skill[skill] += count
    for skill, count in sorted(by_skill.items(), key=lambda kv: (-kv[1], kv[0]))[:2]:
        recent = sum(n for (s, src), n in entry.recent.items() if s == skill and src in DEMONSTRATED)
        values = {"count": count, "skill": skill, "recent": recent, "days": RECENT.days}
        reasons.append(Reason("reason.helped", values))
    if not helped and (entry.close or entry.similar):
        # The closest question is quoted only if it was asked in public: a need posted in a DM
        # or a private channel counts as evidence, but its words are shown to nobody else.
        kind = "similar" if entry.close else "related"  # "related": a loose hint, said as such
        count = entry.close or entry.similar
        if example:
            reasons.append(Reason(f"reason.{kind}", {"count": count, "example": example}))
        elif entry.example is not None:
            reasons.append(Reason(f"reason.{kind}_private", {"count": count}))
    endorsed = [(n, skill) for (skill, source), n in entry.counts.items() if source == ClaimSource.ENDORSED]
    for count, skill in sorted(endorsed, reverse=True)[:1]:
        reasons.append(Reason("reason.endorsed", {"count": count, "skill": skill}))
    if not reasons and entry.declared:
        reasons.append(Reason("reason.declared", {"skill": sorted(entry.declared)[0]}))
    if not reasons:
        recent, ever = help_given
        if recent:
            reasons.append(Reason("reason.active_recent", {"count": recent, "days": RECENT.days}))
        elif ever:
            reasons.append(Reason("reason.active", {"count": ever}))
    return tuple(reasons[:3])
