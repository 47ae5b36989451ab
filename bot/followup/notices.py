"""What the asker hears about their need after the first answer — and never more than once a day.

Every follow-up goes through :func:`follow_up`: it decides what to say from the need as it
stands, takes the need's one slot of the day (a conditional update: two instances cannot both
take it), and when the slot is taken already, leaves a task for when it frees up, which says
what is true *then*. So a burst of declines is one message, and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from bot.chat.context import Context
from bot.chat.events import About, AboutKind, Button, ButtonPress, Reply, Segment, UserRef
from bot.followup.status import status_segments, when_text
from bot.retention.shown import quoted_need
from skills_db.storage.models import AskStatus, Need, NeedStatus, Person

EVERY = timedelta(days=1)  # at most one follow-up per need per day
CLOSING_TIME = time(9, 0)  # when the daily job closes old needs (UTC)
NOTICE = "need-notice"

PROGRESS = "progress"  # where the need stands (or, once, that nobody is left to ask)
SOLVED_CHECK = "solved-check"  # "was it solved?"
CLOSED = "closed"  # the last word


def follow_up(ctx: Context, need: Need, kind: str) -> bool:
    """Tell the asker of ``need`` what ``kind`` calls for; True if it was said now."""
    assert need.id is not None
    store, now = ctx.store, ctx.now()
    asker = store.get_person(need.person_id)
    user = ctx.user_ref(asker, need.platform) if asker is not None and not asker.deleted else None
    if asker is None or user is None:
        return False
    compose = _COMPOSERS[kind](ctx, need, asker)
    if compose is None:
        return False  # nothing worth saying (any more)
    if not store.may_follow_up(need.id, at=now, every=EVERY):
        due = store.next_follow_up(need.id, EVERY) or now + EVERY
        payload = {"need": need.id, "kind": kind}
        store.schedule_task(NOTICE, f"{NOTICE}:{need.id}:{kind}:{due.isoformat()}", due, payload, now=now)
        return False
    compose(user)
    return True


Composer = Callable[[UserRef], None]


def closes_on(need: Need, days: int) -> datetime:
    """When the daily closing job will close ``need`` if it is still open: its first run after
    the need is ``days`` old."""
    old = need.created_at + timedelta(days=days)
    run = datetime.combine(old.date(), CLOSING_TIME, tzinfo=UTC)
    return run if run > old else run + timedelta(days=1)


def _language(ctx: Context, asker: Person) -> str:
    return asker.language or ctx.config.bot.language


def _send(
    ctx: Context,
    need: Need,
    user: UserRef,
    language: str,
    body: tuple[Segment, ...],
    buttons: tuple[Button, ...] = (),
) -> None:
    assert need.id is not None
    reply = Reply(
        body=body, to=user, buttons=buttons, about=About(AboutKind.FOLLOW_UP, need.id), language=language
    )
    ctx.send(reply, user.platform)


def _progress(ctx: Context, need: Need, asker: Person) -> Composer | None:
    assert need.id is not None
    if need.status != NeedStatus.OPEN:
        return None
    asks = ctx.store.asks_for_need(need.id)
    if any(a.status in (AskStatus.ACCEPTED, AskStatus.OFFERED) for a in asks):
        return None  # the introduction (or a helper's offer, on an anonymous need) said it all
    language = _language(ctx, asker)
    text = quoted_need(ctx.services, need, 80, language)
    if not any(a.status in (AskStatus.PENDING, AskStatus.WAITING) for a in asks):
        if need.exhausted_told:
            return None

        def exhausted(user: UserRef) -> None:
            if ctx.store.mark_told(need.id or 0, "exhausted_told"):
                close = closes_on(need, ctx.config.routing.close_after_days)
                body = ctx.render(
                    "followup.exhausted_skills" if need.skills else "followup.exhausted_text",
                    language,
                    id=need.id,
                    text=text,
                    until=when_text(ctx, close, language, asker.timezone, hour=False),
                )
                _send(ctx, need, user, language, body)

        return exhausted
    people = ctx.store.people([a.person_id for a in asks])

    def update(user: UserRef) -> None:
        status = status_segments(ctx, need, asks, people, language, asker.timezone)
        _send(
            ctx,
            need,
            user,
            language,
            ctx.render("followup.update", language, id=need.id, text=text, status=status),
        )

    return update


def _solved_check(ctx: Context, need: Need, asker: Person) -> Composer | None:
    if need.status != NeedStatus.OPEN or need.solved_asked:
        return None
    language = _language(ctx, asker)

    def ask(user: UserRef) -> None:
        assert need.id is not None
        if not ctx.store.mark_told(need.id, "solved_asked"):
            return
        buttons = (
            Button(ctx.text("followup.button_solved", language), ButtonPress("solved", need.id), "primary"),
            Button(ctx.text("followup.button_not_yet", language), ButtonPress("not-solved", need.id)),
        )
        body = ctx.render(
            "followup.solved_check", language, id=need.id, text=quoted_need(ctx.services, need, 80, language)
        )
        _send(ctx, need, user, language, body, buttons)

    return ask


def _closed(ctx: Context, need: Need, asker: Person) -> Composer | None:
    if need.status != NeedStatus.CLOSED:
        return None
    language = _language(ctx, asker)
    days = ctx.config.routing.close_after_days
    asks = ctx.store.asks_for_need(need.id or 0)
    helped = any(a.status == AskStatus.ACCEPTED for a in asks)

    def last_word(user: UserRef) -> None:
        key = "need.closed_helped" if helped else "need.closed"
        _send(
            ctx,
            need,
            user,
            language,
            ctx.render(
                key, language, id=need.id, text=quoted_need(ctx.services, need, 80, language), days=days
            ),
        )

    return last_word


_COMPOSERS: dict[str, Callable[[Context, Need, Person], Composer | None]] = {
    PROGRESS: _progress,
    SOLVED_CHECK: _solved_check,
    CLOSED: _closed,
}
