"""Commands for community managers. They see aggregates, never one person's scores.

``admin <what> …`` is one command in the main registry (so one permission check covers every
platform) whose first word picks a subcommand from :data:`ADMIN`, a registry of its own with its
own usage lines: ``admin shoutout preview``, ``admin audit 20``… Every subcommand is recorded in
the audit log by the dispatcher, before it runs, whatever it does.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from sqlmodel import col, select

from bot.chat.context import Context
from bot.commands import barometer, curation, imports, network, shoutouts
from bot.commands.registry import (
    ArgKind,
    Argument,
    Arguments,
    Command,
    Label,
    Registry,
    UnknownCommand,
    UsageError,
    choices,
)
from skills_db.storage.models import Need, NeedStatus

AUDIT_DEFAULT, AUDIT_MOST = 10, 100


def cmd_stats(ctx: Context, args: Arguments) -> None:
    since = ctx.now() - timedelta(days=7)
    with ctx.store.session() as session:
        open_needs = session.exec(
            select(sa.func.count()).select_from(Need).where(Need.status == NeedStatus.OPEN)
        ).one()
        solved_week = session.exec(
            select(sa.func.count())
            .select_from(Need)
            .where(Need.status == NeedStatus.SOLVED, col(Need.solved_at) >= since)
        ).one()
    ctx.store.audit(ctx.person_id, "admin.stats", at=ctx.now())
    ctx.say(
        "admin.stats",
        private=True,
        people=ctx.store.count_people(),
        open=int(open_needs),
        solved=int(solved_week),
    )


def cmd_admin(ctx: Context, args: Arguments) -> None:
    """``admin <what> …``: the subcommand named by the first word, audited."""
    line = args.text("what")
    if not line:
        raise UsageError(_admin_command(), "error.missing_argument", argument=Label("argument.admin_what"))
    try:
        parsed = admin_registry().parse(line)
    except UnknownCommand as error:
        raise UsageError(_admin_command(), "error.unknown_admin", word=error.word) from None
    sub = parsed.command
    given = {k: v[:200] for k, v in parsed.arguments.values.items() if isinstance(v, str)}
    ctx.store.audit(ctx.person_id, f"admin.{sub.name.removeprefix('admin-')}", at=ctx.now(), arguments=given)
    sub.handler(ctx, parsed.arguments)


def cmd_audit(ctx: Context, args: Arguments) -> None:
    """The latest entries of the audit log: who did what, when (the people named as managers
    see; they are community managers' own actions and the bot's, never anyone's scores)."""
    word = args.text("count") or str(AUDIT_DEFAULT)
    if not word.isdigit() or not 1 <= int(word) <= AUDIT_MOST:
        raise UsageError(None, "error.bad_audit_count", word=word[:20], most=AUDIT_MOST)
    entries = ctx.store.audit_log(int(word))
    people = ctx.store.people([e.actor_person_id for e in entries if e.actor_person_id is not None])
    lines = []
    for entry in entries:
        actor = people.get(entry.actor_person_id or 0)
        if actor is not None:
            who = actor.name
        elif entry.action.startswith("admin."):  # only people run admin commands: one erased since
            who = ctx.text("admin_managers.audit_erased")
        else:
            who = ctx.text("admin.audit_nobody")
        given = (entry.details or {}).get("arguments") or entry.details or {}
        details = ", ".join(f"{k}={v}" for k, v in sorted(given.items()) if isinstance(v, str | int))
        lines.append(
            ctx.text(
                "admin.audit_line",
                at=f"{entry.at:%Y-%m-%d %H:%M} UTC",
                who=who,
                action=entry.action,
                details=f" ({details})" if details else "",
            )
        )
    ctx.say("admin.audit", private=True, count=len(lines), lines="\n".join(lines))


@cache
def _admin_command() -> Command:
    from bot.commands import registry

    found = registry().get("admin")
    assert found is not None
    return found


SHOUTOUT_ACTIONS = choices(
    ("preview", "apercu", "voir"),
    ("send", "envoyer", "publier"),
    ("skip", "sauter", "passer"),
)


SKILL_ACTIONS = choices(
    ("add", "ajouter", "ajoute", "new", "nouvelle"),
    ("alias", "synonyme"),
    ("rename", "renommer", "renomme"),
    ("merge", "fusionner", "fusionne"),
    ("list", "liste", "lister"),
)


@cache
def admin_registry() -> Registry:
    """The subcommands of ``admin``; each one's usage is ``usage.<name>`` (``admin-…``)."""
    r = Registry()
    r.add(
        Command(
            "admin-shoutout",
            shoutouts.cmd_admin_shoutout,
            (
                Argument("action", ArgKind.CHOICE, choices=SHOUTOUT_ACTIONS, label="admin_action"),
                Argument("channel", ArgKind.WORD, required=False),
            ),
            ("shoutout", "shoutouts", "shout-out", "shout-outs", "remerciements", "bravos"),
            admin=True,
            words={"en": "shoutout", "fr": "remerciements"},
        )
    )
    r.add(
        Command(
            "admin-audit",
            cmd_audit,
            (Argument("count", ArgKind.WORD, required=False),),
            ("audit", "journal"),
            admin=True,
            words={"en": "audit", "fr": "journal"},
        )
    )
    r.add(
        Command(
            "admin-skill",
            curation.cmd_admin_skill,
            (
                Argument("action", ArgKind.CHOICE, choices=SKILL_ACTIONS, label="curation.skill_action"),
                Argument("skills", ArgKind.REST, required=False),
            ),
            ("skill", "skills", "competence", "competences"),
            admin=True,
            words={"en": "skill", "fr": "compétence"},
        )
    )
    r.add(
        Command(
            "admin-import-history",
            imports.cmd_admin_import_history,
            (Argument("path", ArgKind.REST, label="curation.path"),),
            ("import-history", "import", "importer-historique", "importer"),
            admin=True,
            words={"en": "import-history", "fr": "importer-historique"},
        )
    )
    r.add(
        Command(
            "admin-announce",
            network.cmd_admin_announce,
            (Argument("text", ArgKind.REST, label="curation.text"),),
            ("announce", "annonce", "annoncer"),
            admin=True,
            words={"en": "announce", "fr": "annonce"},
        )
    )
    r.add(
        Command(
            "admin-focus",
            network.cmd_admin_focus,
            (Argument("skills", ArgKind.REST, required=False),),
            ("focus", "priorites", "priorite"),
            admin=True,
            words={"en": "focus", "fr": "priorités"},
        )
    )
    weeks = (Argument("weeks", ArgKind.WORD, required=False),)
    r.add(
        Command(
            "admin-barometer",
            barometer.cmd_admin_barometer,
            weeks,
            ("barometer", "barometre"),
            admin=True,
            words={"en": "barometer", "fr": "barometre"},
        )
    )
    r.add(
        Command(
            "admin-export",
            barometer.cmd_admin_export,
            weeks,
            ("export", "exporter"),
            admin=True,
            words={"en": "export", "fr": "exporter"},
        )
    )
    return r
