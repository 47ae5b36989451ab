"""Hostile files are refused with a short message naming the file, in bounded memory.

Zip bombs (declared and lying sizes), member names climbing out of the archive, symbolic
links, 100 MB files, JSON nested 100,000 levels deep, overlong JSONL lines, binary junk and
invalid UTF-8: through the readers, `entraide import-history` / `import-profiles` and the
chat's `admin import-history`. Nothing is written. Peak memory is measured in a subprocess.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.jobs import MovableClock
from skills_db.importers.limits import DEFAULT_LIMITS, ImportLimits, check_json_depth
from skills_db.importers.model import HistoryFileError
from skills_db.importers.profiles import read_profiles
from skills_db.importers.read import read_history
from skills_db.storage.models import HelpReply, HelpThread, Identity, Person, SkillClaim, Thanks
from tests.support import make_services

MIB = 1024 * 1024
DEEP = b"[" * 100_000 + b"]" * 100_000
USERS = json.dumps([{"id": "U1", "name": "ana"}]).encode()
CHANNELS = json.dumps([{"id": "C1", "name": "general"}]).encode()
DAY = json.dumps(
    [{"ts": "1700000000.000100", "user": "U1", "text": "hi", "thread_ts": "1700000000.000100"}]
).encode()
IMPORTED = (Person, Identity, HelpThread, HelpReply, SkillClaim, Thanks)


def export_zip(path: Path, extra: dict[str, bytes] | None = None, *, level: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        members = {"users.json": USERS, "channels.json": CHANNELS, "general/2023-11-14.json": DAY}
        for name, data in (members | (extra or {})).items():
            archive.writestr(name, data)
    return path


def zip_bomb(path: Path, size: int = 100 * MIB) -> Path:
    """A ~100 KB zip whose users.json unpacks to ``size`` bytes of spaces (valid JSON padding)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("channels.json", CHANNELS)
        with archive.open("users.json", "w", force_zip64=True) as member:
            block = b" " * MIB
            for _ in range(size // MIB):
                member.write(block)
    return path


def lying_zip(path: Path) -> Path:
    """A zip bomb whose headers claim users.json is 1,000 bytes: only reading tells."""
    zip_bomb(path, 80 * MIB)
    data = path.read_bytes()
    true_size = struct.pack("<I", 80 * MIB)
    assert true_size in data
    path.write_bytes(data.replace(true_size, struct.pack("<I", 1000)))
    return path


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {
                t.__name__: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in IMPORTED
            }
    finally:
        engine.dispose()


def refused(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(HistoryFileError) as caught:
        read_history(path, limits)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message and len(message) < 300, message
    return message


# --------------------------------------------------------------------------- archives


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    bomb = zip_bomb(tmp_path / "bomb.zip")
    assert bomb.stat().st_size < MIB  # 100 MiB once unpacked
    assert (
        refused(bomb)
        == f"{bomb}:users.json: member (uncompressed) too large (100.0 MiB; the limit is 64.0 MiB)"
    )


def test_a_zip_lying_about_its_sizes_is_refused_while_reading(tmp_path: Path) -> None:
    liar = lying_zip(tmp_path / "liar.zip")
    message = refused(liar)
    assert message.startswith(f"{liar}:users.json: "), message
    # zipfile stops at the declared size and the CRC then fails, or our count stops it first.
    assert "too large" in message or "cannot read" in message, message


def test_an_export_too_large_in_total_is_refused_before_reading(tmp_path: Path) -> None:
    days = {f"general/2023-11-{day:02d}.json": b" " * 400_000 + DAY for day in range(10, 20)}
    path = export_zip(tmp_path / "many.zip", days)
    limits = ImportLimits(max_export_bytes=2 * MIB)
    assert refused(path, limits) == f"{path}: export (uncompressed) too large (3.8 MiB; the limit is 2.0 MiB)"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/cron.d/evil.json", "path traversal"),
        ("general/../../outside.json", "path traversal"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\evil.json", "absolute path"),
    ],
)
def test_unsafe_member_names_refuse_the_archive(tmp_path: Path, name: str, why: str) -> None:
    path = export_zip(tmp_path / "unsafe.zip", {name: b"[]"})
    assert refused(path) == f"{path}:{name}: unsafe member name ({why}); the archive is refused"


def test_a_symbolic_link_in_a_zip_refuses_it(tmp_path: Path) -> None:
    path = export_zip(tmp_path / "link.zip")
    with zipfile.ZipFile(path, "a") as archive:
        link = zipfile.ZipInfo("general/2023-11-15.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert refused(path) == f"{path}:general/2023-11-15.json: symbolic link; the archive is refused"


def test_links_and_special_files_in_a_folder_export_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "general").mkdir(parents=True)
    (folder / "users.json").write_bytes(USERS)
    (folder / "channels.json").write_bytes(CHANNELS)
    (folder / "general" / "2023-11-14.json").symlink_to("/etc/passwd")
    assert refused(folder) == f"{folder}/general/2023-11-14.json: symbolic link; the folder is refused"
    (folder / "general" / "2023-11-14.json").unlink()
    (folder / "general-link").symlink_to(tmp_path, target_is_directory=True)
    assert refused(folder) == f"{folder}/general-link: symbolic link; the folder is refused"
    (folder / "general-link").unlink()
    os.mkfifo(folder / "general" / "2023-11-15.json")  # reading it would block for ever
    assert refused(folder) == f"{folder}/general/2023-11-15.json: not a regular file; the folder is refused"


def test_a_100_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "channels.json").write_bytes(CHANNELS)
    for path in (folder / "users.json", tmp_path / "huge.jsonl", tmp_path / "people.csv"):
        with path.open("wb") as handle:  # sparse: 100 MiB in no time and no disk
            handle.truncate(100 * MIB)
    limit = "too large (100.0 MiB; the limit is 64.0 MiB)"
    assert refused(folder) == f"{folder}/users.json: file {limit}"
    with pytest.raises(HistoryFileError, match=f"^{tmp_path}/people.csv: file too large"):
        read_profiles(tmp_path / "people.csv", lambda s: None)
    # A JSONL history is read line by line, never whole: bounded as a whole export (2 GiB),
    # and here refused at its first line, read no further than the line limit.
    line = "line longer than the limit of 4.0 MiB"
    assert refused(tmp_path / "huge.jsonl") == f"{tmp_path}/huge.jsonl line 1: {line}"
    with (tmp_path / "huge.jsonl").open("wb") as handle:
        handle.truncate(2049 * MIB)
    huge = "file too large (2049.0 MiB; the limit is 2048.0 MiB)"
    assert refused(tmp_path / "huge.jsonl") == f"{tmp_path}/huge.jsonl: {huge}"


def test_a_jsonl_history_over_64_mib_is_imported(tmp_path: Path) -> None:
    # The history of a large organisation: more than a file read whole may weigh.
    path = tmp_path / "big.jsonl"
    line = {
        "channel": "help",
        "root": {"author": "ana", "text": "pad " * 1000, "ts": "2024-03-01T10:00:00Z"},
        "replies": [{"author": "bob", "text": "pad " * 1000, "ts": "2024-03-01T10:05:00Z"}],
    }
    count = 65 * MIB // len(json.dumps(line)) + 1
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            line["thread_id"] = f"t{i}"
            out.write(json.dumps(line) + "\n")
    assert path.stat().st_size > 64 * MIB
    assert len(read_history(path).threads) == count


# --------------------------------------------------------------------------- JSON and text


def test_deeply_nested_json_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = export_zip(tmp_path / "deep.zip", {"general/2023-11-14.json": DEEP})
    assert refused(path) == f"{path}:general/2023-11-14.json: JSON nested deeper than 64 levels"
    unbalanced = export_zip(tmp_path / "open.zip", {"users.json": b"[" * 100_000})
    assert refused(unbalanced) == f"{unbalanced}:users.json: JSON nested deeper than 64 levels"
    jsonl = tmp_path / "deep.jsonl"
    jsonl.write_bytes(b'{"type": "user", "handle": "ana"}\n{"root": ' + DEEP + b"}\n")
    assert refused(jsonl) == f"{jsonl} line 2: JSON nested deeper than 64 levels"
    people = tmp_path / "people.jsonl"
    people.write_bytes(b'{"handle": "U1"}\n' + b'{"skills": ' + b"[" * 100_000 + b"\n")
    with pytest.raises(HistoryFileError, match=f"^{people} line 2: JSON nested deeper than 64 levels$"):
        read_profiles(people, lambda s: None)


def test_depth_limit_keeps_real_json_and_ignores_brackets_in_strings() -> None:
    check_json_depth(json.dumps({"a": [[{"b": "[[[[" * 100}]]}).encode(), 64)
    check_json_depth(b"[" * 64 + b"]" * 64, 64)
    with pytest.raises(ValueError, match="deeper than 64"):
        check_json_depth(b"[" * 65 + b"]" * 65, 64)


def test_an_overlong_jsonl_line_is_refused_without_loading_it(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"type": "user", "handle": "ana"}\n{"root": "')
        handle.truncate(50 * MIB)  # one 50 MiB line of NUL bytes, under the file limit
    assert refused(path) == f"{path} line 2: line longer than the limit of 4.0 MiB"
    people = tmp_path / "people.jsonl"
    people.write_bytes(b'{"handle": "U1"}\n' + b" " * (5 * MIB) + b"\n")
    with pytest.raises(HistoryFileError, match=f"^{people} line 2: line longer than the limit of 4.0 MiB$"):
        read_profiles(people, lambda s: None)


def test_binary_junk_and_invalid_utf8_name_the_file_and_line(tmp_path: Path) -> None:
    junk = random.Random(12).randbytes(4096)
    path = export_zip(tmp_path / "junk.zip", {"users.json": junk})
    assert refused(path).startswith(f"{path}:users.json: not UTF-8 text")
    jsonl = tmp_path / "junk.jsonl"
    jsonl.write_bytes(b'{"type": "user", "handle": "ana"}\n' + b'{"type": "user", "handle": "\xff\xfe"}\n')
    assert refused(jsonl) == f"{jsonl} line 2: not UTF-8 text: invalid start byte"
    nul = tmp_path / "nul.jsonl"
    nul.write_bytes(b"\x00\x00\x00{}\n")  # json.loads(bytes) would have guessed UTF-32
    assert refused(nul).startswith(f"{nul} line 1: invalid JSON")
    csv_file = tmp_path / "people.csv"
    csv_file.write_bytes(b"handle,name\nU1,Ana\nU2,B\xffb\n")
    with pytest.raises(HistoryFileError, match=f"^{csv_file} line 3: not UTF-8 text"):
        read_profiles(csv_file, lambda s: None)
    csv_file.write_bytes(b"handle,name\nU1,Ana\nU2,B\x00b\n")
    assert [p.name for p in read_profiles(csv_file, lambda s: None)] == [
        "Ana",
        "Bb",
    ]  # PostgreSQL takes no NUL
    not_zip = tmp_path / "junk2.zip"
    not_zip.write_bytes(junk)
    assert refused(not_zip).startswith(f"{not_zip}: not a readable zip file")


def test_a_member_name_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    path = export_zip(tmp_path / "newline.zip", {"users.json": b"{", "x\ny/2023-11-14.json": b"[]"})
    assert refused(path).startswith(f"{path}:users.json: invalid JSON: Expecting property name")
    zipped = export_zip(tmp_path / "evil.zip", {"a\n/../../evil.json": b"[]"})
    assert (
        refused(zipped)
        == f"{zipped}:a\\n/../../evil.json: unsafe member name (path traversal); the archive is refused"
    )


# --------------------------------------------------------------------------- the CLI


def cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ENTRAIDE_DATABASE_URL": url},
    )


def test_the_cli_refuses_hostile_files_in_one_line(tmp_path: Path, sqlite_url: str) -> None:
    assert cli("db", "upgrade", url=sqlite_url).returncode == 0
    before = counts(sqlite_url)
    deep = tmp_path / "deep.jsonl"
    deep.write_bytes(b'{"type": "user", "handle": "ana"}\n' * 3 + b'{"root": ' + DEEP + b"}\n")
    people = tmp_path / "people.csv"
    with people.open("wb") as handle:
        handle.truncate(100 * MIB)
    cases = [
        (("import-history", str(zip_bomb(tmp_path / "bomb.zip"))), f"{tmp_path}/bomb.zip:users.json: member"),
        (
            ("import-history", str(export_zip(tmp_path / "up.zip", {"../up.json": b"[]"}))),
            f"{tmp_path}/up.zip:../up.json",
        ),
        (("import-history", str(deep)), f"{deep} line 4: JSON nested deeper than 64 levels"),
        (("import-profiles", str(people)), f"{people}: file too large (100.0 MiB"),
    ]
    for args, expected in cases:
        result = cli(*args, url=sqlite_url)
        assert result.returncode == 1, result
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"entraide: {expected}"), result.stderr
        assert lines[0].endswith("(nothing was imported)"), result.stderr
    assert counts(sqlite_url) == before


# --------------------------------------------------------------------------- the chat


async def test_the_chat_import_answers_and_commits_nothing(database_url: str, tmp_path: Path) -> None:
    clock = MovableClock()
    services = make_services(database_url, clock.now, bot={"admins": ["console:cam"], "log_format": "text"})
    services.store.person_for("console", "cam", "cam")
    bomb = zip_bomb(tmp_path / "bomb.zip")
    deep = tmp_path / "deep.jsonl"
    deep.write_bytes(b'{"root": ' + DEEP + b"}\n")
    before = counts(database_url)
    script = f"/as cam\nadmin import-history {bomb}\n/time +1m\nadmin import-history {deep}\n/time +1m"
    out = io.StringIO()
    adapter = ConsoleAdapter(script=script.splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    text = out.getvalue()
    assert (
        f"Nothing was imported from {bomb}: {bomb}:users.json: member (uncompressed) too large "
        "(100.0 MiB; the limit is 64.0 MiB)" in text
    ), text
    assert f"Nothing was imported from {deep}: {deep} line 1: JSON nested deeper than 64 levels" in text, text
    assert counts(database_url) == before
    services.store.close()


# --------------------------------------------------------------------------- memory

MEASURE = """
import resource, subprocess, sys
child = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True, text=True)
print(child.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
print(child.stdout + child.stderr)
"""
READ = """
import sys
from skills_db.importers.model import HistoryFileError
from skills_db.importers.read import read_history
try:
    read_history(sys.argv[1])
except HistoryFileError as error:
    print(error)
    sys.exit(3)
"""


def peak_mib(path: Path) -> tuple[int, str]:
    """Max RSS of a fresh process reading ``path`` (a wrapper process, so RUSAGE_CHILDREN
    counts that one reader only, not the other subprocesses of the test session)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, READ, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    status, peak = result.stdout.split("\n", 1)[0].split()
    assert status == "3", result.stdout  # refused with HistoryFileError, nothing else
    return int(peak), result.stdout.split("\n", 1)[1].strip()


def test_refusals_take_bounded_memory(tmp_path: Path) -> None:
    long_line = tmp_path / "long.jsonl"
    with long_line.open("wb") as handle:
        handle.truncate(60 * MIB)
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as handle:
        handle.truncate(100 * MIB)
    deep = tmp_path / "deep.jsonl"
    deep.write_bytes(b'{"root": ' + b"[" * 1_500_000 + b"]" * 1_500_000 + b"}\n")
    cases = {
        "zip bomb": zip_bomb(tmp_path / "bomb.zip", 1024 * MIB),
        "lying zip": lying_zip(tmp_path / "liar.zip"),
        "100 MiB file": huge,
        "60 MiB line": long_line,
        "JSON 1,500,000 deep": deep,
    }
    peaks = {}
    for name, path in cases.items():
        peaks[name], message = peak_mib(path)
        assert message.startswith(str(path)), message
    print("peak RSS (MiB):", peaks)
    assert max(peaks.values()) < 300, peaks
