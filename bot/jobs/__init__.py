"""Acting on its own: recurring jobs and delayed tasks, run once each from the database's ledger.

Register jobs and task handlers on a :class:`Scheduler`, schedule delayed tasks with
``store.schedule_task`` inside the unit of work that decides them, and let the ticker
(:meth:`Scheduler.start`) or the console (:meth:`Scheduler.run_due` after ``/time``) run them.
"""

from bot.jobs.clock import (
    ACCEPTED_FORMS,
    Clock,
    MovableClock,
    SystemClock,
    TimeArgumentError,
    parse_time_argument,
)
from bot.jobs.scheduler import Scheduler
from bot.jobs.schedules import Daily, Every, Occurrence, Schedule, Weekly
from bot.jobs.spec import JobContext, JobFunction, JobSpec, Outcome, TaskHandler, TickReport

__all__ = [
    "ACCEPTED_FORMS",
    "Clock",
    "Daily",
    "Every",
    "JobContext",
    "JobFunction",
    "JobSpec",
    "MovableClock",
    "Occurrence",
    "Outcome",
    "Schedule",
    "Scheduler",
    "SystemClock",
    "TaskHandler",
    "TickReport",
    "TimeArgumentError",
    "Weekly",
    "parse_time_argument",
]
