"""Reactions that mean something: ✅ on a reply solves the need, 👍/👎 on a request answers it.

Platforms name emoji differently (Slack "white_check_mark", Matrix "✅"); both spellings and
skin-tone variants are understood.
"""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.events import AboutKind, Event, Mention
from bot.chat.text import shorten
from bot.commands.needs import close_need
from bot.commands.registry import Arguments, Registry

SOLVED = {"white_check_mark", "heavy_check_mark", "ballot_box_with_check", "✅", "✔️", "✔", "☑️"}
YES = {"+1", "thumbsup", "thumbs_up", "👍"}
NO = {"-1", "thumbsdown", "thumbs_down", "👎"}


def emoji_name(reaction: str) -> str:
    """Strip skin tones and variation selectors: "+1::skin-tone-3" → "+1", "👍🏽" → "👍"."""
    name = reaction.strip().strip(":").split("::", 1)[0]
    return "".join(ch for ch in name if not ("\U0001f3fb" <= ch <= "\U0001f3ff" or ch == "\ufe0f"))


def is_meaningful(reaction: str) -> bool:
    """Whether Entraide acts on this reaction at all."""
    return emoji_name(reaction) in _MEANINGFUL


def handle_reaction(ctx: Context, event: Event, commands: Registry) -> None:
    name = emoji_name(event.reaction or "")
    if name in _SOLVED:
        _solved_by_reaction(ctx, event)
    elif name in YES | NO and event.target_message:
        about = ctx.store.sent_about(event.platform, event.account, event.conversation, event.target_message)
        if about is None or about[0] not in (AboutKind.ASK, AboutKind.HELPER_OFFER):
            return
        if about[0] == AboutKind.HELPER_OFFER:  # the asker of an anonymous need answers an offer
            command = commands.get("accept-helper" if name in YES else "decline-helper")
        else:
            command = commands.get("accept" if name in YES else "decline")
        if command is not None:
            command.handler(ctx, Arguments({"id": str(about[1])}))


def _solved_by_reaction(ctx: Context, event: Event) -> None:
    thread = event.thread or event.target_message
    if thread is None:
        return
    need = ctx.store.find_need(event.platform, event.conversation, thread)
    if need is None and event.target_message:
        # ✅ on "was your need solved?" (or other news of a need), in the asker's DM.
        about = ctx.store.sent_about(event.platform, event.account, event.conversation, event.target_message)
        if about is not None and about[0] == AboutKind.FOLLOW_UP:
            need = ctx.store.get_need(about[1])
    # Only the person who asked can say which reply solved their need.
    if need is None or need.person_id != ctx.person_id or need.status != "open":
        return
    # ✅ on a colleague's reply credits them; on the bot's introduction (no author given), the
    # colleague who accepted is credited.
    author = event.target_author
    helper = ctx.store.find_person(author.platform, author.handle) if author else None
    if author is not None and helper is None and author.handle != ctx.trigger.sender.handle:
        # Someone who never used Entraide: no record is made of them, and the asker is told so.
        assert need.id is not None
        ctx.store.solve_need(need.id, None, at=ctx.now())
        ctx.say("rights.solved_unknown", about=shorten(need.text, 60), who=Mention(author))
        return
    close_need(ctx, need, helper)


_SOLVED = {emoji_name(e) for e in SOLVED}
_MEANINGFUL = _SOLVED | {emoji_name(e) for e in YES | NO}
