"""Plain data read from chat history files (Slack exports, JSONL threads); no database involved.

The readers live in :mod:`skills_db.importers.slack_export` and :mod:`skills_db.importers.jsonl`;
:mod:`skills_db.importers.read` is the public entry point. Formats: ``docs/import-formats.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SOURCE_SLACK = "slack-export"
SOURCE_JSONL = "jsonl"

#: A reaction with this name, put on a reply by the thread's author, marks the reply that
#: solved the thread (the Stack Exchange conversions use it for the accepted answer).
SOLVED_REACTION = "white_check_mark"

_SLACK_TS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?", re.ASCII)


@dataclass(frozen=True)
class HistoryUser:
    handle: str  # Slack user id ("U123"), or the handle used in a JSONL file
    name: str  # display name, else real name, else the account name
    real_name: str
    title: str  # profile.title (free-text self-description), "" if none
    tz: str | None
    deleted: bool
    is_bot: bool


@dataclass(frozen=True)
class HistoryMessage:
    ts: str  # message id: the Slack ts string verbatim (JSONL: "id", else the "ts" text)
    author: str  # user handle
    text: str  # plain text (Slack mrkdwn decoded)
    mentions: tuple[str, ...]  # handles mentioned, in order of first appearance
    posted_at: datetime  # timezone-aware, UTC
    reactions: tuple[tuple[str, tuple[str, ...]], ...]  # (name, user handles)


@dataclass(frozen=True)
class HistoryThread:
    source: str  # SOURCE_SLACK or SOURCE_JSONL
    channel: str  # channel name
    thread_id: str  # stable id: "<channel id>:<root ts>" for Slack
    root: HistoryMessage
    replies: tuple[HistoryMessage, ...]  # time order; bots and noise removed
    solved_by: str | None  # ts of the reply that solved the thread, if any
    # Said where everyone could read it: a public channel (not a private one, a group DM or a
    # DM of a full export). Only then may a reason quote it or a shout-out name its skills.
    public: bool = True


@dataclass(frozen=True)
class FlowCounts:
    """Messages outside threads that were read from their channel's flow (Slack exports)."""

    channels: int = 0  # channels with such messages (those before the channel's first thread)
    messages: int = 0  # kept messages read so
    conversations: int = 0  # threads rebuilt from them (answered by someone other than the asker)
    grouped: int = 0  # messages in those threads

    @property
    def unanswered(self) -> int:
        """Messages left out: no one other than their author answered them."""
        return self.messages - self.grouped


@dataclass(frozen=True)
class SkippedCounts:
    """Why messages were skipped before any grouping (Slack exports)."""

    events: int = 0  # joins, leaves, topic and purpose changes, pins... (a subtype)
    bots: int = 0  # by a bot, an app, Slackbot or an integration (no user)
    empty: int = 0  # neither text nor a file
    duplicates: int = 0  # a second message with the same ts in a channel

    @property
    def total(self) -> int:
        return self.events + self.bots + self.empty + self.duplicates


@dataclass(frozen=True)
class HistoryArchive:
    source_path: str
    users: Mapping[str, HistoryUser]  # every user listed by the file, bots included
    threads: tuple[HistoryThread, ...]  # sorted by root time
    # Kept messages that belong to no thread, real or rebuilt from the flow (not returned).
    standalone_messages: int
    orphan_replies: int = 0  # replies dropped because their thread root is missing or skipped
    skipped_messages: int = 0  # bot, noise (joins, topics...), empty or duplicate messages
    skipped: SkippedCounts = SkippedCounts()  # skipped_messages, by reason
    flow: FlowCounts = FlowCounts()  # messages outside threads grouped by their channel's flow


class HistoryFileError(Exception):
    """Broken input. ``str(e)`` names the file (``archive.zip:member``) and the record.

    ``record`` is the 0-based index of the element in the file's JSON array (``kind`` "record")
    or the 1-based line number of a JSONL file (``kind`` "line"); "" when the whole file is bad.
    """

    def __init__(self, path: str, record: str, reason: str, *, kind: str = "record") -> None:
        self.path = path
        self.record = record
        self.reason = reason
        self.kind = kind
        where = f"{path} {kind} {record}" if record else path
        super().__init__(one_line(f"{where}: {reason}"))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.record, self.reason), self.__dict__)


def one_line(text: str) -> str:
    """``text`` with its control characters escaped: a member named ``"a\\nb"`` in a hostile
    zip must not split the one-line error the CLI prints or the reply the chat sends."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def is_slack_ts(value: str) -> bool:
    return _SLACK_TS.fullmatch(value) is not None


def slack_ts_to_datetime(ts: str) -> datetime:
    """``"1422403985.000100"`` -> aware UTC datetime (microsecond precision).

    Raises ValueError for anything that is not ``digits[.digits]``.
    """
    if not is_slack_ts(ts):
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    seconds, _, fraction = ts.partition(".")
    micros = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=micros)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"Slack timestamp out of range: {ts!r}") from exc


def message_order(message: HistoryMessage) -> tuple[datetime, str]:
    return (message.posted_at, message.ts)


def thread_order(thread: HistoryThread) -> tuple[datetime, str, str]:
    return (thread.root.posted_at, thread.root.ts, thread.thread_id)


def find_solved_by(root: HistoryMessage, replies: tuple[HistoryMessage, ...]) -> str | None:
    """ts of the first reply (in the given order) the root's author marked SOLVED_REACTION."""
    for reply in replies:
        for name, users in reply.reactions:
            if name == SOLVED_REACTION and root.author in users:
                return reply.ts
    return None
