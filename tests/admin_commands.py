"""Every admin command as a user would type it, read from the registries when the test runs.

The adapters' permission tests (console, Slack double, real Synapse) iterate over these lines, so
a subcommand added to ``admin_registry()`` is covered without naming it anywhere: a normal user
must get the short refusal with nothing audited or changed; a manager must get an answer that is
no refusal and, when the line runs as typed, an audit entry ``admin.<x>`` naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.chat.context import Services
from bot.commands import registry
from bot.commands.admin import admin_registry
from bot.commands.registry import Command
from skills_db.storage.store import Store

# What handling any event writes, refused or not: who spoke, that the event was seen, the reply
# on its way out, the scheduler's own ledger. Everything else must stay as it was after a refusal.
BOOKKEEPING = frozenset(
    {
        "person",
        "identity",
        "processedevent",
        "adapterstate",
        "outboxmessage",
        "sentmessage",
        "jobrun",
        "delayedtask",
    }
)


@dataclass(frozen=True)
class AdminLine:
    text: str  # as typed, in English: "stats", "admin audit"
    command: Command  # the main registry's command, that the refusal names: stats, admin
    action: str | None  # the audit entry it writes when it runs as typed; None: it needs more words
    usage_key: str


def _needs_words(command: Command) -> bool:
    return any(argument.required for argument in command.arguments)


def _typed(command: Command) -> str:
    word = command.word("en")
    if word == command.name and command.aliases:
        word = command.aliases[0]  # "admin-audit" is the registry's name; people type "audit"
    return word


def admin_lines() -> list[AdminLine]:
    """``stats``…, the bare ``admin``, and ``admin <x>`` for every subcommand there is now."""
    lines: list[AdminLine] = []
    for command in registry():
        if not command.admin:
            continue
        word = command.word("en")
        if command.name == "admin":  # its handler asks for a subcommand: usage, nothing audited
            lines.append(AdminLine(word, command, None, command.usage_key))
            continue
        action = None if _needs_words(command) else f"admin.{command.name}"
        lines.append(AdminLine(word, command, action, command.usage_key))
    admin = registry().get("admin")
    assert admin is not None
    for sub in admin_registry():
        name = sub.name.removeprefix("admin-")
        action = None if _needs_words(sub) else f"admin.{name}"
        lines.append(AdminLine(f"{admin.word('en')} {_typed(sub)}", admin, action, sub.usage_key))
    # The test would pass on an empty list: make sure what exists today is in it.
    assert {"stats", "admin", "admin audit", "admin shoutout"} <= {line.text for line in lines}
    return lines


def refusal(services: Services, line: AdminLine, language: str = "en") -> str:
    return services.catalog.text(language, "error.not_allowed", command=line.command.word(language))


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the bookkeeping ones, to compare before and after."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with store.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in BOOKKEEPING:
                rows = session.execute(sa.select(table)).all()
                found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def audit_actions(store: Store, after: int = 0) -> list[tuple[str, int | None]]:
    """(action, actor) of the audit entries after id ``after``, oldest first."""
    return [(e.action, e.actor_person_id) for e in reversed(store.audit_log(1000)) if (e.id or 0) > after]


def last_audit_id(store: Store) -> int:
    entries = store.audit_log(1)
    return entries[0].id or 0 if entries else 0
