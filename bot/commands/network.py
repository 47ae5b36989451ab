"""``admin focus`` and ``admin announce``: what the organisation wants to grow, and a word to
every help channel.

The focus skills are a setting every instance reads (``focus_skills``: {"skills": [canonical
names], "since": ISO time}); routing offers learners of them a place beside the experts
(:func:`bot.matching.asking.choose`) and the barometer follows them.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from bot.chat.context import Context
from bot.commands.curation import resolve
from bot.commands.registry import Arguments, Command, Label, UsageError
from bot.config import Config
from bot.followup.status import when_text
from skills_db.storage.curation import FOCUS_KEY
from skills_db.vocabulary.textnorm import fold

NO_FOCUS = frozenset({"none", "aucune", "aucun", "rien", "off", "clear"})
MOST_FOCUS = 10  # more is no focus


@cache
def _command(word: str) -> Command:
    from bot.commands.admin import admin_registry

    found = admin_registry().get(word)
    assert found is not None
    return found


def focus_skills(ctx: Context) -> tuple[list[str], datetime | None]:
    """The focus skills now, and since when (read from the database: any instance may set them)."""
    value = ctx.store.get_setting(FOCUS_KEY) or {}
    skills = [s for s in value.get("skills", []) if isinstance(s, str)]
    since = value.get("since")
    return skills, datetime.fromisoformat(since) if isinstance(since, str) and skills else None


def cmd_admin_focus(ctx: Context, args: Arguments) -> None:
    text = args.text("skills").strip()
    if not text:
        skills, since = focus_skills(ctx)
        if not skills:
            ctx.say("curation.focus_none", private=True)
            return
        day = when_text(ctx, since, ctx.language, ctx.sender.timezone, hour=False) if since else ""
        ctx.say("curation.focus_show", private=True, skills=", ".join(skills), since=day)
        return
    if fold(text) in NO_FOCUS:
        ctx.store.set_setting(FOCUS_KEY, {"skills": [], "since": ctx.now().isoformat()}, by=ctx.person_id)
        ctx.say("curation.focus_cleared", private=True)
        return
    skills = []
    for term in _terms(ctx, text):
        skill = resolve(ctx, term)
        if skill is None:
            raise UsageError(_command("focus"), "curation.focus_unknown", word=term[:60])
        skills.append(skill)
    skills = list(dict.fromkeys(skills))
    if len(skills) > MOST_FOCUS:
        raise UsageError(_command("focus"), "curation.focus_too_many", most=MOST_FOCUS)
    value = {"skills": skills, "since": ctx.now().isoformat()}
    ctx.store.set_setting(FOCUS_KEY, value, by=ctx.person_id, at=ctx.now())
    ctx.say("curation.focus_set", private=True, skills=", ".join(skills))


def _terms(ctx: Context, text: str) -> list[str]:
    """Comma-separated names; without commas, the whole if it is one skill, else each word."""
    if "," in text:
        return [" ".join(t.split()) for t in text.split(",") if t.strip()]
    if resolve(ctx, text) is not None:
        return [text]
    return text.split()


def help_channels(config: Config) -> list[tuple[str, str]]:
    """(platform, conversation) of every help channel of the adapters the bot runs with."""
    found: list[tuple[str, str]] = []
    if config.slack.enabled:
        found += [("slack", c.strip()) for c in config.slack.help_channels if c.strip()]
    if config.matrix.enabled:
        found += [("matrix", r.strip()) for r in config.matrix.help_rooms if r.strip()]
    if config.console.enabled or not (config.slack.enabled or config.matrix.enabled):
        found.append(("console", config.console.conversation))  # its one room is a help channel
    return list(dict.fromkeys(found))


def cmd_admin_announce(ctx: Context, args: Arguments) -> None:
    """Post the text in every help channel, in the workspace's language; "@channel" and the
    like never ping anyone (the outbox neutralises them in every message)."""
    text = args.text("text").strip()
    if not text:
        raise UsageError(_command("announce"), "error.missing_argument", argument=Label("argument.text"))
    channels = help_channels(ctx.config)
    if not channels:
        ctx.say("curation.announce_nowhere", private=True)
        return
    language = ctx.config.bot.language
    for platform, conversation in channels:
        body = ctx.render("curation.announcement", language, text=text)
        ctx.post(platform, conversation, None, body, language=language)
    where = ", ".join(f"{platform}:{conversation}" for platform, conversation in channels)
    ctx.say("curation.announced", private=True, count=len(channels), channels=where)
