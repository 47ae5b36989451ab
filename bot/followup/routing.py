"""Ask the next colleagues for an open need: now if they can be asked, later if they are back soon.

:func:`advance` is the one step every trigger takes — the need posted, a decline, a request
that got no answer, a waiting request coming due, new evidence — and it is idempotent: it keeps
``ask_count`` requests outstanding (pending or waiting), asking only people never asked for
this need, and does nothing for a need that is no longer open. On a need about one of the
organisation's focus skills, one learner of it is asked besides them, once per need; that
request is not one of the ``ask_count``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.chat.context import Context
from bot.chat.events import About, AboutKind, Button, ButtonPress
from bot.matching.asking import FOCUS_LEARNER, asked_later
from bot.matching.candidates import Candidate, Match, Reason
from bot.retention.shown import quoted_need
from skills_db.storage.curation import FOCUS_KEY
from skills_db.storage.models import Ask, AskStatus, Need, NeedStatus, Person

WEEK = timedelta(days=7)
# An offer on an anonymous need holds its place while the asker decides.
OUTSTANDING = (AskStatus.PENDING, AskStatus.WAITING, AskStatus.OFFERED)
ASK_LATER = "ask-later"
EXPIRE_ASK = "expire-ask"


@dataclass
class Progress:
    """What one step did, so the asker can be told exactly that."""

    asked: int = 0  # requests sent now
    waiting: list[Ask] = field(default_factory=list)  # requests planned for later, this step
    relevant: int = 0  # people with evidence specific to the need, never asked for it before
    unreachable: int = 0  # of those, people with no identity on the need's platform, or no DMs
    unavailable: int = 0  # of those, people away or at their cap for longer than the wait
    weak: bool = False  # only loose hints (a common word in old threads)
    outstanding: int = 0  # requests pending or waiting after this step
    accepted: bool = False  # someone accepted already


def advance(ctx: Context, need: Need, *, match: Match | None = None) -> Progress:
    """Keep the need's requests outstanding; see the module's docstring."""
    assert need.id is not None
    store, routing, now = ctx.store, ctx.config.routing, ctx.now()
    asks = store.asks_for_need(need.id)
    progress = Progress(
        outstanding=sum(1 for a in asks if outstanding(a)),
        accepted=any(a.status == AskStatus.ACCEPTED for a in asks),
    )
    slots = routing.ask_count - progress.outstanding
    if need.status != NeedStatus.OPEN or slots <= 0:
        return progress
    already = {a.person_id for a in asks}
    if match is None:
        match = ctx.services.matcher.rank(need.text, need.skills, need.person_id, now, exclude=already)
    relevant = [c for c in match.candidates if c.relevant and c.person_id not in already]
    progress.relevant = len(relevant)
    progress.weak = not relevant and any(c.weak for c in match.candidates)
    people = store.people([c.person_id for c in (*relevant, *match.learners)] + [need.person_id])
    ctx.know(people)
    # Nobody is asked who cannot be written to privately: no identity there, or `optout dms`.
    unreachable = {
        pid
        for pid, person in people.items()
        if person.dms_opt_out or ctx.user_ref(person, need.platform) is None
    }
    progress.unreachable = sum(1 for c in relevant if c.person_id in unreachable)
    # One learner besides the experts on a focus skill, unless one was asked already.
    wanted = focus_skills(ctx) if need.skills and not any(beside(a) for a in asks) else set()
    focus = [skill for skill in need.skills if skill in wanted]
    chosen = ctx.services.matcher.route(match, now, count=slots, exclude=already | unreachable, focus=focus)
    asked = ask_now(ctx, need, chosen, people)
    progress.asked = len(asked)
    # Those not asked now but back soon are asked then, not passed over: as many as there are
    # places left, and the best of all if they rank above everyone asked now.
    later = _later(ctx, relevant, people, exclude=already | unreachable | {c.person_id for c in chosen})
    wait = timedelta(hours=routing.wait_for_hours)
    soon = [(c, when, why) for c, when, why in later if when - now <= wait]
    progress.unavailable = len(later) - len(soon)
    best = relevant[0] if relevant else None
    picked = asked_later(soon, slots - len(asked), best, lambda found: found[0])
    for candidate, when, why in picked:
        planned = store.plan_ask(
            need.id, candidate.person_id, _reasons(candidate), due_at=when, why=why, at=now
        )
        if planned is not None and planned.id is not None:
            store.schedule_task(ASK_LATER, f"{ASK_LATER}:{planned.id}", when, {"ask": planned.id}, now=now)
            progress.waiting.append(planned)
    progress.outstanding += sum(1 for a in asked if not beside(a)) + len(progress.waiting)
    return progress


def beside(ask: Ask) -> bool:
    """A learner asked besides the experts (on a focus skill): not one of the ``ask_count``."""
    return any(reason.get("key") == FOCUS_LEARNER for reason in ask.reasons)


def outstanding(ask: Ask) -> bool:
    """Pending or waiting, and one of the need's ``ask_count`` requests."""
    return ask.status in OUTSTANDING and not beside(ask)


def focus_skills(ctx: Context) -> set[str]:
    """The organisation's focus skills, as a manager last set them (any instance may)."""
    value = ctx.store.get_setting(FOCUS_KEY) or {}
    return {s for s in value.get("skills", []) if isinstance(s, str)}


def _later(
    ctx: Context, relevant: list[Candidate], people: dict[int, Person], *, exclude: set[int]
) -> list[tuple[Candidate, datetime, str]]:
    """Relevant people who cannot be asked now, with when they can and why not now."""
    routing, now = ctx.config.routing, ctx.now()
    others = [c for c in relevant if c.person_id not in exclude]
    sent = ctx.store.sent_ask_times([c.person_id for c in others], now - WEEK)
    found = []
    for candidate in others:
        person = people.get(candidate.person_id)
        if person is None:
            continue
        cap = person.weekly_ask_cap or routing.weekly_ask_cap
        times = sent.get(candidate.person_id, [])
        when, why = candidate.available_at, why_later(person, now)
        if len(times) >= cap:  # room again when enough of this week's requests are a week old
            free = times[len(times) - cap] + WEEK
            if when is None or free > when:
                when, why = free, "cap"
        if when is not None and when > now:
            found.append((candidate, when, why))
    return found


def why_later(person: Person, now: datetime) -> str:
    """Why someone who cannot be asked now is asked later: "away", else "hours" (off hours)."""
    return "away" if person.away_until is not None and person.away_until > now else "hours"


def _reasons(candidate: Candidate) -> list[dict[str, Any]]:
    return [reason.as_json() for reason in candidate.reasons]


def ask_now(ctx: Context, need: Need, chosen: list[Candidate], people: dict[int, Person]) -> list[Ask]:
    """Send requests to ``chosen`` (within their weekly caps, checked under a lock)."""
    assert need.id is not None
    now, routing = ctx.now(), ctx.config.routing
    caps = {c.person_id: (people[c.person_id].weekly_ask_cap or routing.weekly_ask_cap) for c in chosen}
    # The cap is checked again as the asks are written, under a lock on each person: two needs
    # handled at once (or by two instances) cannot both take someone's last place this week.
    asks = ctx.store.create_asks(
        need.id, [(c.person_id, _reasons(c)) for c in chosen], at=now, caps=caps, since=now - WEEK
    )
    by_person = {c.person_id: c for c in chosen}
    for ask in asks:
        reasons = list(by_person[ask.person_id].reasons)
        send_request(ctx, need, ask, people[ask.person_id], reasons, people.get(need.person_id))
    return asks


def send_request(
    ctx: Context, need: Need, ask: Ask, helper: Person, reasons: list[Reason], asker: Person | None = None
) -> None:
    """The private request to ``helper``, with its buttons; it expires if nobody answers."""
    from bot.commands.needs import _why  # the reasons' wording lives with the commands that show them

    assert ask.id is not None
    user = ctx.user_ref(helper, need.platform)
    asker = asker or ctx.store.get_person(need.person_id)
    if user is None or asker is None:
        return
    schedule_expiry(ctx, ask, helper)
    language = helper.language or ctx.config.bot.language
    ctx.tell(
        user,
        language,
        # An anonymous need: "a colleague", and the helper knows they will be named if they accept.
        "anonymous.request" if need.anonymous else "ask.request",
        asker="" if need.anonymous else ctx.mention(asker, need.platform),
        text=quoted_need(ctx.services, need, 300, language),
        why=_why(ctx, reasons, language),
        id=ask.id,
        buttons=(
            Button(ctx.text("ask.button_accept", language), ButtonPress("accept", ask.id), "primary"),
            Button(ctx.text("ask.button_decline", language), ButtonPress("decline", ask.id)),
        ),
        regarding=About(AboutKind.ASK, ask.id),
    )


QUOTING_REASONS = ("reason.similar", "reason.related")  # they quote a past question


def schedule_expiry(ctx: Context, ask: Ask, helper: Person) -> None:
    """In the unit of work that asked: without an answer within ``ask_expiry_hours`` of the
    helper's working hours, the request expires and the next colleague is asked."""
    from bot.matching.availability import add_working_hours

    assert ask.id is not None
    routing, now = ctx.config.routing, ctx.now()
    due = add_working_hours(now, routing.ask_expiry_hours, helper.timezone, routing)
    ctx.store.schedule_task(EXPIRE_ASK, f"{EXPIRE_ASK}:{ask.id}", due, {"ask": ask.id}, now=now)


def stored_reasons(ask: Ask) -> list[Reason]:
    # A reason whose quote of a past question the retention job removed is not said at all:
    # the other reasons still are (see bot.retention).
    return [
        Reason(str(r["key"]), {k: v for k, v in r.items() if k != "key"})
        for r in ask.reasons
        if "example" in r or r.get("key") not in QUOTING_REASONS
    ]
