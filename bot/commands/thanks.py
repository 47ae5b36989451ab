"""Credit for help given, said live: the `thanks` command, and the asker naming who solved their
need. Each records one :class:`Thanks`, tells the thanked person privately, and counts toward a
daily limit per giver and per receiver (imported history does not: it is neither said nor today).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.context import Context
from bot.chat.events import Mention, Segment, said_in_public
from bot.commands.anonymous import asker_shown
from bot.commands.clean import has_words, visible
from bot.commands.people import resolve_person
from bot.commands.registry import Arguments, UsageError
from skills_db.storage.models import AskStatus, Need, Person, Thanks, ThanksKind

_FOR = re.compile(r"^(?:for|pour)\b\s*", re.IGNORECASE)


def cmd_thanks(ctx: Context, args: Arguments) -> None:
    thanked: dict[int, Person] = {}
    for token in args.people("someone"):
        person = resolve_person(ctx, token)
        if person.id == ctx.person_id:
            raise UsageError(None, "error.self_thanks")
        assert person.id is not None
        thanked.setdefault(person.id, person)
    reason = _FOR.sub("", " ".join(visible(args.text("reason")).split()))
    said = has_words(reason)  # "for 🎉" or "for @carol" says nothing to keep
    skills = ctx.services.matcher.recognise(reason) if said else []
    credits = []
    for person in thanked.values():
        credited, need_id = _thanked_for(ctx, person) if not skills else (skills, None)
        if not said and need_id is None:
            # Nothing to keep: no reason, and no need of the sender that this person took.
            raise UsageError(None, "error.thanks_why", who=ctx.mention(person))
        credits.append((person, credited, need_id))
    over = over_limit(ctx, list(thanked.values()))
    if over is not None:  # nothing recorded, nobody told but the sender
        key, values = over
        ctx.say(f"thanks_paths.{key}", private=True, **values)
        return
    event = ctx.trigger
    for person, credited, need_id in credits:
        assert person.id is not None
        ctx.store.add_thanks(
            Thanks(
                from_person_id=ctx.person_id,
                to_person_id=person.id,
                need_id=need_id,
                text=reason[:500] if said else "",
                created_at=ctx.now(),
                kind=ThanksKind.THANKS,
                skills=credited,
                public=said_in_public(event),
            ),
            credited,
        )
    ctx.say("thanks.recorded", who=and_list(ctx, [ctx.mention(p) for p in thanked.values()]))
    for person, credited, need_id in credits:
        user = ctx.user_ref(person)
        if user is None or person.dms_opt_out:  # `optout dms`: recorded, not told
            continue
        if said:
            ctx.tell(user, person.language, "thanks.notice", who=ctx.mention(ctx.sender), text=reason)
        else:  # thanked for the need they took: say which, by its number and skills
            _tell_about_need(ctx, person, "need_notice", need_id or 0, credited)


def _thanked_for(ctx: Context, person: Person) -> tuple[list[str], int | None]:
    """'thanks @bob' after bob accepted to help with my latest need: that need and its skills."""
    for need in ctx.store.open_needs(ctx.person_id)[:1]:
        asks = ctx.store.asks_for_need(need.id or 0)
        if person.id in {a.person_id for a in asks if a.status == AskStatus.ACCEPTED}:
            return list(need.skills), need.id
    return [], None


def credit_solver(ctx: Context, need: Need, helper: Person) -> None:
    """The asker (the sender) said ``helper`` solved ``need``: one thanks, once for the need,
    told to the helper privately; over a daily limit, not counted, and the asker is told so."""
    assert need.id is not None and helper.id is not None
    over = over_limit(ctx, [helper])
    if over is not None:
        key, values = over
        ctx.say(f"thanks_paths.solved_{key}", private=True, **values)
        return
    recorded = ctx.store.add_thanks_once(
        Thanks(
            from_person_id=ctx.person_id,
            to_person_id=helper.id,
            need_id=need.id,
            created_at=ctx.now(),
            kind=ThanksKind.SOLVED,
            skills=list(need.skills),
            public=need.public,
            ref=f"need:{need.id}",
        )
    )
    if recorded:
        _tell_about_need(ctx, helper, "solved_notice", need.id, need.skills)


def _tell_about_need(ctx: Context, person: Person, key: str, need_id: int, skills: Sequence[str]) -> None:
    """Tell ``person`` privately, in their language, what they are thanked for: the need's number
    and skills (never its text, which was the asker's to share)."""
    user = ctx.user_ref(person)
    if user is None or person.dms_opt_out:  # `optout dms`: recorded, not told
        return
    language = person.language or ctx.config.bot.language
    label = ctx.services.matcher.taxonomy.label
    named = ", ".join(label(skill, language) for skill in skills)
    key = f"thanks_paths.{key}" if named else f"thanks_paths.{key}_plain"
    # Thanks for an anonymous need come from "a colleague", as its request did.
    need = ctx.store.get_need(need_id) if need_id else None
    who = asker_shown(ctx, need, ctx.sender, language) if need is not None else ctx.mention(ctx.sender)
    ctx.tell(user, language, key, who=who, id=need_id, skills=named)


def over_limit(ctx: Context, receivers: list[Person]) -> tuple[str, dict[str, Any]] | None:
    """Which daily limit thanking ``receivers`` now would pass, as a message key and its values;
    None within both. A day is the calendar day where each one lives (UTC when unknown)."""
    limits, now = ctx.config.thanks, ctx.now()
    starts = {p.id: start_of_day(now, p.timezone) for p in receivers if p.id is not None}
    given, received = ctx.store.live_thanks_today_locked(
        ctx.person_id, start_of_day(now, ctx.sender.timezone), starts
    )
    if given + len(receivers) > limits.max_given_per_day:
        left = max(0, limits.max_given_per_day - given)
        values: dict[str, Any] = {"limit": limits.max_given_per_day, "count": left}
        if len(receivers) == 1:  # a solved need's credit names them
            values["who"] = ctx.mention(receivers[0])
        return ("given_limit_left" if left else "given_limit"), values
    full = [p for p in receivers if received.get(p.id or 0, 0) >= limits.max_received_per_day]
    if full:
        who = and_list(ctx, [ctx.mention(p) for p in full])
        return "received_limit", {"who": who, "count": len(full), "limit": limits.max_received_per_day}
    return None


def start_of_day(now: datetime, timezone: str | None) -> datetime:
    """Midnight of ``now``'s calendar day in ``timezone`` (UTC when unknown or not a zone)."""
    zone = ZoneInfo("UTC")
    if timezone:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def and_list(ctx: Context, mentions: list[Mention]) -> tuple[Segment, ...]:
    """ "@ana", "@ana and @bob", "@ana, @bob and @chloé" as segments, in the reader's language."""
    parts: list[Segment] = []
    for index, mention in enumerate(mentions):
        if index:
            parts.append(ctx.text("list.and") if index == len(mentions) - 1 else ", ")
        parts.append(mention)
    return tuple(parts)
