"""The housekeeping jobs Entraide runs on its own: the outbox kept moving, old records pruned
(needs are followed by :mod:`bot.followup.tasks`). Each run is an action
(:mod:`bot.chat.actions`): one unit of work whose messages leave through the outbox, keyed by
the job's period so a re-run says nothing twice.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from bot.chat.actions import Actions
from bot.chat.events import SCRIPT_EVENT_PREFIX
from bot.jobs.scheduler import Scheduler
from bot.jobs.schedules import Daily, Every
from bot.jobs.spec import JobContext, JobSpec

log = logging.getLogger("entraide.jobs")

# Index changes, job runs and finished tasks are kept this long (processed events and delivered
# messages: [retention] processed_days, 30 by default; texts: bot.retention).
RETENTION = timedelta(days=30)


def register(scheduler: Scheduler, actions: Actions) -> None:
    """The built-in jobs and delayed-task handlers, on ``scheduler``."""
    services = actions.services

    async def sweep_outbox(run: JobContext) -> None:
        sent = await actions.sweep()
        if sent:
            log.info("outbox: delivered messages left pending", extra={"count": sent})

    async def prune(run: JobContext) -> None:
        now = services.clock()
        before = now - RETENTION
        processed = now - timedelta(days=services.config.retention.processed_days)

        def work() -> None:
            services.store.prune_processed(processed, keep_prefix=SCRIPT_EVENT_PREFIX)
            services.store.prune_outbox(processed)
            services.store.prune_changes(before)
            services.store.prune_jobs(before)

        await actions.run(work, f"job:prune:{run.period}")

    minute, day = timedelta(minutes=1), timedelta(days=1)
    scheduler.add_job(JobSpec("outbox-sweep", Every(minute), 5 * minute, sweep_outbox))
    # A day's grace: a daily run missed while the bot was down is done once when it is back.
    scheduler.add_job(JobSpec("prune", Daily(time(3, 0)), day, prune))
