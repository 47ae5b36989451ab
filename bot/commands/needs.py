"""The marketplace: needs, offers, asks and their answers, and closing needs with credit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.chat.context import Context
from bot.chat.events import About, AboutKind, Segment, said_in_public
from bot.chat.text import shorten
from bot.commands.anonymous import offer_to_asker, seen_by_others, split_flag
from bot.commands.clean import need_text
from bot.commands.people import resolve_person
from bot.commands.registry import Arguments, UsageError, parse_person
from bot.commands.thanks import credit_solver
from bot.followup.evidence import offer_matches
from bot.followup.notices import PROGRESS, follow_up
from bot.followup.routing import Progress, advance, schedule_expiry
from bot.followup.status import status_segments, waiting_text
from bot.followup.tasks import move_on, schedule_solved_check
from bot.matching.candidates import Match, Reason
from bot.matching.reasons import Grammatical, explain
from bot.retention.shown import quoted_need
from skills_db.storage.models import Ask, AskStatus, Need, NeedStatus, Offer, Person


def cmd_need(ctx: Context, args: Arguments) -> None:
    anonymous, rest = split_flag(args.text("text"))
    text = need_text(Arguments({"text": rest}))
    event = ctx.trigger
    skills = ctx.services.matcher.recognise(text)
    need = ctx.store.create_need(
        Need(
            person_id=ctx.person_id,
            text=text,
            skills=skills,
            platform=event.platform,
            conversation=event.conversation,
            thread=event.thread or event.message_id,
            created_at=ctx.now(),
            # Seen by everyone (a help channel anyone can read), not in a DM nor a private
            # channel: only then may a public post (a shout-out) name what it was about.
            # An anonymous need is never public: nothing said in public may point to it.
            public=said_in_public(event) and not anonymous,
            anonymous=anonymous,
        )
    )
    match = ctx.services.matcher.rank(text, skills, ctx.person_id, ctx.now())
    label = ctx.services.matcher.taxonomy.label  # skills named in the asker's language
    about = ", ".join(label(skill, ctx.language) for skill in skills) or shorten(text, 60)
    # A need typed as a command (a Slack slash command) has no message of its own: the answer
    # becomes its thread, where the introduction and the ✅ will go.
    assert need.id is not None
    regarding = About(AboutKind.NEED, need.id) if need.thread is None else None
    if anonymous:  # answered to the asker alone: no thread of the need is ever made public
        regarding = None
    if ctx.config.routing.mode == "suggest":
        if any(c.relevant for c in match.candidates):
            _suggest(ctx, match, about, regarding, private=anonymous)
            return
        progress = Progress(weak=any(c.weak for c in match.candidates))
    else:
        progress = advance(ctx, need, match=match)
    body = need_answer(ctx, need, progress, about)
    if anonymous:
        said = "anonymous.recorded_seen" if seen_by_others(ctx) else "anonymous.recorded"
        body = (*ctx.render(said, id=need.id), " ", *body)
    ctx.say_segments(body, regarding=regarding, private=anonymous)


def need_answer(ctx: Context, need: Need, progress: Progress, about: str) -> tuple[Segment, ...]:
    """What the asker is told once their need is posted: exactly what was done, and what will be."""
    language, timezone = ctx.language, ctx.sender.timezone
    helpers = ctx.store.people([ask.person_id for ask in progress.waiting])
    waiting = "; ".join(
        waiting_text(ctx, ask, helpers.get(ask.person_id), language, timezone) for ask in progress.waiting
    )
    still_open = ctx.text("need.open_skills" if need.skills else "need.open_text", id=need.id, about=about)
    values: dict[str, Any] = {"about": about, "id": need.id, "waiting": waiting, "open": still_open}
    if progress.asked and waiting:
        return ctx.render("need.asked_waiting", count=progress.asked, **values)
    if progress.asked:
        return ctx.render("need.asked", count=progress.asked, **values)
    if waiting:
        return ctx.render("need.waiting", **values)
    if progress.unavailable:
        return ctx.render("need.unavailable", **values)
    if progress.unreachable:
        return ctx.render("need.unreachable", **values)
    if progress.relevant:
        return ctx.render("need.all_busy", **values)
    if progress.weak:
        return ctx.render("need.weak", **values)
    return ctx.render("need.nobody", **values)


def _suggest(
    ctx: Context, match: Match, about: str, regarding: About | None, *, private: bool = False
) -> None:
    body: list[Segment] = list(ctx.render("need.suggestions", about=about))
    relevant = [c for c in match.candidates if c.relevant][: ctx.config.routing.suggestion_count]
    people = ctx.store.people([c.person_id for c in relevant])
    ctx.know(people)
    for candidate in relevant:
        person = people.get(candidate.person_id)
        if person is None:
            continue
        body.append("\n")
        body.extend(
            ctx.render(
                "need.suggestion_line",
                who=ctx.mention(person),
                # Said to the asker, about the candidate.
                why=_why(ctx, candidate.reasons, ctx.language, person="them"),
            )
        )
    ctx.say_segments(tuple(body), regarding=regarding, private=private)


def _why(
    ctx: Context, reasons: tuple[Reason, ...] | list[Reason], language: str, *, person: Grammatical = "you"
) -> str:
    """The reasons, to the candidate ("you helped…") or about them ("helped…"), skills named
    in the reader's language."""
    label = ctx.services.matcher.taxonomy.label
    return explain(ctx.services.catalog, reasons, language, person=person, label=label)


def cmd_offer(ctx: Context, args: Arguments) -> None:
    text = need_text(args, "offer")
    skills = ctx.services.matcher.recognise(text)
    days = ctx.config.routing.offer_days
    now = ctx.now()
    ctx.store.create_offer(
        Offer(
            person_id=ctx.person_id,
            text=text,
            skills=skills,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    label = ctx.services.matcher.taxonomy.label
    about = ", ".join(label(skill, ctx.language) for skill in skills) or shorten(text, 60)
    body = list(ctx.render("offer.recorded", about=about, days=days))
    # The open needs it matches become requests to the one who offers: `accept N` takes one.
    needs = offer_matches(ctx, ctx.sender, text, skills)
    skill = skills[0] if skills else ""
    reasons = [Reason("reason.offer", {"skill": skill}).as_json()] if skill else []
    lines = []
    for need in needs:
        assert need.id is not None
        asks = ctx.store.create_asks(need.id, [(ctx.person_id, reasons)], at=now)
        if not asks or asks[0].id is None:
            continue
        schedule_expiry(ctx, asks[0], ctx.sender)
        follow_up(ctx, need, PROGRESS)
        lines.append(ctx.text("offer.need_line", need=need.id, text=shorten(need.text, 100), ask=asks[0].id))
    if lines:
        body.append("\n" + ctx.text("offer.needs", count=len(lines)) + "\n" + "\n".join(lines))
    ctx.say_segments(tuple(body), private=True)


def _pending_ask(ctx: Context, args: Arguments, *, expired_too: bool = False) -> Ask:
    asks = ctx.store.pending_asks(ctx.person_id, expired_too=expired_too)
    wanted = args.text("id").lstrip("#")
    if wanted:
        found = [a for a in asks if str(a.id) == wanted]
        if not found:
            raise UsageError(None, "error.no_such_ask", id=wanted[:20])
        return found[0]
    if not asks:
        raise UsageError(None, "error.no_pending_ask")
    return asks[0]  # the most recent


def cmd_accept(ctx: Context, args: Arguments) -> None:
    # An expired request can still be accepted while its need is open: the asker was told they
    # would be introduced as soon as someone accepts, with no deadline.
    wanted = _pending_ask(ctx, args, expired_too=True)
    need = ctx.store.get_need(wanted.need_id)
    # On an anonymous need, a yes is an offer: the asker decides whether to be introduced.
    status = AskStatus.OFFERED if need is not None and need.anonymous else AskStatus.ACCEPTED
    ask = ctx.store.answer_ask(wanted.id or 0, status, at=ctx.now(), late=True)
    if ask is None:  # answered meanwhile (a second tap, another instance): once is enough
        raise UsageError(None, "error.no_pending_ask")
    asker = ctx.store.get_person(need.person_id) if need else None
    if need is None or asker is None or need.status != NeedStatus.OPEN:
        ctx.say("ask.too_late", private=True)
        return
    if need.anonymous:
        offer_to_asker(ctx, need, ask)
        return
    ctx.say("ask.accepted", private=True, asker=ctx.mention(asker))
    language = asker.language or ctx.config.bot.language
    body = ctx.services.catalog.render(
        language,
        "ask.introduction",
        asker=ctx.mention(asker, need.platform),
        helper=ctx.mention(ctx.sender, need.platform),
        text=quoted_need(ctx.services, need, 200, language),
    )
    assert ask.id is not None
    ctx.post(
        need.platform,
        need.conversation,
        need.thread,
        body,
        language=language,
        regarding=About(AboutKind.INTRODUCTION, ask.id),
    )
    schedule_solved_check(ctx, need)


def cmd_decline(ctx: Context, args: Arguments) -> None:
    ask = ctx.store.answer_ask(_pending_ask(ctx, args).id or 0, AskStatus.DECLINED, at=ctx.now())
    if ask is None:
        raise UsageError(None, "error.no_pending_ask")
    need = ctx.store.get_need(ask.need_id)
    before = len(ctx.outgoing)
    if need is not None:
        # Ask the next person in line at once, so one "not now" does not leave the need waiting.
        move_on(ctx, need)
    asked = any(item.reply.about and item.reply.about.kind == AboutKind.ASK for item in ctx.outgoing[before:])
    # Say that someone else is asked only when someone is.
    ctx.say("ask.declined" if asked else "ask.declined_noted", private=True)


def _own_open_need(ctx: Context, args: Arguments) -> Need:
    """The need a button names (it must be the sender's and open), else the sender's latest."""
    wanted = args.text("id").lstrip("#")
    needs = ctx.store.open_needs(ctx.person_id)
    if wanted:
        needs = [n for n in needs if str(n.id) == wanted]
    if not needs:
        raise UsageError(None, "error.no_open_need")
    return needs[0]


def cmd_solved(ctx: Context, args: Arguments) -> None:
    token = args.person("helper")
    first = args.text("id")
    if first.startswith("@"):  # `solved @bob`: the need number is optional, the helper comes first
        token, args = parse_person(None, first), Arguments({})
    need = _own_open_need(ctx, args)
    close_need(ctx, need, resolve_person(ctx, token) if token else None)


def cmd_not_solved(ctx: Context, args: Arguments) -> None:
    """ "Not yet" to "was it solved?": the need stays open, and more colleagues are asked."""
    need = _own_open_need(ctx, args)
    assert need.id is not None
    advance(ctx, need)
    asks = ctx.store.asks_for_need(need.id)
    people = ctx.store.people([a.person_id for a in asks])
    status = status_segments(ctx, need, asks, people, ctx.language, ctx.sender.timezone)
    ctx.say("followup.not_solved", private=True, id=need.id, status=status)


def close_need(ctx: Context, need: Need, helper: Person | None) -> None:
    """Mark ``need`` solved and credit ``helper`` (by default the one colleague who accepted)."""
    assert need.id is not None
    if helper is None:
        accepted = [a for a in ctx.store.asks_for_need(need.id) if a.status == AskStatus.ACCEPTED]
        if len(accepted) == 1:
            helper = ctx.store.get_person(accepted[0].person_id)
    if helper is not None and helper.id == need.person_id:
        helper = None  # solving one's own need is fine, but it is not evidence of helping
    ctx.store.solve_need(need.id, helper.id if helper else None, at=ctx.now())
    private = need.anonymous  # said to the asker alone: nobody else may tie the need to them
    if helper is None:
        ctx.say("solved.done", private=private, about=quoted_need(ctx.services, need, 60, ctx.language))
        return
    ctx.say(
        "solved.credited",
        private=private,
        about=quoted_need(ctx.services, need, 60, ctx.language),
        who=ctx.mention(helper),
    )
    credit_solver(ctx, need, helper)  # the asker's thanks: once, within the daily limits
