"""What the scheduler is given (jobs, handlers) and what it reports back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.jobs.schedules import Schedule
from skills_db.storage.models import DelayedTask


@dataclass(frozen=True)
class JobContext:
    """What a run is told: which job, which period, when it was due and when it started."""

    job: str
    period: str  # the key in the ledger, e.g. "2026-W49"
    period_start: datetime
    scheduled_at: datetime
    started_at: datetime  # the clock when the run was claimed (later than scheduled_at if late)


JobFunction = Callable[[JobContext], Awaitable[None]]
TaskHandler = Callable[[DelayedTask], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    schedule: Schedule
    grace: timedelta  # how late a run may still start
    run: JobFunction


@dataclass(frozen=True)
class Outcome:
    what: str  # "job" or "task"
    name: str  # the job's name or the task's kind
    key: str  # the period or the task's key
    status: str  # done | failed | skipped (jobs only)
    due_at: datetime  # the occurrence's scheduled time or the task's due time


@dataclass
class TickReport:
    """What a tick or :meth:`Scheduler.run_due` did, in the order it finished."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def runs(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.what == "job" and o.status != "skipped"]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    @property
    def tasks(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.what == "task"]
