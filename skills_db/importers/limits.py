"""What an import file may weigh, and the checks that refuse hostile input cheaply.

An import reads files an admin was handed (a Slack export, a JSONL dump, a directory CSV): they
may be broken or built to hurt — a zip bomb, ``../`` member names, a 100 MB line, JSON nested
100,000 levels deep. Every limit is checked *before* the costly step (reading a member whole,
parsing JSON), so a refusal takes little memory and time. Defaults and reasons:
``docs/import-formats.md`` ("Limits").
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    #: One file read whole: a member of an export once uncompressed (users.json, a daily file),
    #: a CSV or JSONL profiles file. 64 MiB is far above real ones (a daily file is kilobytes, users.json
    #: ~2 KiB a person) and keeps one parse well under a gigabyte of memory.
    max_file_bytes: int = 64 * MIB
    #: All the members of one export once uncompressed, declared and actually read; a JSONL
    #: history file, read line by line (never whole).
    max_export_bytes: int = 2048 * MIB
    #: Files in one export (the zip's directory is parsed before anything else).
    max_members: int = 1_000_000
    #: One line of a JSONL file: one thread with all its replies.
    max_line_bytes: int = 4 * MIB
    #: Nesting of JSON arrays and objects; a Slack message needs 4 levels, JSONL 5.
    max_json_depth: int = 64


DEFAULT_LIMITS = ImportLimits()


class LimitExceeded(ValueError):
    """The input is over a limit or unsafe; ``str(e)`` says which, shortly."""


def too_big(size: int, limit: int, what: str = "file") -> LimitExceeded:
    return LimitExceeded(f"{what} too large ({size_text(size)}; the limit is {size_text(limit)})")


def size_text(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB else f"{size} bytes"


# --------------------------------------------------------------------------- JSON depth

# A JSON string (escapes included): brackets inside it are text, not nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def check_json_depth(data: bytes, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth`` before :func:`json.loads` builds any of it.

    Python's parser recurses once per level: 100,000 ``[`` raise RecursionError after building
    a deep structure. This check runs at C speed: drop strings, keep brackets, refuse a run of
    more than ``max_depth`` openers, then remove the innermost empty pairs, ``[]`` then ``{}``,
    ``max_depth`` times: what is left is deeper. A round removes one or two levels, so what is
    refused is always deeper than ``max_depth``; some JSON up to twice as deep may pass, which
    the parser's own stack (about 1,000 levels) takes easily. Unbalanced brackets are left for
    the parser to report as invalid JSON.
    """
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # fewer openers in all than the limit, strings included: it cannot be deeper
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    deeper = LimitExceeded(f"JSON nested deeper than {max_depth} levels")
    if b"[" * (max_depth + 1) in brackets or b"{" * (max_depth + 1) in brackets:
        raise deeper
    for _ in range(max_depth):
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if shorter == brackets:
            return  # empty, or only unbalanced brackets left: not deeper
        brackets = shorter
    if brackets.replace(b"[]", b"").replace(b"{}", b"") != brackets:
        raise deeper


def parse_json(data: bytes, max_depth: int) -> object:
    """:func:`json.loads` of ``data``, UTF-8 text (a leading BOM is allowed), after
    :func:`check_json_depth`, every string (keys too) as :func:`clean_text` makes it;
    JSONDecodeError and UnicodeDecodeError pass through for the caller to word with the file's
    name. Decoded here, strictly: json.loads of bytes would take NUL-laden junk for UTF-16."""
    text = data.decode("utf-8-sig")
    check_json_depth(data, max_depth)
    try:
        value = json.loads(text)
    except RecursionError:  # a backstop: the check above counts brackets, not the parser's stack
        raise LimitExceeded(f"JSON nested deeper than {max_depth} levels") from None
    # Every string is clean_text already unless the line escapes a character: strict UTF-8 holds
    # no lone surrogate, and the parser takes no raw NUL in a string. Then keys and values are
    # cleaned here, once, so that readers need not clean each string they take.
    return _cleaned(value) if "\\u" in text else value


def _cleaned(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value


# --------------------------------------------------------------------------- archive members


def check_member_name(name: str) -> None:
    """Member names are only read, never extracted, but one climbing out of the archive (an
    absolute path, ``..``, a drive letter) says the archive was built to hurt: refuse it."""
    if "\x00" in name:
        raise LimitExceeded("unsafe member name (NUL character)")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"[A-Za-z]:", posix):
        raise LimitExceeded("unsafe member name (absolute path)")
    if ".." in PurePosixPath(posix).parts:
        raise LimitExceeded("unsafe member name (path traversal)")


def is_symlink_mode(external_attr: int) -> bool:
    """A zip member stored by a Unix zip as a symbolic link (its mode in the high 16 bits)."""
    return stat.S_ISLNK(external_attr >> 16)


# --------------------------------------------------------------------------- text


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Text that every database stores: lone UTF-16 surrogates (``"\\ud800"`` is valid JSON)
    become U+FFFD and NUL characters are dropped (PostgreSQL text cannot hold them)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _SURROGATE.sub("\ufffd", value)
    return value


def known_timezone(name: str) -> bool:
    """An IANA zone name the bot can use later (ZoneInfo raises OSError for a very long one)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
