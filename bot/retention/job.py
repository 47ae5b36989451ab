"""The daily retention job: old texts blanked, old audit entries deleted, once a day.

Exactly once per day across instances comes from the job ledger (``JobRun``); the purge itself
is idempotent besides (it only takes rows that still have a text), so a run cut by a crash and
taken over after its lease finishes what is left. The job logs counts, never what was removed.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from bot.chat.actions import Actions
from bot.jobs.scheduler import Scheduler
from bot.jobs.schedules import Daily
from bot.jobs.spec import JobContext, JobSpec

log = logging.getLogger("entraide.retention")

JOB = "retention"
AT = time(3, 30)  # UTC, after the nightly prune, when the bot is quiet


def register(scheduler: Scheduler, actions: Actions) -> None:
    services = actions.services

    async def purge(run: JobContext) -> None:
        retention = services.config.retention
        now = services.clock()

        def work() -> tuple[int, int, dict[str, int]]:
            # The vocabulary as it is now: a help thread whose skills were never kept has them
            # recognised before its text goes, so the barometer still counts its demand.
            report = services.store.purge_texts(
                now - timedelta(days=retention.text_days), services.matcher.recognise, now=now
            )
            audit = services.store.prune_audit(now - timedelta(days=retention.audit_days))
            return report.total, audit, vars(report)

        total, audit, counts = await actions.in_thread(work)
        log.info(
            "retention: old texts blanked, old audit entries deleted",
            extra={"period": run.period, "texts": total, "audit_deleted": audit, **counts},
        )

    # A day's grace: a run missed while the bot was down is done once when it is back.
    scheduler.add_job(JobSpec(JOB, Daily(AT), timedelta(days=1), purge))
