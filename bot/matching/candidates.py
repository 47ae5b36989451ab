"""What matching produces: candidates with the reasons they were chosen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from skills_db.storage.store import PersonBrief


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
    # Why they are suggested: the reasons, or what puts them together when first read
    # (:attr:`reasons`). Ranking scores some 200 people per need and shows or asks a few: only
    # their reasons are worked out. Not compared: they follow from what the rest says.
    why: tuple[Reason, ...] | Callable[[], tuple[Reason, ...]] = field(compare=False, repr=False)
    learner: bool = False
    # Has evidence specific to this need: on one of its skills (help given, answers, endorsements,
    # declaring it), an offer of it, or a past thread close to the need as a whole. Only relevant
    # people are suggested or asked; the others only complete a ranking.
    relevant: bool = True
    # None: may be asked now. Else when they are back (away, off hours): they are ranked as
    # usual, and asked then if that is soon enough, rather than passed over.
    available_at: datetime | None = None
    # Not relevant, but some past thread shares words with the need: a loose hint, not a reason
    # to interrupt anyone ("I only found loose hints, I asked nobody").
    weak: bool = False
    # What the score was computed from, in bot.matching.model.FEATURES order (for `match --batch
    # --features` and the benchmark's fitting, which round them).
    features: tuple[float, ...] = ()

    @cached_property
    def reasons(self) -> tuple[Reason, ...]:
        return self.why if isinstance(self.why, tuple) else self.why()


@dataclass(frozen=True)
class Match:
    skills: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    learners: tuple[Candidate, ...] = ()
    # What ranking read of the candidates and learners (names, caps, availability), and the
    # unit of work it read them in: routing in the same one need not read them again.
    people: Mapping[int, PersonBrief] = field(default_factory=dict, compare=False, repr=False)
    unit: int | None = field(default=None, compare=False, repr=False)
