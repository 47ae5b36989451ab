"""The jobs Entraide runs on its own: needs followed to an end, the outbox kept moving, old
records pruned. Each run is an action (:mod:`bot.chat.actions`): one unit of work whose messages
leave through the outbox, keyed by the job's period so a re-run says nothing twice.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.chat.text import shorten
from bot.jobs.scheduler import Scheduler
from bot.jobs.schedules import Daily, Every
from bot.jobs.spec import JobContext, JobSpec
from skills_db.storage.models import AskStatus, DelayedTask

log = logging.getLogger("entraide.jobs")

EXPIRE_ASK = "expire-ask"
RETENTION = timedelta(days=30)  # processed events and delivered outbox rows kept this long


def register(scheduler: Scheduler, actions: Actions) -> None:
    """The built-in jobs and delayed-task handlers, on ``scheduler``."""
    services = actions.services

    async def sweep_outbox(run: JobContext) -> None:
        sent = await actions.sweep()
        if sent:
            log.info("outbox: delivered messages left pending", extra={"count": sent})

    async def prune(run: JobContext) -> None:
        before = services.clock() - RETENTION

        def work() -> None:
            services.store.prune_processed(before)
            services.store.prune_outbox(before)
            services.store.prune_changes(before)

        await actions.run(work, f"job:prune:{run.period}")

    async def close_needs(run: JobContext) -> None:
        await actions.run(lambda: close_stale_needs(actions, run), f"job:close-needs:{run.period}")

    async def expire_ask(task: DelayedTask) -> None:
        ask_id = int(task.payload.get("ask", 0))
        await actions.run(lambda: expire(actions, ask_id), f"task:{task.key}")

    minute, day = timedelta(minutes=1), timedelta(days=1)
    scheduler.add_job(JobSpec("outbox-sweep", Every(minute), 5 * minute, sweep_outbox))
    # A day's grace: a daily run missed while the bot was down is done once when it is back.
    scheduler.add_job(JobSpec("prune", Daily(time(3, 0)), day, prune))
    scheduler.add_job(JobSpec("close-needs", Daily(time(9, 0)), day, close_needs))
    scheduler.on_task(EXPIRE_ASK, expire_ask)


def schedule_expiry(ctx: Context, ask_id: int) -> None:
    """In the unit of work that asked: the request expires if nobody answers it in time."""
    hours = ctx.config.routing.ask_expiry_hours
    due = ctx.now() + timedelta(hours=hours)
    ctx.store.schedule_task(EXPIRE_ASK, f"{EXPIRE_ASK}:{ask_id}", due, {"ask": ask_id}, now=ctx.now())


def expire(actions: Actions, ask_id: int) -> list[Outgoing]:
    """An unanswered request stops counting as pending (answered later, it is too late)."""
    actions.services.store.answer_ask(ask_id, AskStatus.EXPIRED, at=actions.services.clock())
    return []


def close_stale_needs(actions: Actions, run: JobContext) -> list[Outgoing]:
    """Close the needs nobody accepted within ``close_after_days``; tell each asker, once."""
    services = actions.services
    days = services.config.routing.close_after_days
    closed = services.store.close_unanswered(services.clock() - timedelta(days=days))
    askers = services.store.people([need.person_id for need in closed])
    ctx = Context(services, "")  # says things on each need's own platform
    ctx.know(askers)  # one query for every asker's identities
    for need in closed:
        asker = askers.get(need.person_id)
        user = ctx.user_ref(asker, need.platform) if asker and not asker.deleted else None
        if asker is not None and user is not None:
            ctx.tell(user, asker.language, "need.closed", id=need.id, text=shorten(need.text, 80), days=days)
    return ctx.outgoing
