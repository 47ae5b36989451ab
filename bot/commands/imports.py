"""``admin import-history PATH [--platform slack]``: import a history file from the bot's host.

The command only checks the path and schedules a delayed task: an import takes minutes, and no
action may hold a transaction that long. The task reads the whole file first — a broken file
names the file and the record, and nothing is written — then imports the threads in batches,
each batch one short unit of work (live events go on meanwhile), with a progress message of
its own every tenth of its messages or so (at most one every half minute) and a summary at
the end, to the manager privately. A batch that fails stops the import; what was imported
stays, and importing the file again adds only the rest (threads are keyed by their source and
id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import cache, partial
from pathlib import Path
from typing import Any

from bot.chat.actions import Actions
from bot.chat.context import Context, Outgoing
from bot.chat.events import UserRef
from bot.commands.import_report import left_out
from bot.commands.registry import Arguments, Command, Label, UsageError
from bot.jobs.scheduler import Scheduler
from bot.logs import log_failure
from skills_db.importers.history import ImportReport, import_archive, import_texts
from skills_db.importers.model import HistoryArchive, HistoryFileError
from skills_db.importers.read import read_history
from skills_db.importers.recognition import Recognition
from skills_db.storage.models import DelayedTask

log = logging.getLogger("entraide.imports")

IMPORT_HISTORY = "import-history"
BATCH = 500  # threads per unit of work
# A progress message when the import moved on by this many percent of its messages, and at
# most one in this many seconds (the bot's clock): a few per import, whatever its size.
PROGRESS_PERCENT = 10
PROGRESS_SECONDS = 30.0
PLATFORMS = ("slack", "matrix", "console")


@cache
def _command() -> Command:
    from bot.commands.admin import admin_registry

    found = admin_registry().get("import-history")
    assert found is not None
    return found


def cmd_admin_import_history(ctx: Context, args: Arguments) -> None:
    words = args.text("path").split()
    platform = "slack"
    if "--platform" in words:
        at = words.index("--platform")
        if at + 1 >= len(words):
            raise UsageError(
                _command(), "error.missing_argument", argument=Label("argument.curation.platform")
            )
        platform = words[at + 1].lower()
        del words[at : at + 2]
        if platform not in PLATFORMS:
            raise UsageError(_command(), "curation.import_platform", word=platform[:20])
    path = " ".join(words)
    if not path:
        raise UsageError(_command(), "error.missing_argument", argument=Label("argument.curation.path"))
    if not Path(path).exists():
        raise UsageError(_command(), "curation.import_missing", path=path[:200])
    sender = ctx.trigger.sender
    payload = {
        "path": path,
        "platform": platform,
        "to": {"platform": sender.platform, "handle": sender.handle, "display": sender.display},
        "language": ctx.language,
    }
    key = f"{IMPORT_HISTORY}:{ctx.trigger.platform}:{ctx.trigger.event_id}"
    ctx.store.schedule_task(IMPORT_HISTORY, key, ctx.now(), payload, now=ctx.now())
    ctx.say("curation.import_started", private=True, path=path)


def register(scheduler: Scheduler, actions: Actions) -> None:
    async def handler(item: DelayedTask) -> None:
        await run_import(actions, item)

    scheduler.on_task(IMPORT_HISTORY, handler)


async def run_import(actions: Actions, item: DelayedTask) -> None:
    payload = item.payload
    path, platform = str(payload["path"]), str(payload.get("platform", "slack"))
    to = UserRef(**payload["to"])
    language = str(payload.get("language") or "") or None

    async def tell(key: str, part: str, **values: Any) -> None:
        def unit() -> list[Outgoing]:
            ctx = Context(actions.services, to.platform)
            ctx.tell(to, language, key, path=path, **values)
            return ctx.outgoing

        await actions.run(unit, f"task:{item.key}:{part}")

    try:
        archive = await asyncio.to_thread(read_history, path)  # reading writes nothing
    except (HistoryFileError, OSError) as error:
        await tell("curation.import_broken", "broken", error=str(error)[:500])
        return
    vocabulary = actions.services.matcher.vocabulary()
    # A large export's phrases are learned and its questions recognised in a second process (see
    # its module), started away from the event loop (the vocabulary's entries are pickled for it).
    salt = actions.services.config.privacy.erasure_salt
    texts, learn_from = await asyncio.to_thread(
        import_texts, actions.services.store, archive, platform, erasure_salt=salt
    )
    recognise = await asyncio.to_thread(Recognition, vocabulary, texts, learn_from=learn_from)
    try:
        learned = await asyncio.to_thread(recognise.learned)
        await _import_batches(actions, archive, recognise, platform, learned, path, language, tell)
    finally:
        recognise.close()


async def _import_batches(
    actions: Actions,
    archive: HistoryArchive,
    recognise: Callable[[str], list[str]],
    platform: str,
    learned: list[str],
    path: str,
    language: str | None,
    tell: Callable[..., Awaitable[None]],
) -> None:
    total, done = len(archive.threads), 0
    messages = sum(1 + len(thread.replies) for thread in archive.threads)
    written, told, told_at = 0, 0, actions.services.clock()
    reports: list[ImportReport] = []
    while done < total or not reports:
        chunk = replace(archive, threads=archive.threads[done : done + BATCH])
        first = not reports
        try:
            report = await actions.in_thread(
                partial(_batch, actions, chunk, recognise, platform, learned, first)
            )
        except Exception as error:
            log_failure(log, "history import stopped", error, {"path": path[:200], "done": done})
            await tell(
                "curation.import_stopped",
                f"stopped:{done}",
                done=_n(done, language),
                total=_n(total, language),
                error=type(error).__name__,
            )
            raise
        reports.append(report)
        done += len(chunk.threads)
        written += sum(1 + len(thread.replies) for thread in chunk.threads)
        percent = 100 * written // max(messages, 1)
        now = actions.services.clock()
        late = (now - told_at).total_seconds() >= PROGRESS_SECONDS
        if done < total and percent - told >= PROGRESS_PERCENT and late:
            told, told_at = percent, now
            await tell(
                "scale.import_progress",
                f"progress:{done}",
                percent=percent,
                done=_n(written, language),
                total=_n(messages, language),
            )
    await tell("curation.import_done", "done", learned=len(learned), **_summary(reports, language))
    unkept = left_out(archive, actions.services.catalog, language)
    if unkept:  # what was read but not kept, and why: never silent
        await tell("import_report.chat", "left-out", report="\n".join(unkept))
    erased = len(frozenset().union(*(r.erased_handles for r in reports)))
    if erased:  # how many, never who
        await tell("rights.import_erased", "erased", count=erased)


def _batch(
    actions: Actions,
    chunk: HistoryArchive,
    recognise: Callable[[str], list[str]],
    platform: str,
    learned: list[str],
    first: bool,
) -> ImportReport:
    """One batch of threads in one unit of work; the first also declares the users' profiles
    and saves the learned terms (every instance then reloads its vocabulary)."""
    store = actions.services.store

    def work() -> ImportReport:
        salt = actions.services.config.privacy.erasure_salt
        return import_archive(
            store, chunk, recognise, platform, learned if first else (), declare=first, erasure_salt=salt
        )

    return actions.transaction(work, f"import:{chunk.source_path[:80]}")


def _n(value: int, language: str | None) -> str:
    text = f"{value:,}"
    return text.replace(",", "\u202f") if language == "fr" else text


def _summary(reports: list[ImportReport], language: str | None) -> dict[str, str]:
    fields = ("threads", "skipped_threads", "replies", "solved_threads", "people", "claims", "thanks")
    return {name: _n(sum(getattr(r, name) for r in reports), language) for name in fields}
