"""New evidence reaching open needs: someone declares a skill, offers help, or comes back.

The person is known to be relevant (they just said so), so they are asked directly — no
re-ranking — for the open needs on those skills still short of requests, within their weekly
cap; those who cannot be asked now are asked when back, as in :mod:`bot.followup.routing`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from bot.chat.context import Context
from bot.followup.notices import PROGRESS, follow_up
from bot.followup.routing import ASK_LATER, WEEK, outstanding, send_request, stored_reasons, why_later
from bot.matching.availability import available_from
from bot.matching.candidates import Reason
from skills_db.storage.models import Ask, AskStatus, ClaimSource, Need, Person
from skills_db.vocabulary.terms import content_words

REACH = 5  # open needs one new piece of evidence may bring a request for, at most
WINDOW = 60  # recent open needs looked at


def reach_open_needs(ctx: Context, person: Person, reasons: dict[str, Reason]) -> int:
    """Ask ``person`` for open needs on the skills of ``reasons`` (skill → why); how many."""
    if person.id is None or person.deleted or person.matching_opt_out or person.dms_opt_out or not reasons:
        return 0
    since = ctx.now() - timedelta(days=ctx.config.routing.close_after_days)
    needs = ctx.store.open_needs_about(reasons, since=since, limit=WINDOW, exclude_person=person.id)
    reached = 0
    for need in _short_of_requests(ctx, needs, person.id)[:REACH]:
        skill = next(s for s in need.skills if s.casefold() in {r.casefold() for r in reasons})
        lookup = {r.casefold(): why for r, why in reasons.items()}
        if ask_person(ctx, need, person, lookup[skill.casefold()]):
            reached += 1
    return reached


def _short_of_requests(
    ctx: Context, needs: list[Need], person_id: int, *, full_too: bool = False
) -> list[Need]:
    """The needs nobody accepted, with fewer requests outstanding than asked at once (with
    ``full_too``, any number), that ``person_id`` was never asked for."""
    asks = ctx.store.asks_for_needs(need.id for need in needs if need.id is not None)
    wanted = []
    for need in needs:
        of_need = asks.get(need.id or 0, [])
        if any(a.person_id == person_id for a in of_need):
            continue
        if any(a.status == AskStatus.ACCEPTED for a in of_need):
            continue
        if not full_too and sum(1 for a in of_need if outstanding(a)) >= ctx.config.routing.ask_count:
            continue
        wanted.append(need)
    return wanted


def ask_person(ctx: Context, need: Need, person: Person, reason: Reason) -> bool:
    """Ask ``person`` for ``need`` now, or when they are back; tell the asker (gated)."""
    assert need.id is not None and person.id is not None
    routing, now = ctx.config.routing, ctx.now()
    if ctx.user_ref(person, need.platform) is None:
        return False
    reasons = [reason.as_json()]
    cap = person.weekly_ask_cap or routing.weekly_ask_cap
    when = available_from(person, now, routing, timedelta(hours=routing.wait_for_hours))
    if when is None:
        return False
    if when <= now:
        asks = ctx.store.create_asks(
            need.id, [(person.id, reasons)], at=now, caps={person.id: cap}, since=now - WEEK
        )
        if not asks:
            return False
        send_request(ctx, need, asks[0], person, [reason])
    else:
        planned = ctx.store.plan_ask(
            need.id, person.id, reasons, due_at=when, why=why_later(person, now), at=now
        )
        if planned is None or planned.id is None:
            return False
        ctx.store.schedule_task(ASK_LATER, f"{ASK_LATER}:{planned.id}", when, {"ask": planned.id}, now=now)
    follow_up(ctx, need, PROGRESS)
    return True


def send_waiting(ctx: Context, ask: Ask, person: Person) -> bool:
    """Send a waiting request now (its person is back); False when it cannot be sent."""
    assert ask.id is not None
    routing, now = ctx.config.routing, ctx.now()
    need = ctx.store.get_need(ask.need_id)
    if need is None or person.dms_opt_out:  # `optout dms` meanwhile: no request they did not ask for
        return False
    cap = person.weekly_ask_cap or routing.weekly_ask_cap
    sent = ctx.store.send_waiting_ask(ask.id, at=now, cap=cap, since=now - WEEK)
    if sent is None:
        return False
    send_request(ctx, need, sent, person, stored_reasons(sent))
    return True


def offer_matches(ctx: Context, person: Person, text: str, skills: list[str], limit: int = 5) -> list[Need]:
    """Open needs an offer of help matches: by skill, or for an offer with no known skill, by
    the words they share (two meaningful words at least: one is a coincidence)."""
    since = ctx.now() - timedelta(days=ctx.config.routing.close_after_days)
    if skills:
        needs = ctx.store.open_needs_about(skills, since=since, limit=WINDOW, exclude_person=person.id)
    else:
        offered = set(content_words(text))
        recent = ctx.store.open_needs_about([], since=since, limit=WINDOW, exclude_person=person.id)
        needs = [n for n in recent if len(offered.intersection(content_words(n.text))) >= 2]
    # Whoever offers is welcome on any need nobody took yet, however many were asked.
    return _short_of_requests(ctx, needs, person.id or 0, full_too=True)[:limit] if person.id else []


def welcome_back(ctx: Context, person: Person) -> None:
    """``person`` is back (`away off`): the requests kept for their return are sent now, and
    the open needs on their skills that nobody could take may ask them."""
    if person.id is None:
        return
    for ask in ctx.store.waiting_asks(person.id):
        if ask.wait_reason == "away":
            send_waiting(ctx, ask, person)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for claim in ctx.store.claims([person.id]):
        counts[claim.skill][claim.source] += 1
    reasons: dict[str, Reason] = {}
    for skill, by_source in counts.items():  # the strongest evidence on each skill, as it is
        if by_source[ClaimSource.HELPED]:
            reasons[skill] = Reason("reason.helped", {"count": by_source[ClaimSource.HELPED], "skill": skill})
        elif by_source[ClaimSource.IMPORTED]:
            reasons[skill] = Reason(
                "reason.imported", {"count": by_source[ClaimSource.IMPORTED], "skill": skill}
            )
        elif by_source[ClaimSource.ENDORSED]:
            reasons[skill] = Reason(
                "reason.endorsed", {"count": by_source[ClaimSource.ENDORSED], "skill": skill}
            )
        else:
            reasons[skill] = Reason("reason.declared", {"skill": skill})
    reach_open_needs(ctx, person, reasons)
