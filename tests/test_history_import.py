"""Importing history and profiles into the database, and `entraide match` on the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.shared import DEV_DATA
from skills_db.importers.history import import_archive
from skills_db.importers.read import read_history
from skills_db.storage.models import HelpReply, HelpThread, Identity, Person, SkillClaim
from skills_db.storage.store import Store
from tests.support import make_services

DEV = DEV_DATA
EXPORTS = sorted(DEV.glob("*.zip"))
TABLES = (Person, Identity, HelpThread, HelpReply, SkillClaim)


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.__name__: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES
        }


def test_dev_exports_are_present() -> None:
    assert len(EXPORTS) >= 2, f"no dev exports in {DEV}"


@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.stem)
def test_import_every_dev_export(export: Path, sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    archive = read_history(export)
    report = import_archive(services.store, archive, services.matcher.recognise)
    solved = sum(1 for t in archive.threads if t.solved_by)
    replies = sum(1 for t in archive.threads for r in t.replies if r.author != t.root.author)
    authors = {t.root.author for t in archive.threads} | {
        r.author for t in archive.threads for r in t.replies
    }
    assert (report.threads, report.solved_threads, report.replies) == (len(archive.threads), solved, replies)
    stored = counts(services.store)
    assert stored["HelpThread"] == len(archive.threads)
    assert stored["HelpReply"] == replies
    assert stored["Person"] >= len(authors - {u for u, user in archive.users.items() if user.is_bot})
    with services.store.engine.connect() as conn:
        solved_rows = (
            sa.select(sa.func.count()).select_from(HelpThread).where(sa.column("solved_by_id").is_not(None))
        )
        assert conn.execute(solved_rows).scalar_one() == solved
    if archive.threads:
        assert stored["SkillClaim"] > 0  # the recognised skills of answered threads


def test_reimport_changes_nothing(database_url: str) -> None:
    services = make_services(database_url)
    archive = read_history(DEV / "se-coffee.zip")
    import_archive(services.store, archive, services.matcher.recognise)
    before = counts(services.store)
    again = import_archive(services.store, archive, services.matcher.recognise)
    assert (again.threads, again.people, again.claims, again.skipped_threads) == (
        0,
        0,
        0,
        len(archive.threads),
    )
    assert counts(services.store) == before


def test_a_failure_while_writing_saves_nothing(sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    archive = read_history(DEV / "se-coffee.zip")
    calls = []

    def recognise(text: str) -> list[str]:
        calls.append(text)
        if len(calls) > 50:
            raise RuntimeError("disk full")
        return services.matcher.recognise(text)

    with pytest.raises(RuntimeError):
        import_archive(services.store, archive, recognise)
    assert counts(services.store) == dict.fromkeys(counts(services.store), 0)


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "ENTRAIDE_DATABASE_URL": url},
    )


def test_a_broken_export_names_file_and_record_and_imports_nothing(tmp_path: Path, sqlite_url: str) -> None:
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(DEV / "se-coffee.zip") as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "ask-coffee/2015-02-03.json":
                messages = json.loads(data)
                del messages[2]["ts"]
                data = json.dumps(messages).encode()
            target.writestr(item, data)
    result = run_cli("import-history", str(broken), url=sqlite_url)
    assert result.returncode == 1
    assert f"{broken}:ask-coffee/2015-02-03.json record 2: missing 'ts'" in result.stderr
    assert "nothing was imported" in result.stderr
    assert counts(Store.open(sqlite_url))["HelpThread"] == 0


def test_match_batch_replays_needs_in_time_order_within_caps(tmp_path: Path, sqlite_url: str) -> None:
    assert run_cli("import-history", str(DEV / "se-coffee.zip"), url=sqlite_url).returncode == 0
    archive = read_history(DEV / "se-coffee.zip")
    queries = tmp_path / "needs.jsonl"
    last = archive.threads[-12:]
    with open(queries, "w", encoding="utf-8") as handle:
        for thread in reversed(last):  # out of order on purpose
            handle.write(
                json.dumps(
                    {
                        "id": thread.thread_id,
                        "text": thread.root.text,
                        "asker": thread.root.author,
                        "created": thread.root.posted_at.isoformat(),
                    }
                )
                + "\n"
            )
    result = run_cli("match", "--batch", str(queries), "--json", url=sqlite_url)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [t.thread_id for t in last]
    for line, thread in zip(lines, last, strict=True):
        assert set(line) == {"id", "skills", "candidates", "route", "waiting", "elapsed_ms"}
        assert set(line["waiting"]) <= set(line["route"])  # asked later, when back: part of the route
        handles = [next(iter(c["handles"].values())) for c in line["candidates"]]
        assert thread.root.author not in handles  # never the asker
        assert all(c["reasons"] and c["name"] for c in line["candidates"])
        assert len(line["route"]) <= 3
    asked: dict[str, int] = {}
    for line in lines:  # the 12 needs span less than a week: the cap holds over the batch
        for handle in line["route"]:
            asked[handle] = asked.get(handle, 0) + 1
    span = last[-1].root.posted_at - last[0].root.posted_at
    if span.days < 7:
        assert max(asked.values()) <= 3


def test_match_single_text_prints_a_ranking(sqlite_url: str) -> None:
    assert run_cli("import-history", str(DEV / "se-coffee.zip"), url=sqlite_url).returncode == 0
    result = run_cli(
        "match", "how fine should I grind for espresso?", "--json", "--limit", "3", url=sqlite_url
    )
    data = json.loads(result.stdout)
    assert "Espresso" in data["skills"]
    assert len(data["candidates"]) == 3 and data["candidates"][0]["reasons"]


def test_import_profiles_csv_and_jsonl(tmp_path: Path, sqlite_url: str) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        'handle,name,skills,languages,timezone\nU1,Alice,"Terraform; k8s",fr,Europe/Paris\nU2,Bob,SQL,en,\n',
        "utf-8",
    )
    assert run_cli("import-profiles", str(csv_file), url=sqlite_url).returncode == 0
    jsonl = tmp_path / "people.jsonl"
    jsonl.write_text(
        json.dumps(
            {"handle": "U3", "name": "Chloé", "skills": ["gestion de projet"], "tz": "America/Montreal"}
        )
        + "\n",
        "utf-8",
    )
    assert run_cli("import-profiles", str(jsonl), url=sqlite_url).returncode == 0
    store = Store.open(sqlite_url)
    alice = store.find_person("slack", "U1")
    assert alice is not None and (alice.language, alice.timezone) == ("fr", "Europe/Paris")
    assert {c.skill for c in store.claims([alice.id or 0])} == {"Terraform", "Kubernetes"}
    chloe = store.find_person("slack", "U3")
    assert chloe is not None and {c.skill for c in store.claims([chloe.id or 0])} == {"Project management"}


def test_a_broken_profile_file_names_the_line_and_imports_nothing(tmp_path: Path, sqlite_url: str) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "handle,name,skills,languages,timezone\nU1,Alice,SQL,en,\nU2,Bob,SQL,en,Mars/Olympus\n", "utf-8"
    )
    result = run_cli("import-profiles", str(csv_file), url=sqlite_url)
    assert result.returncode == 1
    assert f"{csv_file} line 3: unknown time zone 'Mars/Olympus'" in result.stderr
    assert Store.open(sqlite_url).find_person("slack", "U1") is None


def test_recurring_phrases_of_answered_threads_join_the_vocabulary(sqlite_url: str) -> None:
    from bot.app import build_services, vocabulary
    from bot.config import config_from_dict
    from skills_db.importers.history import import_history

    config = config_from_dict({"database": {"url": sqlite_url}})
    store = Store.open(sqlite_url)
    archive = read_history(DEV / "se-beer.zip")
    report, learned = import_history(store, archive, vocabulary(config, store))
    assert learned and report.claims > 0
    phrase = "brewing process" if "brewing process" in learned else learned[0]
    services = build_services(config, store)  # a restart: the learned terms come from the database
    assert services.matcher.recognise(f"question about the {phrase} at home") == [phrase]
    claims = store.claims(skills=[phrase])
    assert claims and {c.source for c in claims} == {"imported"}
