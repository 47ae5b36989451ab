"""The JSONL thread format (docs/import-formats.md): one JSON object per line.

``{"type": "user", "handle": ..., ...}`` lines declare people; every other line (``"type":
"thread"`` or no ``type``) is one thread: ``root`` message, ``replies`` list, ``solved_by``.
Timestamps are ISO 8601 with a time zone. Errors name the 1-based line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from skills_db.importers.files import check_regular_file
from skills_db.importers.limits import (
    DEFAULT_LIMITS,
    ImportLimits,
    LimitExceeded,
    known_timezone,
    parse_json,
    size_text,
)
from skills_db.importers.model import (
    SOURCE_JSONL,
    HistoryArchive,
    HistoryFileError,
    HistoryMessage,
    HistoryThread,
    HistoryUser,
    find_solved_by,
    message_order,
    thread_order,
)

_MENTION = re.compile(r"(?<![\w@])@(\w[\w.\-]*)")
_USER_FIELDS = ("name", "real_name", "title", "tz", "deleted", "is_bot")


class _Bad(Exception):
    """A problem with the current line; turned into HistoryFileError with the line number."""


# --------------------------------------------------------------------------- reading


def _string(obj: Mapping[str, object], key: str, what: str, *, default: str | None = None) -> str:
    value = obj.get(key, default)
    if value is None:
        raise _Bad(f"{what}missing '{key}'")
    if not isinstance(value, str):
        raise _Bad(f"{what}'{key}' must be a string, not {type(value).__name__}")
    return value  # clean already: see parse_json


def _flag(obj: Mapping[str, object], key: str, what: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise _Bad(f"{what}'{key}' must be true or false")
    return value


def _user(handle: str, obj: Mapping[str, object], what: str) -> HistoryUser:
    if not handle:
        raise _Bad(f"{what}empty user handle")
    tz = obj.get("tz")
    if tz is not None and not isinstance(tz, str):
        raise _Bad(f"{what}'tz' must be a string or null")
    if tz and not known_timezone(tz):  # the bot reads it as a zone later
        raise _Bad(f"{what}unknown time zone {tz[:60]!r}")
    return HistoryUser(
        handle=handle,
        name=_string(obj, "name", what, default="") or handle,
        real_name=_string(obj, "real_name", what, default=""),
        title=_string(obj, "title", what, default=""),
        tz=tz or None,
        deleted=_flag(obj, "deleted", what),
        is_bot=_flag(obj, "is_bot", what),
    )


def parse_iso_time(value: object, what: str = "") -> datetime:
    """ISO 8601 text with a time zone (``Z`` or ``+hh:mm``) -> aware UTC datetime."""
    if not isinstance(value, str):
        raise _Bad(f"{what}'ts' must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Bad(f"{what}'ts' is not ISO 8601: {value[:60]!r}") from exc
    if moment.tzinfo is None:
        raise _Bad(f"{what}'ts' has no time zone (add Z or +hh:mm): {value[:60]!r}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # "0001-01-01T00:00:00+01:00" is before year 1 in UTC
        raise _Bad(f"{what}'ts' is out of range: {value[:60]!r}") from None


def _reactions(value: object, what: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Bad(f"{what}'reactions' must be a list")
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _Bad(f"{what}reactions[{i}] is not an object")
        name = _string(item, "name", f"{what}reactions[{i}]: ")
        users = item.get("users", [])
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise _Bad(f"{what}reactions[{i}]: 'users' must be a list of handles")
        out.append((name, tuple(users)))
    return tuple(out)


class _Known:
    """The handles a thread's mentions may name: the users read so far and the thread's authors
    (looked up in both, not copied: a copy per thread made reading a large export quadratic)."""

    def __init__(self, users: Mapping[str, object], authors: set[str]) -> None:
        self.users = users
        self.authors = authors

    def __contains__(self, handle: object) -> bool:
        return handle in self.authors or handle in self.users


def _mentions(obj: Mapping[str, object], text: str, known: Container[str], what: str) -> tuple[str, ...]:
    value = obj.get("mentions")
    if value is not None:
        if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
            raise _Bad(f"{what}'mentions' must be a list of handles")
        return tuple(dict.fromkeys(value))
    found = (m.group(1).rstrip(".-") for m in _MENTION.finditer(text))
    return tuple(dict.fromkeys(h for h in found if h in known))


def _message(obj: object, what: str, known: Container[str]) -> HistoryMessage:
    if not isinstance(obj, dict):
        raise _Bad(f"{what} is not an object")
    prefix = f"{what}: "
    author = _string(obj, "author", prefix)
    if not author:
        raise _Bad(f"{prefix}empty 'author'")
    text = _string(obj, "text", prefix)
    if "ts" not in obj:
        raise _Bad(f"{prefix}missing 'ts'")
    posted_at = parse_iso_time(obj["ts"], prefix)
    message_id = _string(obj, "id", prefix, default=obj["ts"]) or str(obj["ts"])
    return HistoryMessage(
        ts=message_id,
        author=author,
        text=text,
        mentions=_mentions(obj, text, known, prefix),
        posted_at=posted_at,
        reactions=_reactions(obj.get("reactions"), prefix),
    )


def _solved_by(value: object, written: list[HistoryMessage]) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(written):
            raise _Bad(f"'solved_by' {value} is not a reply index (0..{len(written) - 1})")
        return written[value].ts
    if isinstance(value, str):
        if all(reply.ts != value for reply in written):
            raise _Bad(f"'solved_by' {value!r} is not the id of a reply")
        return value
    raise _Bad("'solved_by' must be a reply index, a reply id or null")


def _thread(obj: dict[str, Any], users: dict[str, HistoryUser]) -> HistoryThread:
    channel = _string(obj, "channel", "", default="")
    inline = obj.get("users", {})
    if not isinstance(inline, dict):
        raise _Bad("'users' must be an object mapping handles to users")
    for key, fields in inline.items():
        handle = key
        if not isinstance(fields, dict):
            raise _Bad(f"users[{handle[:60]!r}] is not an object")
        users[handle] = _user(handle, fields, f"users[{handle[:60]!r}]: ")
    if "root" not in obj:
        raise _Bad("missing 'root'")
    raw_replies = obj.get("replies", [])
    if not isinstance(raw_replies, list):
        raise _Bad("'replies' must be a list")
    authors = {
        raw["author"]
        for raw in [obj["root"], *raw_replies]
        if isinstance(raw, dict) and isinstance(raw.get("author"), str)
    }
    known = _Known(users, authors)
    root = _message(obj["root"], "root", known)
    written = [_message(raw, f"replies[{i}]", known) for i, raw in enumerate(raw_replies)]
    ids = [root.ts] + [reply.ts for reply in written]
    if len(set(ids)) != len(ids):
        raise _Bad("two messages share an id/ts; give them distinct 'id's")
    replies = tuple(sorted(written, key=message_order))
    solved_by = _solved_by(obj["solved_by"], written) if "solved_by" in obj else find_solved_by(root, replies)
    thread_id = _string(obj, "thread_id", "", default="") or f"{channel}:{root.ts}"
    return HistoryThread(SOURCE_JSONL, channel, thread_id, root, replies, solved_by)


def _lines(path: Path, label: str, limits: ImportLimits) -> Iterator[tuple[int, bytes]]:
    """The file's lines, each read with a bound: an overlong line is refused, not loaded.

    The file is never read whole, so it is bounded as a whole export is (``max_export_bytes``),
    not as one file parsed at once: the history of 100,000 people is about 150 MiB of JSONL.
    """
    check_regular_file(path, limits.max_export_bytes)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise HistoryFileError(label, "", f"cannot read: {exc.strerror or exc}") from exc
    with handle:
        number = 0
        while raw := handle.readline(limits.max_line_bytes + 1):
            number += 1
            if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                reason = f"line longer than the limit of {size_text(limits.max_line_bytes)}"
                raise HistoryFileError(label, str(number), reason, kind="line")
            yield number, raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw


def _decode(raw: bytes, limits: ImportLimits) -> object:
    try:
        return parse_json(raw, limits.max_json_depth)
    except UnicodeDecodeError as exc:
        raise _Bad(f"not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise _Bad(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except LimitExceeded as exc:
        raise _Bad(str(exc)) from None


def read_jsonl_threads(path: str | Path, *, limits: ImportLimits = DEFAULT_LIMITS) -> HistoryArchive:
    """Read the JSONL thread format. Messages are taken as written (no bot/noise filtering)."""
    label = str(path)
    users: dict[str, HistoryUser] = {}
    threads: list[HistoryThread] = []
    first_line: dict[str, int] = {}
    for number, line in _lines(Path(path), label, limits):
        if not line.strip():
            continue
        try:
            obj = _decode(line, limits)
            if not isinstance(obj, dict):
                raise _Bad("line is not a JSON object")
            kind = obj.get("type", "thread")
            if kind == "user":
                handle = _string(obj, "handle", "")
                users[handle] = _user(handle, obj, "")
            elif kind == "thread":
                thread = _thread(obj, users)
                if thread.thread_id in first_line:
                    earlier = first_line[thread.thread_id]
                    raise _Bad(f"duplicate thread_id {thread.thread_id[:60]!r} (line {earlier})")
                first_line[thread.thread_id] = number
                threads.append(thread)
            else:
                raise _Bad(f"unknown line type {str(kind)[:40]!r} (expected 'thread' or 'user')")
        except _Bad as exc:
            raise HistoryFileError(label, str(number), str(exc), kind="line") from exc
    threads.sort(key=thread_order)
    return HistoryArchive(
        source_path=label,
        users=MappingProxyType(users),
        threads=tuple(threads),
        standalone_messages=0,
    )


# --------------------------------------------------------------------------- writing


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _message_json(message: HistoryMessage) -> dict[str, object]:
    out: dict[str, object] = {"author": message.author, "text": message.text}
    out["ts"] = _iso(message.posted_at)
    if message.ts != out["ts"]:
        out["id"] = message.ts
    out["mentions"] = list(message.mentions)
    if message.reactions:
        out["reactions"] = [{"name": n, "users": list(u)} for n, u in message.reactions]
    return out


def user_to_json(user: HistoryUser) -> dict[str, object]:
    return {"type": "user", "handle": user.handle} | {f: getattr(user, f) for f in _USER_FIELDS}


def thread_to_json(thread: HistoryThread) -> dict[str, object]:
    replies = list(thread.replies)
    solved = next((i for i, r in enumerate(replies) if r.ts == thread.solved_by), None)
    return {
        "type": "thread",
        "thread_id": thread.thread_id,
        "channel": thread.channel,
        "root": _message_json(thread.root),
        "replies": [_message_json(reply) for reply in replies],
        "solved_by": solved,
    }


def archive_to_jsonl(archive: HistoryArchive) -> Iterable[str]:
    """The archive's users then threads, one JSON line each (without the newline)."""
    for user in archive.users.values():
        yield json.dumps(user_to_json(user), ensure_ascii=False)
    for thread in archive.threads:
        yield json.dumps(thread_to_json(thread), ensure_ascii=False)


def write_jsonl_threads(archive: HistoryArchive, path: str | Path) -> int:
    """Write ``archive`` in the JSONL thread format; returns the number of lines written."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for line in archive_to_jsonl(archive):
            out.write(line + "\n")
            count += 1
    return count
