"""`entraide import-profiles`: people from a directory export (CSV or JSONL).

Columns/keys: handle (required), name, skills, languages, timezone (or tz). In CSV, several
skills or languages are separated by ";" (or "," inside a quoted field). Every record is checked
before anything is written; one bad record names the file and the record, and nothing is saved.
Files over the limits of :mod:`skills_db.importers.limits` are refused before they are read.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from skills_db.importers.files import check_regular_file
from skills_db.importers.limits import (
    DEFAULT_LIMITS,
    ImportLimits,
    LimitExceeded,
    clean_text,
    known_timezone,
    parse_json,
    size_text,
)
from skills_db.importers.model import HistoryFileError
from skills_db.storage.models import ClaimSource
from skills_db.storage.store import Store

LANGUAGES = {"en", "fr"}


@dataclass(frozen=True)
class Profile:
    handle: str
    name: str
    skills: tuple[str, ...]
    language: str | None
    timezone: str | None


def read_profiles(
    path: str | Path, canonical: Callable[[str], str | None], limits: ImportLimits = DEFAULT_LIMITS
) -> list[Profile]:
    """Every profile of the file, or HistoryFileError naming the file and the line."""
    where = str(path)
    check_regular_file(Path(path), limits.max_file_bytes)
    if where.lower().endswith((".jsonl", ".ndjson")):
        rows = _jsonl_rows(Path(path), where, limits)
    else:
        rows = _csv_rows(Path(path), where)
    return [_profile(where, number, obj, canonical) for number, obj in rows]


def _jsonl_rows(path: Path, where: str, limits: ImportLimits) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    with _open(path, where) as handle:
        number = 0
        while raw := handle.readline(limits.max_line_bytes + 1):
            number += 1
            if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                reason = f"line longer than the limit of {size_text(limits.max_line_bytes)}"
                raise HistoryFileError(where, str(number), reason, kind="line")
            if not raw.strip():
                continue
            try:
                obj = parse_json(raw, limits.max_json_depth)
            except json.JSONDecodeError as error:
                raise HistoryFileError(where, str(number), f"not JSON ({error.msg})", kind="line") from None
            except UnicodeDecodeError as error:
                raise HistoryFileError(
                    where, str(number), f"not UTF-8 text: {error.reason}", kind="line"
                ) from None
            except LimitExceeded as error:
                raise HistoryFileError(where, str(number), str(error), kind="line") from None
            if not isinstance(obj, dict):
                raise HistoryFileError(where, str(number), "not a JSON object", kind="line")
            rows.append((number, obj))
    return rows


def _csv_rows(path: Path, where: str) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    with _open(path, where) as binary:
        reader = csv.DictReader(_utf8_lines(binary, where))
        try:
            for record in reader:
                rows.append((reader.line_num, dict(record)))
        except csv.Error as error:  # a NUL byte, a field over csv's 128 KiB limit
            raise HistoryFileError(where, str(reader.line_num), str(error), kind="line") from None
    return rows


def _utf8_lines(binary: IO[bytes], where: str) -> Iterator[str]:
    """The file's lines, decoded one by one so that bad UTF-8 names its own line (a text
    wrapper decodes ahead, by blocks). Kept with their line endings, as csv wants them."""
    for number, raw in enumerate(binary, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise HistoryFileError(
                where, str(number), f"not UTF-8 text: {error.reason}", kind="line"
            ) from None


def _open(path: Path, where: str) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as error:
        raise HistoryFileError(where, "", f"cannot read: {error.strerror or error}") from None


def _profile(where: str, number: int, obj: dict[str, Any], canonical: Callable[[str], str | None]) -> Profile:
    def fail(reason: str) -> HistoryFileError:
        return HistoryFileError(where, str(number), reason, kind="line")

    handle = _value(obj.get("handle"))
    if not handle:
        raise fail("missing 'handle'")
    skills = [skill for skill in _split(obj.get("skills")) if _has_words(skill)]
    languages = [lang.lower() for lang in _split(obj.get("languages"))]
    unknown = [lang[:20] for lang in languages if lang not in LANGUAGES][:5]
    language = next((lang for lang in languages if lang in LANGUAGES), None)
    if languages and language is None:
        raise fail(f"no supported language in {unknown} (en, fr)")
    timezone = _value(obj.get("timezone") or obj.get("tz")) or None
    if timezone and not known_timezone(timezone):
        raise fail(f"unknown time zone {timezone[:60]!r}")
    names = tuple(dict.fromkeys(canonical(s) or s for s in skills if len(s) <= 60))
    return Profile(handle, _value(obj.get("name")) or handle, names, language, timezone)


def _value(value: Any) -> str:
    """A field as text: a JSON number is written as such, an object or a list is not a value."""
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(clean_text(str(value)).split())


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(",", ";").split(";")
    return [text for text in (_value(item) for item in items) if text]


def _has_words(text: str) -> bool:
    """A skill says something: a letter or a digit, not only punctuation or emoji."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def import_profiles(
    store: Store, profiles: list[Profile], platform: str, *, erasure_salt: str = ""
) -> tuple[int, int]:
    """Create or update the people; their skills count as declared. Returns how many profiles
    were imported, and how many were skipped because their person asked to be forgotten
    (``erasure_salt``: the configured ``[privacy] erasure_salt``, "" for the database's)."""
    erased = {
        handle
        for handle in store.erased_handles(erasure_salt, platform, [p.handle for p in profiles])
        if store.find_person(platform, handle) is None
    }
    imported = 0
    for profile in profiles:
        if profile.handle in erased:
            continue
        imported += 1
        person = store.person_for(platform, profile.handle, profile.name)
        assert person.id is not None
        changes: dict[str, Any] = {"name": profile.name}
        if profile.language:
            changes["language"] = profile.language
        if profile.timezone:
            changes["timezone"] = profile.timezone
        store.update_person(person.id, **changes)
        for skill in profile.skills:
            store.add_claim(person.id, skill, ClaimSource.DECLARED, ref="profile-import")
    return imported, len(profiles) - imported
