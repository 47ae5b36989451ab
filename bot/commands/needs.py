"""The marketplace: needs, offers, asks and their answers, and credit for help given."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.chat.context import Context
from bot.chat.events import About, AboutKind, Button, ButtonPress, Mention, Segment
from bot.chat.text import shorten
from bot.commands.clean import has_words, need_text, visible
from bot.commands.people import resolve_person
from bot.commands.registry import Arguments, UsageError
from bot.jobs.builtin import schedule_expiry
from bot.matching.candidates import Candidate, Match, Reason
from skills_db.storage.models import Ask, AskStatus, Need, NeedStatus, Offer, Person, Thanks


def cmd_need(ctx: Context, args: Arguments) -> None:
    text = need_text(args)
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
        )
    )
    match = ctx.services.matcher.rank(text, skills, ctx.person_id, ctx.now())
    about = ", ".join(skills) or shorten(text, 60)
    # A need typed as a command (a Slack slash command) has no message of its own: the answer
    # becomes its thread, where the introduction and the ✅ will go.
    assert need.id is not None
    regarding = About(AboutKind.NEED, need.id) if need.thread is None else None
    if not any(c.relevant for c in match.candidates):
        ctx.say("need.nobody", about=about, id=need.id, regarding=regarding)
        return
    if ctx.config.routing.mode == "suggest":
        _suggest(ctx, match, about, regarding)
        return
    asked = _ask(ctx, need, match, exclude=set())
    if asked:
        ctx.say("need.asked", count=len(asked), about=about, id=need.id, regarding=regarding)
    else:
        ctx.say("need.all_busy", about=about, id=need.id, regarding=regarding)


def _suggest(ctx: Context, match: Match, about: str, regarding: About | None) -> None:
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
                why=_why(ctx, candidate.reasons, ctx.language),
            )
        )
    ctx.say_segments(tuple(body), regarding=regarding)


def _ask(ctx: Context, need: Need, match: Match, exclude: set[int]) -> list[Candidate]:
    """Ask the routed candidates privately; returns those asked."""
    assert need.id is not None
    now = ctx.now()
    chosen = ctx.services.matcher.route(match, now, exclude=exclude)
    people = ctx.store.people([c.person_id for c in chosen] + [need.person_id])
    ctx.know(people)  # one query for everyone's identities, not one per mention
    reachable = []
    for candidate in chosen:
        helper = people.get(candidate.person_id)
        user = ctx.user_ref(helper) if helper else None
        if helper is not None and user is not None:
            reachable.append((candidate, helper, user))
    default_cap = ctx.config.routing.weekly_ask_cap
    caps = {helper.id or 0: helper.weekly_ask_cap or default_cap for _, helper, _ in reachable}
    # The cap is checked again as the asks are written, under a lock on each person: two needs
    # handled at once (or by two instances) cannot both take someone's last place this week.
    asks = ctx.store.create_asks(
        need.id,
        [(c.person_id, [r.as_json() for r in c.reasons]) for c, _, _ in reachable],
        at=now,
        caps=caps,
        since=now - timedelta(days=7),
    )
    by_person = {ask.person_id: ask for ask in asks}
    asker = people.get(need.person_id) or ctx.sender
    asked = []
    for candidate, helper, user in reachable:
        ask = by_person.get(candidate.person_id)
        if ask is None or ask.id is None:
            continue
        schedule_expiry(ctx, ask.id)
        language = helper.language or ctx.config.bot.language
        ctx.tell(
            user,
            language,
            "ask.request",
            asker=ctx.mention(asker),
            text=shorten(need.text, 300),
            why=_why(ctx, candidate.reasons, language),
            id=ask.id,
            buttons=(
                Button(ctx.text("ask.button_accept", language), ButtonPress("accept", ask.id), "primary"),
                Button(ctx.text("ask.button_decline", language), ButtonPress("decline", ask.id)),
            ),
            regarding=About(AboutKind.ASK, ask.id),
        )
        asked.append(candidate)
    return asked


def _why(ctx: Context, reasons: tuple[Reason, ...] | list[Reason], language: str) -> str:
    texts = [ctx.text(r.key, language, **r.values) for r in reasons[:3]]
    return "; ".join(texts)


def cmd_offer(ctx: Context, args: Arguments) -> None:
    text = need_text(args, "offer")
    skills = ctx.services.matcher.recognise(text)
    days = ctx.config.routing.offer_days
    ctx.store.create_offer(
        Offer(
            person_id=ctx.person_id,
            text=text,
            skills=skills,
            created_at=ctx.now(),
            expires_at=ctx.now() + timedelta(days=days),
        )
    )
    ctx.say("offer.recorded", private=True, about=", ".join(skills) or shorten(text, 60), days=days)


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
    ask = ctx.store.answer_ask(wanted.id or 0, AskStatus.ACCEPTED, at=ctx.now(), late=True)
    if ask is None:  # answered meanwhile (a second tap, another instance): once is enough
        raise UsageError(None, "error.no_pending_ask")
    need = ctx.store.get_need(ask.need_id)
    asker = ctx.store.get_person(need.person_id) if need else None
    if need is None or asker is None or need.status != NeedStatus.OPEN:
        ctx.say("ask.too_late", private=True)
        return
    ctx.say("ask.accepted", private=True, asker=ctx.mention(asker))
    language = asker.language or ctx.config.bot.language
    body = ctx.services.catalog.render(
        language,
        "ask.introduction",
        asker=ctx.mention(asker, need.platform),
        helper=ctx.mention(ctx.sender, need.platform),
        text=shorten(need.text, 200),
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


def cmd_decline(ctx: Context, args: Arguments) -> None:
    ask = ctx.store.answer_ask(_pending_ask(ctx, args).id or 0, AskStatus.DECLINED, at=ctx.now())
    if ask is None:
        raise UsageError(None, "error.no_pending_ask")
    need = ctx.store.get_need(ask.need_id)
    asked: list[Candidate] = []
    if need is not None and need.status == NeedStatus.OPEN:
        # Ask the next person in line, so one "not now" does not leave the need unanswered.
        already = {a.person_id for a in ctx.store.asks_for_need(ask.need_id)}
        match = ctx.services.matcher.rank(need.text, need.skills, need.person_id, ctx.now(), exclude=already)
        if match.candidates:
            asked = _ask(ctx, need, match, exclude=already)
    # Say that someone else is asked only when someone is.
    ctx.say("ask.declined" if asked else "ask.declined_noted", private=True)


def cmd_solved(ctx: Context, args: Arguments) -> None:
    needs = ctx.store.open_needs(ctx.person_id)
    if not needs:
        raise UsageError(None, "error.no_open_need")
    token = args.person("helper")
    close_need(ctx, needs[0], resolve_person(ctx, token) if token else None)


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
    if helper is None:
        ctx.say("solved.done", about=shorten(need.text, 60))
    else:
        ctx.say("solved.credited", about=shorten(need.text, 60), who=ctx.mention(helper))


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
    for person, credited, need_id in credits:
        assert person.id is not None
        ctx.store.add_thanks(
            Thanks(
                from_person_id=ctx.person_id,
                to_person_id=person.id,
                need_id=need_id,
                text=reason[:500] if said else "",
                created_at=ctx.now(),
            ),
            credited,
        )
    ctx.say("thanks.recorded", who=_and(ctx, [ctx.mention(p) for p in thanked.values()]))
    for person in thanked.values():
        user = ctx.user_ref(person)
        if user is not None:
            text = reason if said else "—"
            ctx.tell(user, person.language, "thanks.notice", who=ctx.mention(ctx.sender), text=text)


def _thanked_for(ctx: Context, person: Person) -> tuple[list[str], int | None]:
    """'thanks @bob' after bob accepted to help with my latest need: that need and its skills."""
    for need in ctx.store.open_needs(ctx.person_id)[:1]:
        asks = ctx.store.asks_for_need(need.id or 0)
        if person.id in {a.person_id for a in asks if a.status == AskStatus.ACCEPTED}:
            return list(need.skills), need.id
    return [], None


def _and(ctx: Context, mentions: list[Mention]) -> tuple[Segment, ...]:
    """"@ana", "@ana and @bob", "@ana, @bob and @chloé" as segments, in the reader's language."""
    parts: list[Segment] = []
    for index, mention in enumerate(mentions):
        if index:
            parts.append(ctx.text("list.and") if index == len(mentions) - 1 else ", ")
        parts.append(mention)
    return tuple(parts)
