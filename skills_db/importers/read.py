"""Read chat history into plain Python data: Slack workspace exports and JSONL thread files.

No database is involved: the readers return a :class:`HistoryArchive` of frozen dataclasses
(users, threads with their replies, which reply solved each thread). Formats and rules:
``docs/import-formats.md``.

>>> archive = read_history("export.zip")  # doctest: +SKIP
>>> [t.root.text for t in archive.threads if t.solved_by]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from skills_db.importers.collector import collector_paused
from skills_db.importers.jsonl import (
    archive_to_jsonl,
    read_jsonl_threads,
    thread_to_json,
    user_to_json,
    write_jsonl_threads,
)
from skills_db.importers.limits import DEFAULT_LIMITS, ImportLimits
from skills_db.importers.model import (
    SOLVED_REACTION,
    SOURCE_JSONL,
    SOURCE_SLACK,
    HistoryArchive,
    HistoryFileError,
    HistoryMessage,
    HistoryThread,
    HistoryUser,
)
from skills_db.importers.slack_export import read_slack_export
from skills_db.importers.slack_mrkdwn import decode_mrkdwn

__all__ = [
    "SOLVED_REACTION",
    "SOURCE_JSONL",
    "SOURCE_SLACK",
    "HistoryArchive",
    "HistoryFileError",
    "HistoryMessage",
    "HistoryThread",
    "HistoryUser",
    "archive_to_jsonl",
    "decode_mrkdwn",
    "read_history",
    "read_jsonl_threads",
    "read_slack_export",
    "thread_to_json",
    "user_to_json",
    "write_jsonl_threads",
]

JSONL_SUFFIXES = (".jsonl", ".ndjson")


def read_history(path: str | Path, limits: ImportLimits = DEFAULT_LIMITS) -> HistoryArchive:
    """Dispatch on the path: a directory or ``.zip`` is a Slack export, ``.jsonl`` is JSONL.

    Anything broken, unsafe or over ``limits`` raises HistoryFileError, and nothing else does.
    """
    where = Path(path)
    if where.is_dir() or where.suffix.lower() == ".zip":
        with collector_paused():
            return read_slack_export(path, limits=limits)
    if where.suffix.lower() in JSONL_SUFFIXES:
        with collector_paused():
            return read_jsonl_threads(path, limits=limits)
    if not where.exists():
        raise HistoryFileError(str(path), "", "no such file or directory")
    raise HistoryFileError(
        str(path), "", "unsupported file: expected a Slack export (.zip or directory) or .jsonl"
    )
