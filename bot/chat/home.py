"""What a person's home view shows (Slack's App Home): profile, open needs, pending requests.

Computed in one unit of work, off the event loop, so adapters never query the store themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.context import Context, Services
from bot.chat.events import Segment, UserRef
from bot.commands.anonymous import asker_shown
from bot.commands.people import profile_body
from bot.followup.status import need_status_lines
from bot.retention.shown import quoted_need
from skills_db.storage.models import ClaimSource


@dataclass(frozen=True)
class PendingRequest:
    ask_id: int
    body: tuple[Segment, ...]  # who needs help with what, in the viewer's language


@dataclass(frozen=True)
class HomeView:
    language: str
    profile: tuple[Segment, ...]
    needs: tuple[tuple[Segment, ...], ...]
    requests: tuple[PendingRequest, ...]


@dataclass(frozen=True)
class ProfileForm:
    language: str
    declared_skills: tuple[str, ...]


def home_view(services: Services, user: UserRef, *, max_requests: int = 20) -> HomeView | None:
    """The home of ``user``; None for someone who erased themselves. Run inside a unit of work."""
    person = services.store.person_for(user.platform, user.handle, user.display)
    if person.deleted or person.id is None:
        return None
    ctx = Context(services, user.platform, person=person)
    needs = tuple(need_status_lines(ctx, person))  # each need with where it stands
    requests = []
    asks = services.store.pending_asks(person.id)[:max_requests]
    asked_needs = services.store.needs(ask.need_id for ask in asks)
    askers = services.store.people([n.person_id for n in asked_needs.values()])
    ctx.know(askers)
    for ask in asks:
        need = asked_needs.get(ask.need_id)
        asker = askers.get(need.person_id) if need else None
        if need is None or asker is None or ask.id is None:
            continue
        who = asker_shown(ctx, need, asker, ctx.language, user.platform)
        body = ctx.render(
            "slack.home_ask_line",
            asker=who,
            text=quoted_need(ctx.services, need, 300, ctx.language),
        )
        requests.append(PendingRequest(ask.id, body))
    return HomeView(ctx.language, profile_body(ctx, person, needs=False), needs, tuple(requests))


def profile_form(services: Services, user: UserRef) -> ProfileForm:
    """What the profile form starts from. Run inside a unit of work."""
    person = services.store.person_for(user.platform, user.handle, user.display)
    assert person.id is not None
    declared = {c.skill for c in services.store.claims([person.id]) if c.source == ClaimSource.DECLARED}
    language = person.language or services.config.bot.language
    return ProfileForm(language, tuple(sorted(declared, key=str.lower)))
