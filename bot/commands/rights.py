"""People own their data: `export-me` (a JSON file, or numbered parts where no file can be
sent), `forget-me` (erasure that lasts: see skills_db.storage.erasure) and `why <n>` (the
evidence behind one of your needs, or behind a request you received)."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.chat.context import Context
from bot.chat.events import Attachment, Segment
from bot.commands.registry import Arguments, UsageError
from bot.followup.routing import stored_reasons
from bot.matching.reasons import Grammatical, explain
from skills_db.storage.models import Ask, AskStatus, Need

EXPORT_FILE = "entraide-export.json"
# Room kept in each part for its header ("Everything stored about you, part 12/12:") and for
# what a platform adds to a message (a mention, escaping).
PART_MARGIN = 200


def export_text(ctx: Context) -> str:
    """The export as documented in docs/export.md (not sort_keys: the layout keeps its order)."""
    data = ctx.store.export_person(ctx.person_id)
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


def cmd_export_me(ctx: Context, args: Arguments) -> None:
    text = export_text(ctx)
    if ctx.capabilities.files:
        data = text.encode("utf-8")
        ctx.say("rights.export_file", private=True, file=EXPORT_FILE)
        last = ctx.outgoing[-1]
        # Always by DM: an ephemeral message cannot carry a file, and a channel must not see it.
        reply = replace(
            last.reply,
            to=ctx.trigger.sender,
            conversation=None,
            thread=None,
            ephemeral=False,
            attachment=Attachment(EXPORT_FILE, "application/json", data, EXPORT_FILE),
        )
        ctx.outgoing[-1] = replace(last, reply=reply)
        return
    parts = split_parts(text, max(ctx.capabilities.max_text - PART_MARGIN, 500))
    if len(parts) == 1:
        ctx.say("export.ready", private=True, json=text)
        return
    for number, part in enumerate(parts, 1):
        ctx.say("rights.export_part", private=True, part=number, parts=len(parts), json=part)


def split_parts(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at line ends where possible;
    joined in order they give ``text`` back exactly (each piece but the last ends a line)."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:  # one long value: cut it where it must be
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current or not parts:
        parts.append(current)
    return parts


def cmd_forget_me(ctx: Context, args: Arguments) -> None:
    if not args.text("confirm"):
        ctx.say("forget.confirm", private=True)
        return
    ctx.store.forget_person(ctx.person_id, ctx.services.erasure_salt(), at=ctx.now())
    ctx.say("forget.done", private=True)


def cmd_why(ctx: Context, args: Arguments) -> None:
    word = args.text("id").lstrip("#")
    if not word.isdigit() or len(word) > 18:
        raise UsageError(None, "rights.why_bad", word=word[:20])
    number = int(word)
    need = ctx.store.get_need(number)
    if need is not None and need.person_id == ctx.person_id:
        ctx.say_segments(_why_asker(ctx, need), private=True)
        return
    asks = ctx.store.asks_received(ctx.person_id)
    # A request's own number (as in "accept 7"), else the number of the need it was about.
    ask = next((a for a in asks if a.id == number), None) or next(
        (a for a in asks if a.need_id == number), None
    )
    if ask is None or ask.status == AskStatus.WAITING:  # a request not sent yet was not received
        ctx.say("rights.why_none", private=True, id=number)
        return
    ctx.say_segments(_why_helper(ctx, ask), private=True)


def _why_asker(ctx: Context, need: Need) -> tuple[Segment, ...]:
    """To the asker: the skills recognised, and why each colleague who accepted was chosen.
    Colleagues asked who did not accept are counted, never named."""
    assert need.id is not None
    label = ctx.services.matcher.taxonomy.label
    skills = ", ".join(label(skill, ctx.language) for skill in need.skills)
    body: list[Segment] = [
        ctx.text("rights.why_need", id=need.id)
        + "\n"
        + (ctx.text("rights.why_skills", skills=skills) if skills else ctx.text("rights.why_no_skills"))
    ]
    asks = [a for a in ctx.store.asks_for_need(need.id) if a.status != AskStatus.WAITING]
    accepted = [a for a in asks if a.status == AskStatus.ACCEPTED]
    people = ctx.store.people([a.person_id for a in accepted])
    for ask in accepted:
        helper = people.get(ask.person_id)
        if helper is None or helper.deleted:
            continue
        why = _reasons(ctx, ask, "them")
        body.append("\n")
        body.extend(ctx.render("rights.why_accepted", who=ctx.mention(helper), why=why))
    others = len(asks) - len(accepted)
    if not asks:
        body.append("\n" + ctx.text("rights.why_nobody_asked"))
    elif others:
        body.append("\n" + ctx.text("rights.why_others", count=others))
    return tuple(body)


def _why_helper(ctx: Context, ask: Ask) -> tuple[Segment, ...]:
    """To a colleague asked: the reasons stored on their request, as it gave them."""
    reasons = _reasons(ctx, ask, "you")
    key = "rights.why_asked" if reasons else "rights.why_asked_plain"
    return ctx.render(key, id=ask.id, need=ask.need_id, why=reasons)


def _reasons(ctx: Context, ask: Ask, person: Grammatical) -> str:
    label = ctx.services.matcher.taxonomy.label
    return explain(ctx.services.catalog, stored_reasons(ask), ctx.language, person=person, label=label)
