"""Anonymous needs: the asker is named to nobody until they accept a helper.

`need --anonymous …` (``--anon``, French ``--anonyme``) records the need with
``Need.anonymous``. Colleagues are asked about "a colleague"; one who accepts agrees to be
named to the asker, and their request becomes an *offer* (:attr:`AskStatus.OFFERED`). The
asker is told privately who offered and answers with `accept-helper N` / `decline-helper N`,
a button, or 👍 / 👎 on the message. Only an accepted offer introduces the two, privately to
each: an anonymous need is never posted in a channel, as a need sent by DM is not. A declined
offer lets the follow-up ask the next colleague.
"""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.events import About, AboutKind, Button, ButtonPress, Mention, Segment
from bot.commands.registry import Arguments, UsageError
from bot.followup.tasks import move_on, schedule_solved_check
from bot.retention.shown import quoted_need
from skills_db.storage.models import Ask, AskStatus, Need, NeedStatus, Person

# The spellings of the flag; "—anonymous" is what an autocorrected "--anonymous" becomes.
FLAGS = frozenset(f"{dash}{word}" for dash in ("--", "—", "–") for word in ("anonymous", "anon", "anonyme"))


def split_flag(text: str) -> tuple[bool, str]:
    """Whether ``text`` starts or ends with the anonymous flag, and the text without it."""
    words = text.split()
    if words and words[0].lower() in FLAGS:
        return True, text.split(maxsplit=1)[1] if len(words) > 1 else ""
    if words and words[-1].lower() in FLAGS:
        return True, text.rsplit(maxsplit=1)[0]
    return False, text


def seen_by_others(ctx: Context) -> bool:
    """Whether the message that asked is itself visible to others (a help channel or room
    message), so that it shows who wrote it; a DM or a slash command is not."""
    event = ctx.trigger
    return not event.is_direct and event.message_id is not None


def asker_shown(
    ctx: Context, need: Need, asker: Person, language: str, platform: str | None = None
) -> Segment:
    """How ``asker`` is named to anyone else: a mention, or "a colleague" for an anonymous need."""
    if need.anonymous:
        return ctx.text("anonymous.a_colleague", language)
    return ctx.mention(asker, platform or need.platform)


def offer_to_asker(ctx: Context, need: Need, ask: Ask) -> None:
    """The sender (a helper) accepted ``ask`` on an anonymous need: tell the asker, privately,
    who offers, and let them accept or decline."""
    assert need.id is not None and ask.id is not None
    asker = ctx.store.get_person(need.person_id)
    user = ctx.user_ref(asker, need.platform) if asker is not None and not asker.deleted else None
    if asker is None or user is None:
        ctx.say("ask.too_late", private=True)
        return
    ctx.say("anonymous.offered", private=True)
    language = asker.language or ctx.config.bot.language
    ctx.tell(
        user,
        language,
        "anonymous.offer",
        helper=ctx.mention(ctx.sender, need.platform),
        id=need.id,
        text=quoted_need(ctx.services, need, 120, language),
        ask=ask.id,
        buttons=(
            Button(
                ctx.text("anonymous.button_accept", language), ButtonPress("accept-helper", ask.id), "primary"
            ),
            Button(ctx.text("anonymous.button_decline", language), ButtonPress("decline-helper", ask.id)),
        ),
        regarding=About(AboutKind.HELPER_OFFER, ask.id),
    )


def _offer(ctx: Context, args: Arguments) -> tuple[Ask, Need]:
    """The offer the sender answers: the one named (on one of their open needs), else the latest."""
    wanted = args.text("id").lstrip("#")
    needs = {n.id: n for n in ctx.store.open_needs(ctx.person_id) if n.anonymous}
    asks = ctx.store.asks_for_needs(n for n in needs if n is not None)
    offers = sorted(
        (a for of in asks.values() for a in of if a.status == AskStatus.OFFERED),
        key=lambda a: (a.answered_at or a.asked_at, a.id or 0),
        reverse=True,
    )
    if wanted:
        offers = [a for a in offers if str(a.id) == wanted]
        if not offers:
            raise UsageError(None, "anonymous.no_such_offer", id=wanted[:20])
    if not offers:
        raise UsageError(None, "anonymous.no_offer")
    return offers[0], needs[offers[0].need_id]


def _helper(ctx: Context, ask: Ask) -> tuple[Person, Mention] | None:
    helper = ctx.store.get_person(ask.person_id)
    if helper is None or helper.deleted:
        return None
    return helper, ctx.mention(helper)


def cmd_accept_helper(ctx: Context, args: Arguments) -> None:
    """The asker accepts a helper: now, and only now, the two are introduced, privately."""
    offer, need = _offer(ctx, args)
    ask = ctx.store.answer_ask(offer.id or 0, AskStatus.ACCEPTED, at=ctx.now(), offered=True)
    found = _helper(ctx, offer)
    if ask is None or found is None or need.status != NeedStatus.OPEN:
        raise UsageError(None, "anonymous.no_offer")
    helper, mention = found
    ctx.say("anonymous.introduced", private=True, helper=mention, id=need.id)
    user = ctx.user_ref(helper, need.platform)
    if user is not None:
        language = helper.language or ctx.config.bot.language
        ctx.tell(
            user,
            language,
            "anonymous.introduction",
            asker=ctx.mention(ctx.sender, need.platform),
            text=quoted_need(ctx.services, need, 200, language),
            regarding=About(AboutKind.INTRODUCTION, offer.id or 0),
        )
    schedule_solved_check(ctx, need)


def cmd_decline_helper(ctx: Context, args: Arguments) -> None:
    """The asker declines a helper: they stay unnamed to them, and the next colleague is asked."""
    offer, need = _offer(ctx, args)
    ask = ctx.store.answer_ask(offer.id or 0, AskStatus.DECLINED, at=ctx.now(), offered=True)
    if ask is None:
        raise UsageError(None, "anonymous.no_offer")
    found = _helper(ctx, offer)
    user = ctx.user_ref(found[0], need.platform) if found else None
    if found is not None and user is not None:
        language = found[0].language or ctx.config.bot.language
        ctx.tell(user, language, "anonymous.not_taken", text=quoted_need(ctx.services, need, 80, language))
    before = len(ctx.outgoing)
    move_on(ctx, need)
    asked = any(item.reply.about and item.reply.about.kind == AboutKind.ASK for item in ctx.outgoing[before:])
    ctx.say("anonymous.declined" if asked else "anonymous.declined_noted", private=True)
