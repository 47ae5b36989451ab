"""``admin skill add|alias|rename|merge|list``: community managers curate the vocabulary.

What they change is stored (:mod:`skills_db.storage.curation`) with a change in the index feed:
this instance reads it before the next need it handles, every other within seconds, and each
rebuilds its vocabulary and re-reads the claims of the skills that changed name. A skill is
named by its canonical name, an alias, or a name stored but unknown to the vocabulary (one
colleagues declared); two names are separated by a comma ("merge tf, Terraform"), or by a space
when that splits them unambiguously.
"""

from __future__ import annotations

from functools import cache

from bot.chat.context import Context
from bot.commands.registry import Arguments, Command, Label, UsageError
from skills_db.vocabulary.textnorm import fold

LISTED = 30  # skills listed at most by one `admin skill list`
ALIASES_SHOWN = 3


@cache
def _command() -> Command:
    from bot.commands.admin import admin_registry

    found = admin_registry().get("skill")
    assert found is not None
    return found


def _error(key: str, **values: object) -> UsageError:
    return UsageError(_command(), key, **values)


def resolve(ctx: Context, term: str) -> str | None:
    """The skill ``term`` names: exactly (name, alias, French name), as stored, then loosely
    (a plural, a typo) — the answer always says which skill it took."""
    vocabulary = ctx.services.matcher.vocabulary()
    term = " ".join(term.split())
    if not fold(term):
        return None
    return vocabulary.owner(term) or ctx.store.stored_skill(term) or vocabulary.canonical(term)


def _names(text: str) -> list[str]:
    return [" ".join(part.split()) for part in text.split(",") if part.strip()]


def split_two(ctx: Context, text: str, *, second_known: bool) -> tuple[str, str]:
    """Two skill names: either side of a comma, else of the space that leaves a known skill on
    the left (and on the right too, when ``second_known``), the longest left side first."""
    parts = _names(text)
    if len(parts) >= 2:
        if len(parts) > 2:
            raise _error("error.extra_words", words=", ".join(parts[2:])[:40])
        return parts[0], parts[1]
    words = text.split()
    for cut in range(len(words) - 1, 0, -1):
        left, right = " ".join(words[:cut]), " ".join(words[cut:])
        if resolve(ctx, left) and (not second_known or resolve(ctx, right)):
            return left, right
    if len(words) == 2:
        return words[0], words[1]
    raise _error("curation.missing_second")


def cmd_admin_skill(ctx: Context, args: Arguments) -> None:
    action, rest = args.text("action"), args.text("skills").strip()
    if action == "list":
        list_skills(ctx, rest)
        return
    if not rest:
        raise _error("error.missing_argument", argument=Label("argument.skill"))
    if action == "add":
        add_skill(ctx, rest)
    elif action == "alias":
        first, second = split_two(ctx, rest, second_known=False)
        add_alias(ctx, first, second)
    elif action == "rename":
        first, second = split_two(ctx, rest, second_known=False)
        rename(ctx, first, second)
    else:
        first, second = split_two(ctx, rest, second_known=True)
        merge(ctx, first, second)


def _known(ctx: Context, term: str) -> str:
    skill = resolve(ctx, term)
    if skill is None:
        raise _error("curation.unknown_skill", word=term[:60])
    return skill


def _free(ctx: Context, word: str, key: str, **values: object) -> None:
    """Refuse ``word`` as a new name or alias when it already names a skill."""
    owner = ctx.services.matcher.vocabulary().owner(word) or ctx.store.stored_skill(word)
    if owner is not None:
        raise _error(key, word=word[:60], skill=owner, **values)


def add_skill(ctx: Context, text: str) -> None:
    name, *aliases = _names(text)
    _free(ctx, name, "curation.taken_name")
    for alias in aliases:
        _free(ctx, alias, "curation.taken_alias")
    folded = {fold(a) for a in aliases}
    if len(folded) < len(aliases) or fold(name) in folded:
        raise _error("curation.repeated", words=", ".join(aliases)[:60])
    ctx.store.add_skill(name, aliases)
    if aliases:
        ctx.say("curation.skill_added_aliases", private=True, skill=name, aliases=", ".join(aliases))
    else:
        ctx.say("curation.skill_added", private=True, skill=name)


def add_alias(ctx: Context, skill_term: str, alias: str) -> None:
    skill = _known(ctx, skill_term)
    owner = ctx.services.matcher.vocabulary().owner(alias) or ctx.store.stored_skill(alias)
    if owner == skill:
        ctx.say("curation.alias_same", private=True, alias=alias, skill=skill)
        return
    if owner is not None:
        raise _error("curation.taken_alias", word=alias[:60], skill=owner)
    ctx.store.add_alias(skill, alias)
    ctx.say("curation.alias_added", private=True, alias=alias, skill=skill)


def rename(ctx: Context, old_term: str, new: str) -> None:
    old = _known(ctx, old_term)
    owner = ctx.services.matcher.vocabulary().owner(new) or ctx.store.stored_skill(new)
    if owner is not None and owner != old:
        raise _error("curation.rename_taken", word=new[:60], skill=owner, old=old)
    if new == old:
        raise _error("curation.same_skill", first=old_term[:60], second=new[:60], skill=old)
    entry = ctx.services.matcher.vocabulary().get(old)
    ctx.store.rename_skill(old, new, category=entry.category if entry is not None else "tech")
    ctx.say("curation.renamed", private=True, old=old, new=new)


def merge(ctx: Context, source_term: str, target_term: str) -> None:
    source, target = _known(ctx, source_term), _known(ctx, target_term)
    if source == target:
        raise _error("curation.same_skill", first=source_term[:60], second=target_term[:60], skill=source)
    report = ctx.store.merge_skills(source, target)
    ctx.say(
        "curation.merged",
        private=True,
        source=source,
        target=target,
        claims=report.claims,
        goals=report.goals,
        endorsements=report.endorsements,
        lists=report.lists,
    )


def list_skills(ctx: Context, prefix: str) -> None:
    """Skills with their evidence over everyone; a skill held by fewer than the barometer's
    minimum group size shows no count, which would be about a few people."""
    vocabulary = ctx.services.matcher.vocabulary()
    start = fold(prefix)
    stored = ctx.store.stored_skill_names()
    if start:
        names = [s.name for s in vocabulary if fold(s.name).startswith(start)]
        names += [n for n in stored if fold(n).startswith(start) and vocabulary.get(n) is None]
    else:  # the skills something refers to: evidence, a goal, an alias, a manager's addition
        names = stored
    counts = ctx.store.skill_counts(names if start else None)
    if not names:
        ctx.say("curation.list_empty", private=True, prefix=prefix[:40])
        return
    names = sorted(set(names), key=lambda n: (-(counts[n].claims if n in counts else 0), fold(n)))
    least = ctx.config.barometer.min_group_size
    lines = []
    for name in names[:LISTED]:
        entry = vocabulary.get(name)
        aliases = entry.aliases[:ALIASES_SHOWN] if entry is not None else ()
        also = ctx.text("curation.list_aliases", aliases=", ".join(aliases)) if aliases else ""
        count = counts.get(name)
        if count is None:
            lines.append(ctx.text("curation.list_line_none", skill=name, aliases=also))
        elif count.people < least:
            lines.append(ctx.text("curation.list_line_few", skill=name, least=least, aliases=also))
        else:
            lines.append(
                ctx.text(
                    "curation.list_line",
                    skill=name,
                    claims=number(ctx, count.claims),
                    people=number(ctx, count.people),
                    aliases=also,
                )
            )
    if len(names) > LISTED:
        lines.append(ctx.text("curation.list_more", count=len(names) - LISTED))
    where = ctx.text("curation.list_prefix", prefix=prefix[:40]) if start else ""
    ctx.say("curation.list", private=True, prefix=where, lines="\n".join(lines))


def number(ctx: Context, value: int, language: str | None = None) -> str:
    """``value`` with thousands separated as the reader writes them: 8,000 or 8 000."""
    text = f"{value:,}"
    return text.replace(",", "\u202f") if (language or ctx.language) == "fr" else text
