"""Commands about oneself and one's colleagues: skills, profile, availability, data rights."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.events import Mention, Segment
from bot.commands.clean import mentions_in, skill_terms
from bot.commands.dates import parse_until
from bot.commands.registry import Arguments, Command, Label, PersonToken, UnknownCommand, UsageError
from bot.commands.shoutouts import profile_lines as shoutout_profile_lines
from bot.followup.evidence import reach_open_needs, welcome_back
from bot.followup.status import open_needs_status
from bot.matching.candidates import Reason
from skills_db.storage.models import ClaimSource, Person, ThanksKind
from skills_db.vocabulary.textnorm import fold


def resolve_person(ctx: Context, token: PersonToken) -> Person:
    """The person an @mention names on this platform; a clear error if nobody or ambiguous."""
    platform = ctx.trigger.platform
    # "@bob" names handle "bob" on Slack or the console, but "@bob:example.org" on Matrix,
    # where the "@" belongs to the handle: try both spellings.
    spellings = (token.handle, "@" + token.handle)
    wanted = {fold(spelling) for spelling in spellings}
    for mentioned in ctx.trigger.mentions:
        if fold(mentioned.handle) in wanted or fold(mentioned.display) == fold(token.handle):
            named = ctx.store.find_person(platform, mentioned.handle)
            if named is None or named.deleted:
                # Being mentioned is not using Entraide: no record is made of someone who never did.
                raise UsageError(None, "rights.not_using", who=Mention(mentioned))
            return named
    for spelling in spellings:
        person = ctx.store.find_person(platform, spelling)
        if person is not None and not person.deleted:
            return person
    found = ctx.store.find_people_by_name(platform, token.handle)
    if len(found) == 1:
        return found[0]
    raise UsageError(
        None, "error.unknown_person" if not found else "error.ambiguous_person", who=token.raw[:40]
    )


def skill_names(ctx: Context, text: str) -> list[str]:
    """Canonical names of the comma-separated skills in ``text``.

    A skill missing from the vocabulary is kept as written: people know things we did not list.
    Nothing, punctuation, emoji or a mention is no skill: UsageError (see :func:`skill_terms`).
    """
    names = [ctx.services.matcher.vocabulary().canonical(term) or term for term in skill_terms(text)]
    return list(dict.fromkeys(names))


def cmd_help(ctx: Context, args: Arguments) -> None:
    from bot.commands import registry  # the registry lists every command, including this one

    topic = args.text("command")
    if topic:
        command = registry().get(topic)
        if command is None:
            raise UnknownCommand(topic[:40], registry().suggest(topic[:40]))
        if command.admin and not ctx.is_admin:  # the same short refusal as running it
            ctx.say("error.not_allowed", private=True, command=command.word(ctx.language))
            return
        ctx.say(
            "help.one",
            private=True,
            usage=ctx.text(command.usage_key),
            text=ctx.text(command.help_key),
        )
        return
    lines = [
        ctx.text("help.line", usage=_usage_line(ctx, c), text=ctx.text(c.help_key))
        for c in registry()
        if not c.admin or ctx.is_admin
    ]
    ctx.say("help.all", private=True, commands="\n".join(lines))


def _usage_line(ctx: Context, command: Command) -> str:
    """A command's usage on one line of the list: one with subcommands (``admin``, whose usage
    lists them, one a line) shows its word, and ``help <word>`` gives the list."""
    usage = ctx.text(command.usage_key)
    return f"{command.word(ctx.language)} …" if "\n" in usage else usage


def cmd_skills(ctx: Context, args: Arguments) -> None:
    action = args.text("action")
    if action == "list":
        declared = sorted(
            {c.skill for c in ctx.store.claims([ctx.person_id]) if c.source == ClaimSource.DECLARED}
        )
        key = "skills.list" if declared else "skills.list_empty"
        ctx.say(key, private=True, skills=", ".join(declared))
        return
    if not args.text("skills"):
        raise UsageError(None, "error.missing_argument", argument=Label("argument.skills"))
    names = skill_names(ctx, args.text("skills"))
    if action == "add":
        for name in names:
            ctx.store.add_claim(ctx.person_id, name, ClaimSource.DECLARED, at=ctx.now())
        ctx.say("skills.added", private=True, skills=", ".join(names))
        # Open needs on these skills that nobody could take get a new colleague to ask.
        reasons = {name: Reason("reason.declared", {"skill": name}) for name in names}
        reach_open_needs(ctx, ctx.sender, reasons)
        return
    removed = [name for name in names if ctx.store.remove_declared(ctx.person_id, name)]
    key = "skills.removed" if removed else "skills.none_removed"
    ctx.say(key, private=True, skills=", ".join(removed or names))


def cmd_learn(ctx: Context, args: Arguments) -> None:
    names = skill_names(ctx, args.text("skill"))
    for name in names:
        ctx.store.add_learning_goal(ctx.person_id, name)
    ctx.say("learn.added", private=True, skills=", ".join(names))


def cmd_profile(ctx: Context, args: Arguments) -> None:
    token = args.person("someone")
    person = resolve_person(ctx, token) if token else ctx.sender
    ctx.say_segments(profile_body(ctx, person), private=True)


def profile_body(ctx: Context, person: Person, *, needs: bool = True) -> tuple[Segment, ...]:
    """A person's profile as ``ctx.sender`` sees it: the `profile` command and the App Home
    (which lists the open needs apart: ``needs`` False)."""
    assert person.id is not None
    claims = ctx.store.claims([person.id])
    lines: list[str] = []
    for skill in sorted({c.skill for c in claims}, key=str.lower):
        of_skill = [c for c in claims if c.skill == skill]
        helped = sum(1 for c in of_skill if c.source == ClaimSource.HELPED)
        endorsed = sum(1 for c in of_skill if c.source == ClaimSource.ENDORSED)
        parts = [ctx.text("profile.evidence_helped", count=helped)] if helped else []
        if endorsed:
            parts.append(ctx.text("profile.evidence_endorsed", count=endorsed))
        if not parts:
            parts.append(ctx.text("profile.evidence_declared"))
        lines.append(ctx.text("profile.skill_line", skill=skill, evidence=", ".join(parts)))
    goals = sorted(name for _pid, name in ctx.store.learning_goals(person.id))
    # What colleagues wrote with `thanks`: solved needs show as "helped" above, not as "—" here.
    thanks = ctx.store.thanks_received(person.id, [ThanksKind.THANKS])
    # Thanks said in a DM or a private conversation are counted for everyone, but who said them
    # and their words are shown to the person thanked only.
    shown = thanks if person.id == ctx.person_id else [item for item in thanks if item.public]
    ctx.know([person.id, *(item.from_person_id for item in shown[:3] if item.from_person_id is not None)])
    body = list(ctx.render("profile.header", who=ctx.mention(person)))
    body.append("\n" + ("\n".join(lines) if lines else ctx.text("profile.no_skills")))
    if goals:
        body.append("\n" + ctx.text("profile.learning", skills=", ".join(goals)))
    body.append("\n" + ctx.text("profile.thanks", count=len(thanks)))
    for item in shown[:3]:
        giver = ctx.store.get_person(item.from_person_id) if item.from_person_id is not None else None
        # A thanks whose giver was erased stays the helper's, from "a former colleague".
        who = ctx.mention(giver) if giver is not None else ctx.text("rights.former_colleague")
        body.append("\n")
        body.extend(ctx.render("profile.thanks_line", who=who, text=item.text or "—"))
    body.extend(shoutout_profile_lines(ctx, person))
    if person.away_until and person.away_until > ctx.now():
        body.append("\n" + ctx.text("profile.away", until=person.away_until.date().isoformat()))
    if person.id == ctx.person_id:
        if needs:
            body.extend(open_needs_status(ctx, person))
        if person.matching_opt_out:
            body.append("\n" + ctx.text("profile.opted_out_matching"))
        if person.shoutouts_opt_out:
            body.append("\n" + ctx.text("profile.opted_out_shoutouts"))
        if person.dms_opt_out:
            body.append("\n" + ctx.text("rights.opted_out_dms"))
    return tuple(body)


_BACK = frozenset(("off", "fin", "stop", "back", "retour", "de retour", "i'm back", "je suis de retour"))


def cmd_away(ctx: Context, args: Arguments) -> None:
    word = args.text("until")
    if fold(word).strip(" .!") in _BACK:
        ctx.store.update_person(ctx.person_id, away_until=None)
        ctx.sender.away_until = None
        ctx.say("away.off", private=True)
        welcome_back(ctx, ctx.sender)
        return
    until = parse_until(word, ctx.now(), ctx.sender.timezone)
    ctx.store.update_person(ctx.person_id, away_until=until)
    ctx.say("away.set", private=True, until=until.date().isoformat())


def cmd_cap(ctx: Context, args: Arguments) -> None:
    word = args.text("per_week")
    if not word.isdigit() or not 1 <= int(word) <= 20:
        raise UsageError(None, "error.bad_cap", word=word[:20])
    ctx.store.update_person(ctx.person_id, weekly_ask_cap=int(word))
    ctx.say("cap.set", private=True, count=int(word))


def cmd_optout(ctx: Context, args: Arguments) -> None:
    _set_opt(ctx, args.text("what"), True)


def cmd_optin(ctx: Context, args: Arguments) -> None:
    _set_opt(ctx, args.text("what"), False)


_OPT_FIELDS = {"matching": "matching_opt_out", "shoutouts": "shoutouts_opt_out", "dms": "dms_opt_out"}


def _set_opt(ctx: Context, what: str, out: bool) -> None:
    field = _OPT_FIELDS[what]
    ctx.store.update_person(ctx.person_id, **{field: out})
    ctx.say(f"opt.{'out' if out else 'in'}_{what}", private=True)


def cmd_language(ctx: Context, args: Arguments) -> None:
    language = args.text("language")
    ctx.store.update_person(ctx.person_id, language=language)
    ctx.sender.language = language
    ctx.say("language.set", private=True)


def cmd_endorse(ctx: Context, args: Arguments) -> None:
    token = args.person("someone")
    assert token is not None
    others = mentions_in(args.text("skill"))
    if others:  # "endorse @ana @bob terraform": one endorsement names one colleague
        raise UsageError(None, "error.endorse_which", who=", ".join([token.raw, *others])[:120])
    endorsee = resolve_person(ctx, token)
    if endorsee.id == ctx.person_id:
        raise UsageError(None, "error.self_endorse")
    names = skill_names(ctx, args.text("skill"))
    assert endorsee.id is not None
    new = [name for name in names if ctx.store.endorse(ctx.person_id, endorsee.id, name, at=ctx.now())]
    who = ctx.mention(endorsee)
    if not new:
        ctx.say("endorse.already", private=True, who=who, skills=", ".join(names))
        return
    ctx.say("endorse.done", private=True, who=who, skills=", ".join(new))
    user = ctx.user_ref(endorsee)
    if user is not None and not endorsee.dms_opt_out:  # `optout dms`: recorded, not told
        ctx.tell(
            user,
            endorsee.language,
            "endorse.notice",
            who=ctx.mention(ctx.sender),
            skills=", ".join(new),
        )
