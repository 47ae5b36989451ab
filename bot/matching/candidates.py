"""What matching produces: candidates with the reasons they were chosen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
    learner: bool = False
    # Has evidence about this need (skills, similar threads, an offer), not only general activity.
    # Only relevant people are suggested or asked; the others only complete a ranking.
    relevant: bool = True
    # None: may be asked now. Else when they are back (away, off hours), within the configured
    # wait: they are ranked as usual, and asked then rather than passed over.
    available_at: datetime | None = None
    # Only loose hints (a common word shared with old threads): not enough to interrupt anyone.
    weak: bool = False


@dataclass(frozen=True)
class Match:
    skills: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    learners: tuple[Candidate, ...] = ()
