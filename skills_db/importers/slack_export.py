"""Read a Slack workspace export (the .zip or the unpacked directory) into a HistoryArchive.

Layout (docs/import-formats.md): ``users.json`` (or ``org_users.json``), ``channels.json``
and one folder per channel holding one ``YYYY-MM-DD.json`` array of messages per day. Replies
are filed under the day they were posted, so they are grouped by ``thread_ts`` across all the
daily files of a channel. Messages outside threads posted before a channel's first thread are
grouped into conversations by :mod:`skills_db.importers.conversations`. Only one daily file is
parsed at a time; what is kept between files is the decoded messages of the current channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from skills_db.importers.conversations import DEFAULT_RULES, FlowRules, rebuild_conversations
from skills_db.importers.files import ExportFiles, open_export
from skills_db.importers.limits import DEFAULT_LIMITS, ImportLimits, clean_text, known_timezone
from skills_db.importers.model import (
    SOURCE_SLACK,
    FlowCounts,
    HistoryArchive,
    HistoryFileError,
    HistoryMessage,
    HistoryThread,
    HistoryUser,
    SkippedCounts,
    find_solved_by,
    message_order,
    slack_ts_to_datetime,
    thread_order,
)
from skills_db.importers.slack_mrkdwn import decode_mrkdwn

#: Message subtypes that carry something a person wrote; every other subtype is noise
#: (channel_join, channel_leave, channel_topic, channel_purpose, channel_name, pinned_item,
#: bot_message, bot_add, file_comment, huddle_thread, ...).
KEPT_SUBTYPES = frozenset({"thread_broadcast", "reply_broadcast", "file_share", "me_message"})
BOT_SUBTYPES = frozenset({"bot_message", "bot_add", "bot_remove", "bot_enable", "bot_disable"})

SLACKBOT = "USLACKBOT"
_USER_FILES = ("users.json", "org_users.json")
_PUBLIC_LISTS = ("channels.json",)
_PRIVATE_LISTS = ("groups.json", "mpims.json", "dms.json")
_DAY_FILE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\.json", re.ASCII)


# --------------------------------------------------------------------------- layout


def _find_prefix(files: ExportFiles) -> str:
    """The members' common prefix: "" (flat export) or "folder/" (export zipped in a folder)."""
    present = files.present
    index = _USER_FILES + _PUBLIC_LISTS
    if any(name in present for name in index):
        return ""
    tops = {name.split("/", 1)[0] for name in files.members if "/" in name}
    if len(tops) == 1:
        top = next(iter(tops))
        if any(f"{top}/{name}" in present for name in index):
            return f"{top}/"
    return ""


# --------------------------------------------------------------------------- parsing


def _text(value: object) -> str:
    return clean_text(value) if isinstance(value, str) else ""


def _parse_user(raw: object, where: str, index: int) -> HistoryUser:
    if not isinstance(raw, dict):
        raise HistoryFileError(where, str(index), "user is not an object")
    handle = _text(raw.get("id"))
    if not handle:
        raise HistoryFileError(where, str(index), "missing 'id'")
    profile = raw.get("profile")
    if not isinstance(profile, dict):
        profile = {}
    real_name = _text(raw.get("real_name")) or _text(profile.get("real_name"))
    name = _text(profile.get("display_name")) or real_name or _text(raw.get("name")) or handle
    tz = _text(raw.get("tz"))
    return HistoryUser(
        handle=handle,
        name=name,
        real_name=real_name,
        title=_text(profile.get("title")),
        tz=tz if tz and known_timezone(tz) else None,  # the bot reads it as a zone later
        deleted=bool(raw.get("deleted")),
        is_bot=bool(raw.get("is_bot")) or bool(raw.get("is_app_user")) or handle == SLACKBOT,
    )


def _load_users(files: ExportFiles, prefix: str) -> dict[str, HistoryUser]:
    member = next((prefix + n for n in _USER_FILES if prefix + n in files.present), None)
    if member is None:
        raise HistoryFileError(files.label, "", "not a Slack export: no users.json")
    data = files.load_json(member)
    where = files.display(member)
    if not isinstance(data, list):
        raise HistoryFileError(where, "", "expected a JSON array of users")
    users: dict[str, HistoryUser] = {}
    for index, raw in enumerate(data):
        user = _parse_user(raw, where, index)
        users.setdefault(user.handle, user)
    return users


@dataclass(frozen=True)
class _Conversation:
    id: str
    name: str
    folder: str
    public: bool = True  # from channels.json; private channels, group DMs and DMs are not


def _load_conversations(files: ExportFiles, prefix: str, include_private: bool) -> list[_Conversation]:
    present = files.present
    if prefix + "channels.json" not in present:
        raise HistoryFileError(files.label, "", "not a Slack export: no channels.json")
    lists = _PUBLIC_LISTS + (_PRIVATE_LISTS if include_private else ())
    conversations: list[_Conversation] = []
    folders: set[str] = set()
    for list_name in lists:
        member = prefix + list_name
        if member not in present:
            continue
        where = files.display(member)
        data = files.load_json(member)
        if not isinstance(data, list):
            raise HistoryFileError(where, "", "expected a JSON array of conversations")
        for index, raw in enumerate(data):
            if not isinstance(raw, dict):
                raise HistoryFileError(where, str(index), "conversation is not an object")
            conv_id = _text(raw.get("id"))
            if not conv_id:
                raise HistoryFileError(where, str(index), "missing 'id'")
            name = _text(raw.get("name"))
            if list_name == "dms.json":  # DM folders are named by id
                name = conv_id
            if not name:
                raise HistoryFileError(where, str(index), "missing 'name'")
            if name not in folders:
                folders.add(name)
                public = list_name in _PUBLIC_LISTS
                conversations.append(_Conversation(conv_id, name, name, public))
    return conversations


def _day_files(files: ExportFiles, prefix: str) -> dict[str, list[str]]:
    by_folder: dict[str, list[str]] = {}
    for member in files.members:
        if not member.startswith(prefix):
            continue
        parts = member[len(prefix) :].split("/")
        if len(parts) == 2 and _DAY_FILE.fullmatch(parts[1]):
            by_folder.setdefault(parts[0], []).append(member)
    for members in by_folder.values():
        members.sort()
    return by_folder


def _reactions(raw: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, list):
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        users = item.get("users")
        handles = tuple(_text(u) for u in users if isinstance(u, str)) if isinstance(users, list) else ()
        out.append((_text(item["name"]), handles))
    return tuple(out)


@dataclass
class _ChannelGroups:
    """Kept messages of one channel, grouped while its daily files are read."""

    roots: dict[str, HistoryMessage] = field(default_factory=dict)
    replies: dict[str, list[HistoryMessage]] = field(default_factory=dict)
    loose: dict[str, HistoryMessage] = field(default_factory=dict)  # no thread_ts
    seen: set[str] = field(default_factory=set)


_SKIP_REASONS = ("events", "bots", "empty", "duplicates")  # the fields of SkippedCounts


@dataclass
class _Counters:
    standalone: int = 0
    orphans: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_SKIP_REASONS, 0))
    flow_channels: int = 0
    flow_messages: int = 0
    flow_threads: int = 0
    flow_grouped: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def skipped_counts(self) -> SkippedCounts:
        return SkippedCounts(**self.skipped)

    def flow_counts(self) -> FlowCounts:
        return FlowCounts(self.flow_channels, self.flow_messages, self.flow_threads, self.flow_grouped)


def _noise(raw: dict[str, object], users: Mapping[str, HistoryUser]) -> str | None:
    """Why the message is not something a person wrote (a SkippedCounts field), or None."""
    subtype = raw.get("subtype")
    if subtype is not None and subtype not in KEPT_SUBTYPES:
        return "bots" if subtype in BOT_SUBTYPES else "events"
    if raw.get("bot_id") or raw.get("bot_profile"):
        return "bots"
    author = _text(raw.get("user"))
    if not author:
        return "bots"  # integrations post without a user
    user = users.get(author)
    if author == SLACKBOT or (user is not None and user.is_bot):
        return "bots"
    has_text = bool(_text(raw.get("text")).strip())
    return None if has_text or raw.get("files") or raw.get("file") else "empty"


def _read_channel(
    files: ExportFiles,
    members: list[str],
    conversation: _Conversation,
    users: Mapping[str, HistoryUser],
    channel_names: Mapping[str, str],
    counters: _Counters,
    rules: FlowRules,
) -> Iterator[HistoryThread]:
    groups = _ChannelGroups()
    for member in members:
        where = files.display(member)
        data = files.load_json(member)
        if not isinstance(data, list):
            raise HistoryFileError(where, "", "expected a JSON array of messages")
        for index, raw in enumerate(data):
            _add_message(raw, where, index, users, channel_names, groups, counters)
        del data
    yield from _finish_channel(conversation, groups, counters, rules)


def _add_message(
    raw: object,
    where: str,
    index: int,
    users: Mapping[str, HistoryUser],
    channel_names: Mapping[str, str],
    groups: _ChannelGroups,
    counters: _Counters,
) -> None:
    record = str(index)
    if not isinstance(raw, dict):
        raise HistoryFileError(where, record, "message is not an object")
    ts = raw.get("ts")
    if ts is None:
        raise HistoryFileError(where, record, "missing 'ts'")
    if not isinstance(ts, str):
        raise HistoryFileError(where, record, f"'ts' is not a string: {ts!r}")
    try:
        posted_at = slack_ts_to_datetime(ts)
    except ValueError as exc:
        raise HistoryFileError(where, record, f"invalid 'ts': {exc}") from exc
    thread_ts = raw.get("thread_ts")
    if thread_ts is not None and not (isinstance(thread_ts, str) and thread_ts):
        raise HistoryFileError(where, record, f"invalid 'thread_ts': {thread_ts!r}")
    noise = _noise(raw, users)
    if noise is not None or ts in groups.seen:
        counters.skip(noise or "duplicates")
        return
    groups.seen.add(ts)
    text, mentions = decode_mrkdwn(_text(raw.get("text")), users, channel_names)
    message = HistoryMessage(
        ts=ts,
        author=_text(raw["user"]),
        text=text,
        mentions=mentions,
        posted_at=posted_at,
        reactions=_reactions(raw.get("reactions")),
    )
    if thread_ts is None:
        groups.loose[ts] = message
    elif thread_ts == ts:
        groups.roots[ts] = message
    else:
        groups.replies.setdefault(thread_ts, []).append(message)


def _finish_channel(
    conversation: _Conversation, groups: _ChannelGroups, counters: _Counters, rules: FlowRules
) -> Iterator[HistoryThread]:
    for thread_ts, grouped in groups.replies.items():
        if thread_ts not in groups.roots:
            parent = groups.loose.pop(thread_ts, None)  # parent exported without thread_ts
            if parent is None:
                counters.orphans += len(grouped)
                continue
            groups.roots[thread_ts] = parent
    for root_ts, root in groups.roots.items():
        replies = tuple(sorted(groups.replies.get(root_ts, ()), key=message_order))
        yield HistoryThread(
            source=SOURCE_SLACK,
            channel=conversation.name,
            thread_id=f"{conversation.id}:{root_ts}",
            root=root,
            replies=replies,
            solved_by=find_solved_by(root, replies),
            public=conversation.public,
        )
    yield from _flow_threads(conversation, groups, counters, rules)


def _flow_threads(
    conversation: _Conversation, groups: _ChannelGroups, counters: _Counters, rules: FlowRules
) -> Iterator[HistoryThread]:
    """Conversations rebuilt from the messages posted before the channel's first answered
    thread: from then on people answer in threads, and a message left outside one was, as
    far as the export shows, not answered (docs/import-formats.md)."""
    answered = [groups.roots[ts].posted_at for ts in groups.replies if ts in groups.roots]
    since = min(answered, default=None)
    flow = [m for m in groups.loose.values() if since is None or m.posted_at < since]
    counters.standalone += len(groups.loose) - len(flow)
    if not flow:
        return
    rebuilt = rebuild_conversations(
        flow, channel=conversation.name, channel_id=conversation.id, public=conversation.public, rules=rules
    )
    counters.flow_channels += 1
    counters.flow_messages += rebuilt.messages
    counters.flow_threads += len(rebuilt.threads)
    counters.flow_grouped += rebuilt.grouped
    counters.standalone += rebuilt.unanswered
    yield from rebuilt.threads


def read_slack_export(
    path: str | Path,
    *,
    include_private: bool = False,
    limits: ImportLimits = DEFAULT_LIMITS,
    flow: FlowRules = DEFAULT_RULES,
) -> HistoryArchive:
    """Read a Slack export (.zip or unpacked directory), refusing what is over ``limits``.

    Public channels (``channels.json``) only, unless ``include_private`` also asks for private
    channels, group DMs and DMs (``groups.json``, ``mpims.json``, ``dms.json``) of a full export.
    ``flow``: the time limits of the rules that rebuild conversations outside threads.
    """
    files = open_export(Path(path), limits)
    try:
        prefix = _find_prefix(files)
        users = _load_users(files, prefix)
        conversations = _load_conversations(files, prefix, include_private)
        channel_names = {c.id: c.name for c in conversations}
        day_files = _day_files(files, prefix)
        counters = _Counters()
        threads: list[HistoryThread] = []
        for conversation in conversations:
            members = day_files.get(conversation.folder, [])
            channel = _read_channel(files, members, conversation, users, channel_names, counters, flow)
            threads.extend(channel)
    finally:
        files.close()
    threads.sort(key=thread_order)
    return HistoryArchive(
        source_path=str(path),
        users=MappingProxyType(users),
        threads=tuple(threads),
        standalone_messages=counters.standalone,
        orphan_replies=counters.orphans,
        skipped_messages=counters.skipped_counts().total,
        skipped=counters.skipped_counts(),
        flow=counters.flow_counts(),
    )
