"""`entraide import-profiles`: people from a directory export (CSV or JSONL).

Columns/keys: handle (required), name, skills, languages, timezone (or tz). In CSV, several
skills or languages are separated by ";" (or "," inside a quoted field). Every record is checked
before anything is written; one bad record names the file and the record, and nothing is saved.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def read_profiles(path: str | Path, canonical: Callable[[str], str | None]) -> list[Profile]:
    where = str(path)
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            if where.lower().endswith((".jsonl", ".ndjson")):
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            obj = json.loads(line)
                        except json.JSONDecodeError as error:
                            raise HistoryFileError(
                                where, str(number), f"not JSON ({error.msg})", kind="line"
                            ) from None
                        if not isinstance(obj, dict):
                            raise HistoryFileError(where, str(number), "not a JSON object", kind="line")
                        rows.append((f"line {number}", obj))
            else:
                for number, record in enumerate(csv.DictReader(handle), 2):
                    rows.append((f"line {number}", dict(record)))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise HistoryFileError(where, "", str(error)) from None
    return [_profile(where, label, obj, canonical) for label, obj in rows]


def _profile(where: str, label: str, obj: dict[str, Any], canonical: Callable[[str], str | None]) -> Profile:
    def fail(reason: str) -> HistoryFileError:
        return HistoryFileError(where, label.removeprefix("line "), reason, kind="line")

    handle = str(obj.get("handle") or "").strip()
    if not handle:
        raise fail("missing 'handle'")
    skills = _split(obj.get("skills"))
    languages = [lang.lower() for lang in _split(obj.get("languages"))]
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    language = next((lang for lang in languages if lang in LANGUAGES), None)
    if languages and language is None:
        raise fail(f"no supported language in {unknown} (en, fr)")
    timezone = str(obj.get("timezone") or obj.get("tz") or "").strip() or None
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail(f"unknown time zone {timezone!r}") from None
    names = tuple(dict.fromkeys(canonical(s) or s for s in skills if len(s) <= 60))
    return Profile(handle, str(obj.get("name") or handle).strip(), names, language, timezone)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(",", ";").split(";")
    return [str(item).strip() for item in items if str(item).strip()]


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
