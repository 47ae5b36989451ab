"""One weekly job per shout-out channel (and one more per channel when people are asked first).

A job's run is claimed once per period in the ledger (:mod:`bot.jobs.scheduler`), and the week's
:class:`~skills_db.storage.models.Shoutout` row, created with the post in one unit of work, makes
a re-run, a takeover after a crash, another instance or a manager's ``send`` that week a no-op.
A post missed while the bot was down is sent once when it is back, within ``grace_hours``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.jobs.scheduler import Scheduler
from bot.jobs.spec import JobContext, JobFunction, JobSpec
from bot.shoutouts.plan import ChannelPlan, plans
from bot.shoutouts.weekly import Week, ask_week, post_week

log = logging.getLogger("entraide.shoutouts")


def job_name(plan: ChannelPlan, *, ask: bool = False) -> str:
    return f"{'shoutout-ask' if ask else 'shoutout'}:{plan.channel}"


def register(scheduler: Scheduler, actions: Actions) -> None:
    config = actions.services.config
    grace = timedelta(hours=config.shoutouts.grace_hours)
    for plan in plans(config):
        scheduler.add_job(JobSpec(job_name(plan), plan.schedule, grace, _post_job(actions, plan)))
        if plan.ask_schedule is not None:
            scheduler.add_job(
                JobSpec(job_name(plan, ask=True), plan.ask_schedule, grace, _ask_job(actions, plan))
            )


def _post_job(actions: Actions, plan: ChannelPlan) -> JobFunction:
    async def run(job: JobContext) -> None:
        def unit() -> list[Outgoing]:
            ctx = Context(actions.services, plan.platform)
            # The period ends at the post's time, even when it is sent late (within grace).
            result = post_week(ctx, Week.ending(plan, job.scheduled_at, job.period))
            log.info("shoutout", extra={"channel": plan.channel, "week": job.period, "result": str(result)})
            return ctx.outgoing

        await actions.run(unit, f"job:{job.job}:{job.period}")

    return run


def _ask_job(actions: Actions, plan: ChannelPlan) -> JobFunction:
    async def run(job: JobContext) -> None:
        post = plan.post_after(job.scheduled_at)

        def unit() -> list[Outgoing]:
            ctx = Context(actions.services, plan.platform)
            # Asked about the seven days before the asking; the post, later, says those dates.
            result = ask_week(ctx, Week.ending(plan, job.scheduled_at, post.key))
            log.info(
                "shoutout asks", extra={"channel": plan.channel, "week": post.key, "result": str(result)}
            )
            return ctx.outgoing

        await actions.run(unit, f"job:{job.job}:{post.key}")

    return run
