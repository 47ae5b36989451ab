"""The words of a shout-out: warm, short, concrete by skill, in the channel's language.

It names people and the skills of the help they gave *in public*; it never quotes a need, and
never says anything of help given in a DM or a private conversation beyond counting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.chat.context import Context
from bot.chat.events import Reply, Segment
from bot.followup.status import when_text
from bot.shoutouts.plan import ChannelPlan
from skills_db.storage.models import Person, ShoutoutPick


def skills_text(ctx: Context, skills: Sequence[str], language: str) -> str:
    labels = [ctx.services.matcher.taxonomy.label(skill, language) for skill in skills]
    if not labels:
        return ""
    joined = (
        labels[0]
        if len(labels) == 1
        else ", ".join(labels[:-1]) + ctx.text("list.and", language) + labels[-1]
    )
    return ctx.text("shoutout.with", language, skills=joined)


def helped_text(ctx: Context, helped: int, newcomers: int, skills: Sequence[str], language: str) -> str:
    """ "helped 3 colleagues with Terraform, one of them new here"."""
    with_skills = skills_text(ctx, skills, language)
    if helped == 1 and newcomers == 1:
        return ctx.text("shoutout.helped_newcomer", language, skills=with_skills)
    text = ctx.text("shoutout.helped", language, count=helped, skills=with_skills)
    if newcomers:
        text += ctx.text("shoutout.newcomers", language, count=newcomers)
    return text


def period_text(ctx: Context, plan: ChannelPlan, since: datetime, until: datetime, language: str) -> str:
    last = until - timedelta(seconds=1)  # the period ends just before the post
    first_day = when_text(ctx, since, language, plan.timezone, hour=False)
    last_day = when_text(ctx, last, language, plan.timezone, hour=False)
    return ctx.text("shoutout.period", language, since=first_day, until=last_day)


def post(
    ctx: Context,
    plan: ChannelPlan,
    since: datetime,
    until: datetime,
    featured: Sequence[tuple[ShoutoutPick, Person]],
) -> Reply:
    """The post; mentions are the platform's own (Slack ``<@U…>``, Matrix pills)."""
    language = plan.language
    body: list[Segment] = [
        ctx.text("shoutout.intro", language, period=period_text(ctx, plan, since, until, language))
    ]
    for pick, person in featured:
        said = helped_text(ctx, pick.helped, pick.newcomers, pick.skills, language)
        body.append("\n")
        body.extend(
            ctx.render("shoutout.line", language, who=ctx.mention(person, plan.platform), helped=said)
        )
    return Reply(
        body=tuple(body),
        conversation=plan.conversation,
        title=ctx.text("shoutout.title", language),
        note=(ctx.text("shoutout.note", language, optout=_optout_words(ctx, language)),),
        language=language,
    )


def _optout_words(ctx: Context, language: str) -> str:
    return ctx.text("shoutout.optout_words", language)
