"""A channel's week: who helped, who is featured, and the one post.

Every function here runs inside an action (one unit of work): the week's :class:`Shoutout` row,
its picks and its post (an outbox message keyed ``shoutout:<channel>:<week>``) commit together
or not at all, and the row's unique key lets one instance — or one manager's ``send`` — through.

Without ``ask_first``, the post is prepared and sent at its time. With it, those picked are asked
``answer_hours`` earlier whether they may be named (``asking``), and the post, at its time, names
those who agreed (and those who did not answer, if so configured). Opt-outs are read again at
the last moment, so ``optout shoutouts`` also takes someone out of a post already prepared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.chat.context import Context
from bot.chat.events import Button, ButtonPress, Reply
from bot.followup.status import when_text
from bot.shoutouts.compose import post, skills_text
from bot.shoutouts.plan import PERIOD, ChannelPlan
from bot.shoutouts.selection import Pick, choose, helpers
from skills_db.storage.models import PickOutcome, Shoutout, ShoutoutPick, ShoutoutStatus

YES, NO = "shoutout-yes", "shoutout-no"  # the verbs of the consent buttons (commands)


class Result(StrEnum):
    POSTED = "posted"
    EMPTY = "empty"  # nobody to feature: nothing posted
    ASKING = "asking"  # people were asked first
    SKIPPED = "skipped"  # a manager skipped the week
    ALREADY = "already"  # the week already had its shout-out (posted, skipped or empty)


@dataclass(frozen=True)
class Week:
    """One channel's week: the key of its one post and the period it covers, [since, until)."""

    plan: ChannelPlan
    key: str
    since: datetime
    until: datetime

    @classmethod
    def ending(cls, plan: ChannelPlan, until: datetime, key: str | None = None) -> Week:
        return cls(plan, key or plan.week_of(until), until - PERIOD, until)


def after_last_post(ctx: Context, week: Week) -> Week:
    """The week, starting no earlier than where the channel's last post stopped: help already
    thanked in a post (one a manager sent early, say) is not counted again."""
    last = ctx.store.last_post_until(week.plan.channel, week.key)
    if last is None or last <= week.since:
        return week
    return replace(week, since=min(last, week.until))


def outbox_key(week: Week) -> str:
    return f"shoutout:{week.plan.channel}:{week.key}"


def rank(ctx: Context, week: Week) -> list[Pick]:
    """Everyone on the channel's platform who helped in the period, ranked, with their outcome."""
    store = ctx.store
    given = store.help_given(week.since, week.until)
    people = {item.helper for item in given} | {item.helped for item in given}
    ctx.know(people)
    reachable = {pid for pid in people if ctx.reachable(pid, week.plan.platform)}
    given = [item for item in given if item.helper in reachable]
    found = helpers(
        given,
        store.seen({item.helper for item in given}, week.since),
        store.first_seen({item.helped for item in given}),
        ctx.config.shoutouts.newcomer_days,
    )
    persons = store.people([h.person for h in found])
    opted_out = {pid for pid, p in persons.items() if p.shoutouts_opt_out or p.deleted}
    before = store.last_featured(week.plan.channel, week.key, week.until)
    return choose(found, room=week.plan.room, week=week.key, opted_out=opted_out, featured_before=before)


def _rows(shoutout: Shoutout, picks: Sequence[Pick], asked: bool) -> list[ShoutoutPick]:
    assert shoutout.id is not None
    rows = []
    for pick in picks:
        outcome = pick.outcome
        if asked and outcome == PickOutcome.FEATURED:
            outcome = PickOutcome.ASKED
        helper = pick.helper
        rows.append(
            ShoutoutPick(
                shoutout_id=shoutout.id,
                person_id=helper.person,
                rank=pick.rank,
                outcome=outcome,
                helped=helper.helped,
                newcomers=helper.newcomers,
                skills=list(helper.skills),
            )
        )
    return rows


def post_week(ctx: Context, week: Week, *, by: int | None = None) -> Result:
    """The week's post, now: prepared from scratch, or from the answers of those asked first."""
    store, now = ctx.store, ctx.now()
    found = store.shoutout(week.plan.channel, week.key)
    if found is not None and found.status == ShoutoutStatus.ASKING:
        return _post_asked(ctx, week, found)
    if found is not None and not (found.status == ShoutoutStatus.SKIPPED and by is not None):
        return Result.ALREADY
    week = after_last_post(ctx, week)
    picks = rank(ctx, week)
    featured = any(p.outcome == PickOutcome.FEATURED for p in picks)
    if not featured and by is not None:
        return Result.EMPTY  # a manager's early try: the week's own post may still find someone
    status = ShoutoutStatus.POSTED if featured else ShoutoutStatus.EMPTY
    if found is not None:  # a manager sends a week that was skipped: the period is as of now
        moved = store.set_shoutout_status(
            found.id or 0, status, now, was=ShoutoutStatus.SKIPPED, since=week.since, until=week.until
        )
        if not moved:
            return Result.ALREADY
        shoutout = found
    else:
        claimed = store.claim_shoutout(
            week.plan.channel, week.key, status, week.since, week.until, week.plan.language, now, by
        )
        if claimed is None:
            return Result.ALREADY
        shoutout = claimed
    rows = store.add_picks(_rows(shoutout, picks, asked=False))
    if not featured:
        return Result.EMPTY
    _send(ctx, week, rows)
    _thank_opted_out(ctx, week, rows)
    return Result.POSTED


def ask_week(ctx: Context, week: Week) -> Result:
    """With ``ask_first``: ask those picked whether they may be named in the coming post."""
    store, now = ctx.store, ctx.now()
    if store.shoutout(week.plan.channel, week.key) is not None:
        return Result.ALREADY
    week = after_last_post(ctx, week)
    picks = rank(ctx, week)
    if not any(p.outcome == PickOutcome.FEATURED for p in picks):
        status = ShoutoutStatus.EMPTY
    else:
        status = ShoutoutStatus.ASKING
    shoutout = store.claim_shoutout(
        week.plan.channel, week.key, status, week.since, week.until, week.plan.language, now
    )
    if shoutout is None:
        return Result.ALREADY
    rows = store.add_picks(_rows(shoutout, picks, asked=True))
    for row in rows:
        if row.outcome == PickOutcome.ASKED:
            ask_person(ctx, week, row)
    return Result.ASKING if status == ShoutoutStatus.ASKING else Result.EMPTY


def ask_person(ctx: Context, week: Week, row: ShoutoutPick) -> None:
    person = ctx.store.get_person(row.person_id)
    user = ctx.user_ref(person, week.plan.platform) if person else None
    if person is None or user is None or row.id is None or person.dms_opt_out:
        return  # `optout dms`: not asked (and so not named, see _post_asked)
    language = person.language or ctx.config.bot.language
    when = week.plan.post_after(week.until)
    ctx.tell(
        user,
        language,
        "shoutout.ask",
        count=row.helped,
        skills=skills_text(ctx, row.skills, language),
        when=when_text(ctx, when.scheduled_at, language, person.timezone),
        id=row.id,
        buttons=(
            Button(ctx.text("shoutout.yes_button", language), ButtonPress(YES, row.id), "primary"),
            Button(ctx.text("shoutout.no_button", language), ButtonPress(NO, row.id)),
        ),
    )


def _post_asked(ctx: Context, week: Week, shoutout: Shoutout) -> Result:
    store, now = ctx.store, ctx.now()
    include_silent = ctx.config.shoutouts.if_no_answer == "include"
    rows = store.picks(shoutout.id or 0)
    persons = store.people([r.person_id for r in rows])
    for row in rows:
        person = persons.get(row.person_id)
        outcome = row.outcome
        if person is None or person.deleted or person.shoutouts_opt_out:
            outcome = (
                PickOutcome.OPTED_OUT if row.outcome in (PickOutcome.ASKED, PickOutcome.AGREED) else outcome
            )
        elif row.outcome == PickOutcome.AGREED:
            outcome = PickOutcome.FEATURED
        elif row.outcome == PickOutcome.ASKED:
            # Someone who opted out of private messages was never asked: not named unasked.
            silent = include_silent and not person.dms_opt_out
            outcome = PickOutcome.FEATURED if silent else PickOutcome.NO_ANSWER
        if outcome != row.outcome:
            store.set_pick_outcome(row.id or 0, outcome)
            row.outcome = outcome
    featured = any(r.outcome == PickOutcome.FEATURED for r in rows)
    status = ShoutoutStatus.POSTED if featured else ShoutoutStatus.EMPTY
    if not store.set_shoutout_status(shoutout.id or 0, status, now, was=ShoutoutStatus.ASKING):
        return Result.ALREADY
    if not featured:
        return Result.EMPTY
    asked = replace(week, since=shoutout.since, until=shoutout.until)
    _send(ctx, asked, rows)
    _thank_opted_out(ctx, asked, rows)
    return Result.POSTED


def _send(ctx: Context, week: Week, rows: Sequence[ShoutoutPick]) -> None:
    featured = [r for r in rows if r.outcome == PickOutcome.FEATURED]
    persons = ctx.store.people([r.person_id for r in featured])
    ctx.know(persons)
    pairs = [(r, persons[r.person_id]) for r in featured if r.person_id in persons]
    reply = post(ctx, week.plan, week.since, week.until, pairs)
    ctx.send(replace(reply, key=outbox_key(week)), week.plan.platform)


def _thank_opted_out(ctx: Context, week: Week, rows: Sequence[ShoutoutPick]) -> None:
    """Those who opted out but would have been named are thanked privately instead."""
    persons = ctx.store.people([r.person_id for r in rows if r.outcome == PickOutcome.OPTED_OUT])
    for row in rows:
        if row.outcome != PickOutcome.OPTED_OUT or row.rank > week.plan.room:
            continue
        person = persons.get(row.person_id)
        user = ctx.user_ref(person, week.plan.platform) if person and not person.deleted else None
        if person is None or user is None or person.dms_opt_out:
            continue
        language = person.language or ctx.config.bot.language
        reply = Reply(
            body=ctx.render("shoutout.private_thanks", language, count=row.helped),
            to=user,
            language=language,
            key=f"{outbox_key(week)}:private:{row.person_id}",
        )
        ctx.send(reply, week.plan.platform)


def skip_week(ctx: Context, week: Week, by: int | None) -> Result:
    """A manager skips this week: nothing is posted (people already asked are left as they are)."""
    store, now = ctx.store, ctx.now()
    found = store.shoutout(week.plan.channel, week.key)
    if found is None:
        claimed = store.claim_shoutout(
            week.plan.channel,
            week.key,
            ShoutoutStatus.SKIPPED,
            week.since,
            week.until,
            week.plan.language,
            now,
            by,
        )
        return Result.ALREADY if claimed is None else Result.SKIPPED
    if found.status == ShoutoutStatus.ASKING and store.set_shoutout_status(
        found.id or 0, ShoutoutStatus.SKIPPED, now, was=ShoutoutStatus.ASKING
    ):
        return Result.SKIPPED
    return Result.ALREADY
