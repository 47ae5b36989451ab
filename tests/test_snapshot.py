"""The index snapshot (bot.matching.snapshot): a process that loads it ranks exactly as one that
built its indexes from the tables, whatever was added, removed or erased after it was saved;
and a snapshot that does not fit — another database, other settings, a corrupt file — is ignored."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.shared import DEV_DATA
from bot.chat.context import Services
from bot.matching import snapshot
from skills_db.importers.history import import_archive
from skills_db.importers.model import HistoryArchive
from skills_db.importers.read import read_history
from skills_db.storage.feed import ChangeKind, Gap, record_change
from skills_db.storage.models import ClaimSource, HelpReply
from tests.support import make_services

AT = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)  # after every thread of the export


class Monotonic:
    """A matcher's clock (seconds), moved by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def services_for(url: str, clock: Monotonic | None = None) -> Services:
    services = make_services(url, clock=lambda: AT, routing={"mode": "suggest"})
    if clock is not None:
        services.matcher._clock = clock
    return services


def part(archive: HistoryArchive, threads: slice) -> HistoryArchive:
    return dataclasses.replace(archive, threads=archive.threads[threads])


def ranking(services: Services, texts: list[str]) -> list[list[tuple[int, float, bool, tuple[str, ...]]]]:
    """For each need: every candidate, its score, whether demonstrated, and its reasons."""
    result = []
    for text in texts:
        skills = services.matcher.recognise(text)
        match = services.matcher.rank(text, skills, None, AT)
        result.append(
            [
                (
                    c.person_id,
                    c.score,
                    c.demonstrated,
                    tuple(f"{r.key}:{sorted(r.values.items())}" for r in c.reasons),
                )
                for c in match.candidates
            ]
        )
    return result


def test_a_loaded_snapshot_ranks_as_the_process_that_saved_it_would(
    database_url: str, tmp_path: Path
) -> None:
    archive = read_history(DEV_DATA / "se-coffee.zip")
    half = len(archive.threads) // 2
    first = services_for(database_url, Monotonic(1000.0))
    import_archive(first.store, part(archive, slice(0, half)), first.matcher.recognise)
    first.matcher.refresh()
    path = tmp_path / "entraide.index"
    identity = snapshot.database_identity(first.store)
    assert snapshot.save(first.matcher, path, identity)
    texts = [t.root.text for t in archive.threads[half - 15 : half + 15]]
    before = ranking(first, texts)
    helpers = [c.person_id for c in first.matcher.rank(texts[0], [], None, AT).candidates]
    assert len(helpers) >= 3

    # After the snapshot: more threads, someone erased, a thread whose reply was deleted.
    import_archive(first.store, part(archive, slice(half, None)), first.matcher.recognise)
    first.store.forget_person(helpers[0], "")
    with first.store.session() as session:
        reply = session.execute(
            sa.select(HelpReply.id, HelpReply.thread_id).where(HelpReply.person_id == helpers[1]).limit(1)
        ).one()
        session.execute(sa.delete(HelpReply).where(HelpReply.id == reply.id))
        record_change(session, ChangeKind.THREAD_CHANGED, thread_id=reply.thread_id)

    loaded = services_for(database_url, Monotonic(50.0))  # another process: another clock
    assert snapshot.load(loaded.matcher, path, identity)
    # Removed threads still count in the text index's statistics (see bot.matching.text_index),
    # so the reference is the process that saved the snapshot, going on: not a fresh build.
    after = ranking(first, texts)
    assert ranking(loaded, texts) == after
    assert after != before  # what changed after the snapshot changed the rankings
    assert all(helpers[0] not in [c[0] for c in need] for need in after)
    # Both go on following the database alike.
    first.store.forget_person(helpers[2], "")
    assert ranking(loaded, texts) == ranking(first, texts)


def test_with_rows_added_since_a_loaded_snapshot_ranks_as_a_fresh_build(
    database_url: str, tmp_path: Path
) -> None:
    archive = read_history(DEV_DATA / "se-coffee.zip")
    half = len(archive.threads) // 2
    first = services_for(database_url, Monotonic(1000.0))
    import_archive(first.store, part(archive, slice(0, half)), first.matcher.recognise)
    path = tmp_path / "entraide.index"
    assert snapshot.keep(first.matcher, first.store, path)
    import_archive(first.store, part(archive, slice(half, None)), first.matcher.recognise)
    declared = first.store.person_for("console", "newcomer", "Newcomer").id
    assert declared is not None
    first.store.add_claim(declared, "Coffee", ClaimSource.DECLARED)
    first.store.add_claim(declared, "Espresso", ClaimSource.DECLARED)
    first.store.remove_declared(declared, "Espresso")

    loaded = services_for(database_url)
    assert snapshot.restore(loaded.matcher, loaded.store, path)
    texts = [t.root.text for t in archive.threads[half - 15 : half + 15]] + ["espresso machine descaling"]
    assert ranking(loaded, texts) == ranking(services_for(database_url), texts)


def test_gaps_are_kept_relative_to_the_clock(sqlite_url: str, tmp_path: Path) -> None:
    clock = Monotonic(10_000.0)
    first = services_for(sqlite_url, clock)
    import_archive(first.store, read_history(DEV_DATA / "se-coffee.zip"), first.matcher.recognise)
    first.matcher.refresh()
    # Ids 1-4 and 6-8 were missing when read, just now (their transactions still running).
    first.matcher._threads.gaps = [Gap(1, 4, 10_000.0), Gap(6, 8, 10_000.0)]
    clock.now = 10_100.0
    path = tmp_path / "x.index"
    assert snapshot.save(first.matcher, path, snapshot.database_identity(first.store))
    second = services_for(sqlite_url, Monotonic(3.0))
    assert snapshot.load(second.matcher, path, snapshot.database_identity(second.store))
    gaps = second.matcher._threads.gaps
    assert [(g.low, g.high) for g in gaps] == [(1, 4), (6, 8)]
    assert [g.since for g in gaps] == [-97.0, -97.0]  # seen 100 s before the save, as now


def test_a_snapshot_that_does_not_fit_is_ignored(sqlite_url: str, tmp_path: Path) -> None:
    services = services_for(sqlite_url)
    import_archive(services.store, read_history(DEV_DATA / "se-coffee.zip"), services.matcher.recognise)
    services.matcher.refresh()
    path = tmp_path / "x.index"
    identity = snapshot.database_identity(services.store)
    assert snapshot.database_identity(services.store) == identity  # generated once
    assert snapshot.save(services.matcher, path, identity)

    assert not snapshot.load(services_for(sqlite_url).matcher, path, "another database")
    other = make_services(sqlite_url, clock=lambda: AT, matching={"text_weight": 2.0})
    assert not snapshot.load(other.matcher, path, identity)
    later = services_for(sqlite_url)
    assert not snapshot.load(
        later.matcher, path, identity, now=lambda: AT + snapshot.MAX_AGE + timedelta(days=1)
    )
    truncated = tmp_path / "truncated.index"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert not snapshot.load(services_for(sqlite_url).matcher, truncated, identity)
    (tmp_path / "junk.index").write_bytes(b"not a pickle at all")
    assert not snapshot.load(services_for(sqlite_url).matcher, tmp_path / "junk.index", identity)
    assert not snapshot.load(services_for(sqlite_url).matcher, tmp_path / "missing.index", identity)
    # Ignored means built from the tables: the same ranking as with the snapshot.
    fresh, used = services_for(sqlite_url), services_for(sqlite_url)
    assert snapshot.load(used.matcher, path, identity)
    texts = ["espresso grind size for a moka pot", "cold brew ratio"]
    assert ranking(used, texts) == ranking(fresh, texts)


def test_where_the_snapshot_goes() -> None:
    assert snapshot.snapshot_path("sqlite:///var/entraide.db") == Path("var/entraide.db.index")
    assert snapshot.snapshot_path("sqlite:////srv/e.db", "") == Path("/srv/e.db.index")
    assert snapshot.snapshot_path("sqlite:///:memory:") is None
    assert snapshot.snapshot_path("postgresql://db/entraide") is None
    assert snapshot.snapshot_path("postgresql://db/entraide", "/var/cache/e.index") == Path(
        "/var/cache/e.index"
    )


@pytest.mark.parametrize("corrupt", [b"", b"\x80\x05garbage"])
def test_a_corrupt_snapshot_never_raises(sqlite_url: str, tmp_path: Path, corrupt: bytes) -> None:
    path = tmp_path / "c.index"
    path.write_bytes(corrupt)
    services = services_for(sqlite_url)
    assert not snapshot.restore(services.matcher, services.store, path)
    assert services.matcher.rank("anything", [], None, AT).candidates == ()


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "ENTRAIDE_DATABASE_URL": url},
    )


def test_import_history_leaves_a_snapshot_that_match_starts_from(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/e.db"
    imported = run_cli("import-history", str(DEV_DATA / "se-coffee.zip"), url=url)
    assert imported.returncode == 0, imported.stderr
    assert "\r[" not in imported.stderr  # no progress bar when stderr is not a terminal
    index = tmp_path / "e.db.index"
    assert index.exists()
    need = "which grinder for espresso at home"
    warm = run_cli("match", need, "--json", "--log-level", "INFO", url=url)
    assert "index snapshot loaded" in warm.stderr, warm.stderr
    index.unlink()
    cold = run_cli("match", need, "--json", "--log-level", "INFO", url=url)
    assert "index snapshot not used" in cold.stderr and index.exists()  # built, then saved
    without_time = [json.loads(out.stdout) for out in (warm, cold)]
    for result in without_time:
        result.pop("elapsed_ms")
    assert without_time[0] == without_time[1] and without_time[0]["candidates"]


def test_the_built_vocabulary_is_kept_and_built_again_when_the_stored_skills_change(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = sqlite_url.split("///", 1)[1]
    services = services_for(sqlite_url)
    services.store.add_skill("Walk-in freezer repair", ["freezer repair"])
    assert snapshot.keep(services.matcher, services.store, Path(db + ".index"))
    cache = Path(db + ".index.vocabulary")
    assert cache.exists()
    again = services_for(sqlite_url)
    assert again.taxonomy.canonical("freezer repair") == "Walk-in freezer repair"
    assert again.matcher.recognise("our freezer repair guy left") == ["Walk-in freezer repair"]
    services.store.add_skill("Ice machine descaling", [])  # after the cache was written
    later = services_for(sqlite_url)
    assert later.taxonomy.canonical("ice machine descaling") == "Ice machine descaling"
    cache.write_bytes(b"garbage")
    assert services_for(sqlite_url).taxonomy.canonical("freezer repair") == "Walk-in freezer repair"
