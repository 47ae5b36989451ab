"""The work that follows needs over time: delayed tasks (a request expiring, a waiting request
coming due, a follow-up whose day came, "was it solved?") and the daily closing of old needs.

Each runs as an action (:mod:`bot.chat.actions`): one unit of work whose messages leave through
the outbox, keyed by the task or the job's period, so a re-run says nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.followup.evidence import send_waiting
from bot.followup.notices import CLOSED, CLOSING_TIME, NOTICE, PROGRESS, SOLVED_CHECK, follow_up
from bot.followup.routing import ASK_LATER, EXPIRE_ASK, advance
from bot.jobs.scheduler import Scheduler
from bot.jobs.schedules import Daily
from bot.jobs.spec import JobContext, JobSpec, TaskHandler
from bot.matching.availability import is_available
from skills_db.storage.models import AskStatus, DelayedTask, Need, NeedStatus

log = logging.getLogger("entraide.followup")

SOLVED_LATER = "solved-check"


def register(scheduler: Scheduler, actions: Actions) -> None:
    """The follow-up tasks and the daily closing job, on ``scheduler``."""

    def task(work: Callable[[Context, DelayedTask], None]) -> TaskHandler:
        async def handler(item: DelayedTask) -> None:
            def unit() -> list[Outgoing]:
                ctx = Context(actions.services, "")  # says things on each need's own platform
                work(ctx, item)
                # Finished in the same unit of work as its effects: a process killed after the
                # commit leaves the task done, not to be run again by whoever takes over its
                # lease (a follow-up would then be said twice, a day apart).
                assert item.id is not None
                ctx.store.finish_task(item.id, item.owner, "done", at=ctx.now())
                return ctx.outgoing

            await actions.run(unit, f"task:{item.key}")

        return handler

    async def close_needs(run: JobContext) -> None:
        def unit() -> list[Outgoing]:
            ctx = Context(actions.services, "")
            close_old_needs(ctx)
            return ctx.outgoing

        await actions.run(unit, f"job:close-needs:{run.period}")

    scheduler.on_task(EXPIRE_ASK, task(expire_ask))
    scheduler.on_task(ASK_LATER, task(ask_later))
    scheduler.on_task(NOTICE, task(notice))
    scheduler.on_task(SOLVED_LATER, task(solved_check))
    # A day's grace: a daily run missed while the bot was down is done once when it is back.
    scheduler.add_job(JobSpec("close-needs", Daily(CLOSING_TIME), timedelta(days=1), close_needs))


def _need_of_task(ctx: Context, item: DelayedTask) -> Need | None:
    need_id = int(item.payload.get("need", 0))
    return ctx.store.get_need(need_id) if need_id else None


def expire_ask(ctx: Context, item: DelayedTask) -> None:
    """Nobody answered the request in time: it expires, and the next colleague is asked."""
    ask = ctx.store.answer_ask(int(item.payload.get("ask", 0)), AskStatus.EXPIRED, at=ctx.now())
    if ask is None:
        return  # answered meanwhile
    need = ctx.store.get_need(ask.need_id)
    if need is not None:
        move_on(ctx, need)


def move_on(ctx: Context, need: Need) -> None:
    """After a request ended without help: ask the next colleagues, and tell the asker (gated)."""
    progress = advance(ctx, need)
    if progress.accepted:
        return  # someone is on it: no need to ask more people
    if progress.asked or progress.waiting or not progress.outstanding:
        follow_up(ctx, need, PROGRESS)


def ask_later(ctx: Context, item: DelayedTask) -> None:
    """A waiting request came due: send it if its colleague can be asked now, else move on."""
    ask = ctx.store.get_ask(int(item.payload.get("ask", 0)))
    if ask is None or ask.id is None or ask.status != AskStatus.WAITING:
        return
    need = ctx.store.get_need(ask.need_id)
    person = ctx.store.get_person(ask.person_id)
    taken = need is not None and any(
        a.status in (AskStatus.ACCEPTED, AskStatus.OFFERED) for a in ctx.store.asks_for_need(ask.need_id)
    )
    if need is None or person is None or need.status != NeedStatus.OPEN or taken:
        ctx.store.skip_ask(ask.id, at=ctx.now())  # "if nobody has accepted by then"
        return
    if is_available(person, ctx.now(), ctx.config.routing) and send_waiting(ctx, ask, person):
        return
    # Away again, or their week filled up meanwhile: not waited for twice.
    if ctx.store.skip_ask(ask.id, at=ctx.now()):
        move_on(ctx, need)


def notice(ctx: Context, item: DelayedTask) -> None:
    """A follow-up that had to wait for the next day: said now, as things stand now."""
    need = _need_of_task(ctx, item)
    if need is not None:
        follow_up(ctx, need, str(item.payload.get("kind", PROGRESS)))


def solved_check(ctx: Context, item: DelayedTask) -> None:
    need = _need_of_task(ctx, item)
    if need is not None:
        follow_up(ctx, need, SOLVED_CHECK)


def schedule_solved_check(ctx: Context, need: Need) -> None:
    """After an introduction: ask the asker, later, whether the need was solved."""
    assert need.id is not None
    due = ctx.now() + timedelta(days=ctx.config.routing.solved_check_days)
    ctx.store.schedule_task(SOLVED_LATER, f"{SOLVED_LATER}:{need.id}", due, {"need": need.id}, now=ctx.now())


def close_old_needs(ctx: Context) -> None:
    """Close the needs older than ``close_after_days``; a last word to each asker (gated)."""
    days = ctx.config.routing.close_after_days
    closed = ctx.store.close_needs_before(ctx.now() - timedelta(days=days))
    ctx.know(need.person_id for need in closed)  # one query for every asker's identities
    for need in closed:
        need.status = NeedStatus.CLOSED
        follow_up(ctx, need, CLOSED)
    if closed:
        log.info("closed old needs", extra={"count": len(closed)})
