"""A need's status in words, for its asker: in `profile`, the App Home and follow-ups.

Colleagues who were asked are never named to the asker before they accept (consent before
exposure): the status says how many are considering it, and when the others will be asked.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.context import Context
from bot.chat.events import Segment
from bot.retention.shown import quoted_need
from skills_db.storage.models import Ask, AskStatus, Need, NeedStatus, Person


def when_text(ctx: Context, at: datetime, language: str, timezone: str | None, *, hour: bool = True) -> str:
    """``at`` as people read it, in their time zone when known: "Monday 7 December, 09:00 UTC"."""
    zone_name = "UTC"
    local = at
    if timezone:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):  # unknown: shown in UTC
            local, zone_name = at.astimezone(ZoneInfo(timezone)), timezone
    days = ctx.text("calendar.days", language).split(",")
    months = ctx.text("calendar.months", language).split(",")
    day = ctx.text(
        "calendar.date", language, weekday=days[local.weekday()], day=local.day, month=months[local.month - 1]
    )
    if not hour:
        return day
    return ctx.text("calendar.date_time", language, date=day, time=f"{local:%H:%M}", zone=zone_name)


def waiting_text(ctx: Context, ask: Ask, helper: Person | None, language: str, timezone: str | None) -> str:
    """One waiting request, as the asker reads it ("a colleague who knows it is away until …")."""
    assert ask.due_at is not None
    why = ask.wait_reason or "hours"
    if why == "away" and helper is not None and helper.away_until is not None:
        until = when_text(ctx, helper.away_until, language, timezone, hour=False)
        return ctx.text("followup.wait_away", language, until=until)
    when = when_text(ctx, ask.due_at, language, timezone, hour=why == "hours")
    return ctx.text(f"followup.wait_{why}", language, when=when)


def status_segments(
    ctx: Context,
    need: Need,
    asks: list[Ask],
    people: dict[int, Person],
    language: str,
    timezone: str | None,
) -> tuple[Segment, ...]:
    """Where the need stands, in one sentence or two."""
    if need.status == NeedStatus.SOLVED:
        helper = people.get(need.solved_by_id) if need.solved_by_id else None
        if helper is not None:
            return ctx.render("status.solved_by", language, who=ctx.mention(helper, need.platform))
        return ctx.render("status.solved", language)
    if need.status == NeedStatus.CLOSED:
        return ctx.render("status.closed", language)
    parts: list[Segment] = []
    accepted = [people[a.person_id] for a in asks if a.status == AskStatus.ACCEPTED and a.person_id in people]
    for helper in accepted:
        parts.extend(ctx.render("status.accepted", language, who=ctx.mention(helper, need.platform)))
        parts.append(" ")
    offered = sum(1 for a in asks if a.status == AskStatus.OFFERED)
    if offered:  # an anonymous need: helpers waiting for the asker's answer
        parts.append(ctx.text("anonymous.status_offered", language, count=offered) + " ")
    pending = sum(1 for a in asks if a.status == AskStatus.PENDING)
    if pending:
        parts.append(ctx.text("status.considering", language, count=pending) + " ")
    for ask in asks:
        if ask.status == AskStatus.WAITING and ask.due_at is not None:
            text = waiting_text(ctx, ask, people.get(ask.person_id), language, timezone)
            parts.append(ctx.text("status.waiting", language, waiting=text[:1].upper() + text[1:]) + " ")
    if not parts:
        key = "status.nobody_skills" if need.skills else "status.nobody_text"
        parts.append(ctx.text(key, language))
    if isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip()
    return tuple(parts)


def open_needs_status(ctx: Context, person: Person) -> tuple[Segment, ...]:
    """The person's open needs, each with where it stands (their own profile, the App Home)."""
    lines = need_status_lines(ctx, person)
    if not lines:
        return ()
    body: list[Segment] = ["\n" + ctx.text("status.header")]
    for line in lines:
        body.append("\n")
        body.extend(line)
    return tuple(body)


def need_status_lines(ctx: Context, person: Person, limit: int = 10) -> list[tuple[Segment, ...]]:
    assert person.id is not None
    needs = ctx.store.open_needs(person.id)[:limit]
    asks = ctx.store.asks_for_needs(need.id for need in needs if need.id is not None)
    named = (AskStatus.ACCEPTED, AskStatus.WAITING)  # the accepted are named, the waiting dated
    people = ctx.store.people([a.person_id for of in asks.values() for a in of if a.status in named])
    language = person.language or ctx.config.bot.language
    lines = []
    for need in needs:
        status = status_segments(ctx, need, asks.get(need.id or 0, []), people, language, person.timezone)
        lines.append(
            ctx.render(
                "status.line",
                language,
                id=need.id,
                text=quoted_need(ctx.services, need, 80, language),
                status=status,
            )
        )
    return lines
