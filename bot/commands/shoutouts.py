"""Shout-out commands: a manager's preview, send and skip; a helper's yes or no to being named."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.events import Mention, Segment
from bot.commands.registry import Arguments, UsageError
from bot.followup.status import when_text
from bot.shoutouts.compose import post
from bot.shoutouts.plan import ChannelPlan, find_plan, plans
from bot.shoutouts.weekly import Result, Week, after_last_post, ask_person, post_week, rank, skip_week
from skills_db.storage.models import Person, PickOutcome, ShoutoutPick, ShoutoutStatus


def _plan(ctx: Context, name: str) -> ChannelPlan:
    configured = plans(ctx.config)
    if not configured:
        raise UsageError(None, "error.no_shoutout_channel")
    if not name and len(configured) == 1:
        return configured[0]
    found = find_plan(ctx.config, name) if name else None
    if found is None:
        channels = ", ".join(p.channel for p in configured)
        raise UsageError(None, "error.which_shoutout_channel", channels=channels)
    return found


def _as_text(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    # A preview names people without mentioning them: it must not ping anyone.
    return tuple(f"@{part.user.label}" if isinstance(part, Mention) else part for part in segments)


def cmd_admin_shoutout(ctx: Context, args: Arguments) -> None:
    plan = _plan(ctx, args.text("channel"))
    action, now = args.text("action"), ctx.now()
    week = Week.ending(plan, now)  # audited by `admin`, with the words given
    if action == "preview":
        _preview(ctx, plan, week)
    elif action == "send":
        result = post_week(ctx, week, by=ctx.person_id)
        _told(ctx, plan, week, result)
    else:
        _told(ctx, plan, week, skip_week(ctx, week, ctx.person_id))


def _status_text(ctx: Context, plan: ChannelPlan, week: Week) -> str:
    found = ctx.store.shoutout(plan.channel, week.key)
    if found is not None:
        return ctx.text(f"shoutout.status_{found.status}")
    due = plan.schedule.latest(week.until)
    upcoming = plan.schedule.next_after(week.until)
    if due.key != week.key:
        return ctx.text(
            "shoutout.status_due", when=when_text(ctx, upcoming.scheduled_at, ctx.language, plan.timezone)
        )
    # This week's time has passed with no post (the bot was down beyond grace, or just set up).
    return ctx.text(
        "shoutout.status_missed",
        when=when_text(ctx, due.scheduled_at, ctx.language, plan.timezone),
        next=when_text(ctx, upcoming.scheduled_at, ctx.language, plan.timezone),
    )


def _preview(ctx: Context, plan: ChannelPlan, week: Week) -> None:
    status = _status_text(ctx, plan, week)
    week = after_last_post(ctx, week)
    picks = [p for p in rank(ctx, week) if p.outcome == PickOutcome.FEATURED]
    if not picks:
        ctx.say("shoutout.preview_empty", private=True, channel=plan.channel, status=status)
        return
    persons = ctx.store.people([p.helper.person for p in picks])
    rows = [
        (
            ShoutoutPick(
                shoutout_id=0,
                person_id=p.helper.person,
                rank=p.rank,
                outcome=p.outcome,
                helped=p.helper.helped,
                newcomers=p.helper.newcomers,
                skills=list(p.helper.skills),
            ),
            persons[p.helper.person],
        )
        for p in picks
        if p.helper.person in persons
    ]
    reply = post(ctx, plan, week.since, week.until, rows)
    text: tuple[Segment, ...] = (reply.title, "\n", *_as_text(reply.body), "\n", *_as_text(reply.note))
    ctx.say("shoutout.preview", private=True, channel=plan.channel, status=status, post=text)


def _told(ctx: Context, plan: ChannelPlan, week: Week, result: Result) -> None:
    if result is Result.ALREADY:
        ctx.say("shoutout.already", private=True, channel=plan.channel, status=_status_text(ctx, plan, week))
    else:
        ctx.say(f"shoutout.admin_{result}", private=True, channel=plan.channel)


# -- asked first: may we name you? ----------------------------------------------------------------


def _my_pick(ctx: Context, args: Arguments) -> tuple[ShoutoutPick, ChannelPlan, Week]:
    wanted = args.text("id").lstrip("#")
    rows = [
        (shoutout, pick)
        for shoutout, pick in ctx.store.picks_of(ctx.person_id)
        if shoutout.status == ShoutoutStatus.ASKING
        and pick.outcome in (PickOutcome.ASKED, PickOutcome.AGREED, PickOutcome.DECLINED)
        and (not wanted or str(pick.id) == wanted)
    ]
    if not rows:
        raise UsageError(None, "error.no_shoutout_question")
    shoutout, pick = rows[0]
    plan = find_plan(ctx.config, shoutout.channel)
    if plan is None:
        raise UsageError(None, "error.no_shoutout_question")
    return pick, plan, Week(plan, shoutout.week, shoutout.since, shoutout.until)


def cmd_shoutout_yes(ctx: Context, args: Arguments) -> None:
    pick, plan, week = _my_pick(ctx, args)
    ctx.store.set_pick_outcome(pick.id or 0, PickOutcome.AGREED, at=ctx.now())
    when = when_text(ctx, plan.post_after(week.until).scheduled_at, ctx.language, ctx.sender.timezone)
    ctx.say("shoutout.agreed", private=True, when=when)


def cmd_shoutout_no(ctx: Context, args: Arguments) -> None:
    pick, _, week = _my_pick(ctx, args)
    was_counted = pick.outcome in (PickOutcome.ASKED, PickOutcome.AGREED)
    ctx.store.set_pick_outcome(pick.id or 0, PickOutcome.DECLINED, at=ctx.now())
    ctx.say("shoutout.declined", private=True)
    if was_counted:  # their place goes to the next colleague who helped, asked in turn
        waiting = [p for p in ctx.store.picks(pick.shoutout_id) if p.outcome == PickOutcome.NO_ROOM]
        for row in waiting[:1]:
            if ctx.store.set_pick_outcome(row.id or 0, PickOutcome.ASKED, was=[PickOutcome.NO_ROOM]):
                row.outcome = PickOutcome.ASKED
                ask_person(ctx, week, row)


# -- what a profile says -----------------------------------------------------------------------


def profile_lines(ctx: Context, person: Person) -> list[Segment]:
    """Shout-outs received (anyone may read it: the posts were public) and, for the person
    themselves, why they were or were not featured in their latest week as a helper."""
    assert person.id is not None
    count = ctx.store.featured_count(person.id)
    lines: list[Segment] = [
        "\n" + ctx.text("shoutout.profile" if count else "shoutout.profile_none", count=count)
    ]
    if person.id != ctx.person_id:
        return lines
    for shoutout, pick in ctx.store.picks_of(person.id, limit=1):
        if shoutout.status not in (ShoutoutStatus.POSTED, ShoutoutStatus.ASKING, ShoutoutStatus.EMPTY):
            continue  # a skipped week: nobody was featured, for no reason of theirs
        plan = find_plan(ctx.config, shoutout.channel)
        room = plan.room if plan else ctx.config.shoutouts.max_people
        since = when_text(ctx, shoutout.since, ctx.language, person.timezone, hour=False)
        helped = ctx.text("shoutout.you_helped", count=pick.helped)
        why = ctx.text(f"shoutout.why_{pick.outcome}", room=room)
        lines.append("\n" + ctx.text("shoutout.why", since=since, helped=helped, why=why))
    return lines
