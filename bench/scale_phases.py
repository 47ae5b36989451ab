"""The process-level phases of :mod:`bench.scale`: the import of an export, one `entraide match`
process, the raw limits of the same data, and latency on the real exports.

Commands run as an admin runs them, each in a child process of its own: its time is the wall
time they would see, and its memory is not the benchmark's.
"""

from __future__ import annotations

import json
import math
import os
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.shared import DEV_DATA
from skills_db.storage.database import make_engine

ADMIN_URL = os.environ.get("ENTRAIDE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
TRAIN_SHARE = 0.8  # as bench.quality: the first 80 % of threads imported, the rest matched
MATCH_TEXT = "how do I configure kubernetes ingress with terraform"


@contextmanager
def postgres_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A fresh PostgreSQL database of our own on the server of ``admin_url``, dropped after."""
    name = f"entraide_scale_{secrets.token_hex(4)}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def write_config(folder: Path, url: str, index_cache: str = "") -> Path:
    path = folder / "entraide.toml"
    lines = [
        "[database]",
        f"url = {json.dumps(url)}",
        "[bot]",
        'log_format = "text"',
        'log_level = "WARNING"',
    ]
    if index_cache:
        lines += ["[matching]", f"index_cache = {json.dumps(index_cache)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(config: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `entraide ARGS` in a child process; its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"entraide {' '.join(args)} failed: {done.stderr[-2000:]}")
    return seconds, done


@dataclass(frozen=True)
class RawLimits:
    json_per_second: float  # JSON lines parsed per second (json.loads of every line)
    insert_per_second: float  # message rows bulk-inserted per second into a scratch table


def raw_limits(url: str, export: Path) -> RawLimits:
    """How fast the same data can be parsed, and its messages inserted, with nothing else done."""
    lines = export.read_text(encoding="utf-8").splitlines()
    started = time.perf_counter()
    objects = [json.loads(line) for line in lines]
    json_rate = len(lines) / max(time.perf_counter() - started, 1e-9)
    rows = []
    for obj in objects:
        if obj.get("type") == "user":
            continue
        for number, message in enumerate([obj["root"], *obj.get("replies", [])]):
            rows.append(
                {
                    "thread": obj["thread_id"],
                    "position": number,
                    "author": message["author"],
                    "text": message["text"],
                    "posted": message["ts"],
                }
            )
    engine = make_engine(url)
    metadata = sa.MetaData()
    scratch = sa.Table(
        f"scratch_{secrets.token_hex(4)}",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("thread", sa.String),
        sa.Column("position", sa.Integer),
        sa.Column("author", sa.String),
        sa.Column("text", sa.Text),
        sa.Column("posted", sa.String),
    )
    try:
        metadata.create_all(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                conn.execute(sa.insert(scratch), rows[start : start + 5000])
        insert_rate = len(rows) / max(time.perf_counter() - started, 1e-9)
    finally:
        metadata.drop_all(engine)
        engine.dispose()
    return RawLimits(json_rate, insert_rate)


@dataclass(frozen=True)
class ExportLatency:
    name: str
    needs: int
    first: float  # the process's first need: SQL statements compiled, lazy caches filled
    p50: float  # of the others
    p99: float
    max: float


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def export_latency(export: Path, url: str, folder: Path) -> ExportLatency:
    """`entraide match --batch` over the last 20 % of an export's threads, the first 80 %
    imported with `entraide import-history`: its own ``elapsed_ms`` per need."""
    from skills_db.importers.read import read_history, write_jsonl_threads

    archive = read_history(export)
    threads = sorted(archive.threads, key=lambda t: t.root.posted_at)
    cut = int(len(threads) * TRAIN_SHARE)
    train = folder / f"{export.stem}.train.jsonl"
    write_jsonl_threads(replace(archive, threads=tuple(threads[:cut])), train)
    needs = folder / f"{export.stem}.needs.jsonl"
    with needs.open("w", encoding="utf-8") as out:
        for thread in threads[cut:]:
            created = thread.root.posted_at.astimezone(UTC).isoformat()
            query = {
                "id": thread.thread_id,
                "text": thread.root.text,
                "asker": thread.root.author,
                "created": created,
            }
            out.write(json.dumps(query, ensure_ascii=False) + "\n")
    config = write_config(folder, url, str(folder / f"{export.stem}.index"))
    cli(config, "import-history", str(train))
    _, done = cli(config, "match", "--batch", str(needs), "--json")
    elapsed = [float(json.loads(line)["elapsed_ms"]) for line in done.stdout.splitlines() if line.strip()]
    first, rest = (elapsed[0], elapsed[1:]) if elapsed else (float("nan"), [])
    return ExportLatency(
        export.stem, len(elapsed), first, _pct(rest, 50), _pct(rest, 99), max(rest, default=0.0)
    )


def real_exports() -> list[Path]:
    return sorted(DEV_DATA.glob("*.zip"))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _cpu() -> float:
    """CPU seconds of this process and of its children waited for (the import's recognition
    process, see skills_db.importers.recognition)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def server_cpu(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends serving ``url``'s database, read
    from /proc (a server on this machine); None for SQLite or when it cannot be read. An
    import on PostgreSQL waits for its backend: how busy that one was says what bounds it."""
    if not url.startswith("postgresql"):
        return None
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    tick = os.sysconf("SC_CLK_TCK")
    total, found = 0.0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().decode(errors="replace")
            if not command.startswith("postgres:") or f" {name} " not in command:
                continue
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        found = True
    return total if found else None


def child_import(url: str, export: str) -> dict[str, float]:
    """In a child process: read and import ``export`` as `entraide import-history` does, then
    leave the index snapshot; the time of each step and the process's peak memory."""
    from bench.synthetic import peak_rss_mb
    from bot.app import build_services
    from bot.config import config_from_dict
    from bot.matching import snapshot
    from skills_db.importers.collector import collector_paused
    from skills_db.importers.history import import_history
    from skills_db.importers.read import read_history
    from skills_db.storage.store import Store

    config = config_from_dict({"database": {"url": url}, "bot": {"log_format": "text"}})
    store = Store.open(url)
    services = build_services(config, store)
    with collector_paused():  # as entraide import-history does
        started, cpu = time.perf_counter(), _cpu()
        archive = read_history(export)
        read, read_cpu = time.perf_counter(), _cpu()
        server = server_cpu(url)
        report, _learned = import_history(store, archive, services.taxonomy)
        imported, imported_cpu = time.perf_counter(), _cpu()
        server_after = server_cpu(url)
        path = snapshot.path_for(services.matcher, url)
        snapshot.restore(services.matcher, store, path)
        snapshot.keep(services.matcher, store, path)
    store.close()
    return {
        "messages": float(sum(1 + len(t.replies) for t in archive.threads)),
        "threads": float(report.threads),
        "read": read - started,
        "import": imported - read,
        "read_cpu": read_cpu - cpu,
        "import_cpu": imported_cpu - read_cpu,
        # -1: not measured (SQLite, or no server process to read)
        "server_cpu": server_after - server if server is not None and server_after is not None else -1.0,
        "snapshot": time.perf_counter() - imported,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child_import(url: str, export: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_phases", url, str(export)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    if done.returncode:  # its own error, not only its exit status
        raise RuntimeError(f"the import process failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(child_import(sys.argv[1], sys.argv[2])))
