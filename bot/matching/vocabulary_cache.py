"""The built vocabulary kept beside the index snapshot, so that a process starts without
building it again (seconds with tens of thousands of stored skills).

The configured vocabulary and the database's stored skills are what the vocabulary is built
from (:func:`bot.services.build_services`): the cache holds the result under a hash of all of them —
the bundled skills file, the configured vocabulary files, the stored skills and aliases, and the
code that builds it. Anything else (no file, another hash, an unreadable file) builds it as
before. Like the index snapshot, a file the bot writes for itself (a pickle), atomically.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from skills_db.importers.collector import collector_paused
from skills_db.storage.curation import StoredSkill
from skills_db.vocabulary.taxonomy import Taxonomy
from skills_db.vocabulary.terms import known_stopwords, stopwords

VERSION = 2  # 2: the stopwords saved too
SOURCES = (
    Path(__file__).resolve().parent / "vocabulary.py",
    *sorted((Path(__file__).resolve().parents[2] / "skills_db" / "vocabulary").glob("*.py")),
)

log = logging.getLogger("entraide.matching")


def cache_path(snapshot: Path | None) -> Path | None:
    return None if snapshot is None else Path(str(snapshot) + ".vocabulary")


def vocabulary_key(files: Sequence[str], stored: Sequence[StoredSkill]) -> str:
    """What the vocabulary is built from: files, stored skills, and the code."""
    digest = hashlib.sha256(f"vocabulary {VERSION}".encode())
    bundled = resources.files("skills_db.vocabulary").joinpath("data", "skills.jsonl")
    digest.update(bundled.read_bytes())
    for source in SOURCES:
        digest.update(source.read_bytes())
    for name in files:
        try:
            digest.update(Path(name).read_bytes())
        except OSError:
            digest.update(f"missing {name}".encode())  # the build itself reports it
    digest.update(repr(list(stored)).encode())
    return digest.hexdigest()


def load(path: Path | None, key: str) -> tuple[Taxonomy, Taxonomy] | None:
    """(configured, with the stored skills) as saved under ``key``; None when not there."""
    if path is None:
        return None
    try:
        with path.open("rb") as stream:
            saved_key = pickle.load(stream)
            if saved_key != key:
                return None
            with collector_paused():  # many new objects, none garbage: collecting only costs
                base, taxonomy, words = pickle.load(stream)
    except FileNotFoundError:
        return None
    except Exception as error:  # truncated or corrupt: built again
        log.info("vocabulary cache not used", extra={"reason": type(error).__name__})
        return None
    if not isinstance(base, Taxonomy) or not isinstance(taxonomy, Taxonomy):
        return None
    if isinstance(words, frozenset):  # the key covers the bundled vocabulary and this code
        known_stopwords(words)
    return base, taxonomy


def saved_key(path: Path) -> str | None:
    """The key of the vocabulary saved at ``path`` (without reading the rest)."""
    try:
        with path.open("rb") as stream:
            key = pickle.load(stream)
    except Exception:  # missing, truncated, corrupt: nothing usable is saved
        return None
    return key if isinstance(key, str) else None


def save(path: Path | None, key: str, base: Taxonomy, taxonomy: Taxonomy) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(key, out, protocol=pickle.HIGHEST_PROTOCOL)
                # The stopwords too: knowing them means building the bundled vocabulary.
                pickle.dump((base, taxonomy, stopwords()), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError) as error:
        log.warning("vocabulary cache not saved", extra={"error": type(error).__name__})
