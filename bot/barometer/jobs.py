"""The weekly barometer posted to the managers' channel (``[barometer] channel``), once a week.

A run is claimed once per ISO week in the job ledger (:mod:`bot.jobs.scheduler`), and the post's
outbox key, ``barometer:<channel>:<ISO week>``, is unique: a re-run after a crash, a takeover
by another instance, or a second scheduler on the same database writes nothing more. A post
missed while the bot was down is sent once when it is back, within ``grace_hours``. It covers
the whole weeks before the week it is posted in, like ``admin barometer`` that week.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.barometer.report import barometer_for, chart_attachment, text_for
from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.chat.events import Reply
from bot.config import WEEKDAYS, parse_clock_time
from bot.jobs.scheduler import Scheduler
from bot.jobs.schedules import Weekly
from bot.jobs.spec import JobContext, JobFunction, JobSpec

log = logging.getLogger("entraide.barometer")


def job_name(channel: str) -> str:
    return f"barometer:{channel}"


def outbox_key(channel: str, week: str) -> str:
    return f"barometer:{channel}:{week}"


def register(scheduler: Scheduler, actions: Actions) -> None:
    config = actions.services.config.barometer
    if not config.channel:
        return
    schedule = Weekly(WEEKDAYS.index(config.day), parse_clock_time(config.time), ZoneInfo(config.timezone))
    grace = timedelta(hours=config.grace_hours)
    scheduler.add_job(JobSpec(job_name(config.channel), schedule, grace, _post_job(actions, config.channel)))


def post_barometer(ctx: Context, channel: str, at: datetime, week: str) -> None:
    """Post the barometer as of ``at`` (its scheduled time) to ``channel``, keyed by ``week``."""
    config = ctx.config
    platform, _, conversation = channel.partition(":")
    language = config.barometer.language or config.bot.language
    barometer = barometer_for(ctx.services, at)
    reply = Reply(
        body=(text_for(ctx.services, barometer, language),),
        conversation=conversation,
        language=language,
        key=outbox_key(channel, week),
        attachment=chart_attachment(ctx.services, barometer, language),
    )
    ctx.send(reply, platform)


def _post_job(actions: Actions, channel: str) -> JobFunction:
    platform = channel.partition(":")[0]

    async def run(job: JobContext) -> None:
        def unit() -> list[Outgoing]:
            ctx = Context(actions.services, platform)
            # The weeks covered end where the scheduled week starts, even when it is sent late.
            post_barometer(ctx, channel, job.scheduled_at, job.period)
            log.info("barometer posted", extra={"channel": channel, "week": job.period})
            return ctx.outgoing

        await actions.run(unit, f"job:{job.job}:{job.period}")

    return run
