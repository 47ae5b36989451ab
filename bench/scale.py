"""Speed and memory at organisation scale, on SQLite or PostgreSQL, next to the raw limits.

A synthetic organisation (:mod:`bench.synthetic`: by default 100,000 people, 20,000 skills with
aliases, 1,000,000 skill claims, 200,000 past needs with their replies) is generated into a
fresh database by a child process. Then, one phase after the other:

1. import: a synthetic export (JSONL, by default the size of the whole history) read and
   imported as `entraide import-history` does, in a child process, in messages/s — beside the
   raw limits of the same data measured in the same run: json.loads of every line, and an
   executemany of every message into a scratch table;
2. start-up: the wall time of one `entraide match TEXT` process, without the index snapshot
   (indexes built from the tables) and with it (:mod:`bot.matching.snapshot`);
3. index build: the first ``Matcher.refresh()`` in this process;
4. latency: for 1,000 needs (one to three skill names or aliases, some with a typo, some with no
   known skill), ``recognise`` + ``rank`` + ``route`` as ``entraide match`` does, after a warm-up;
5. brute force, same needs, same run: rapidfuzz ``process.extract`` of every word n-gram of
   the need against the whole vocabulary (names and aliases), then a scan of all the claims
   (loaded in memory once) summing decayed evidence per person;
6. real exports: on each of ../shared/data/dev/*.zip, the first 80 % of threads imported and the
   rest replayed with `entraide match --batch`, its own ``elapsed_ms`` per need;

and the peak RSS of this process after each phase (generation and imports peak in their own).

Run: ``python -m bench.scale`` (full size, long), or smaller: ``python -m bench.scale --people
30000``; ``--pg`` runs it on a fresh database of its own on the test PostgreSQL server (dropped
after), ``--database URL`` on an empty one. ``--keep DIR`` keeps the generated SQLite database
and ``--reuse DIR`` starts from a copy of it; ``--profile N`` prints the N costliest functions
of the latency phase; ``--no-exports`` skips phase 6; ``--only import`` stops after phase 1.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import heapq
import io
import json
import math
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bench.scale_phases import (
    ADMIN_URL,
    MATCH_TEXT,
    children_cpu,
    cli,
    export_latency,
    postgres_database,
    raw_limits,
    real_exports,
    run_child_import,
    write_config,
)
from bench.synthetic import Sizes, World, add_size_options, peak_rss_mb, sizes_from, taxonomy_for
from bot.chat.context import Services
from bot.config import config_from_dict
from bot.i18n import Catalog
from bot.matching import text_index
from bot.matching.engine import Matcher
from bot.matching.skill_index import SOURCE_WEIGHTS
from skills_db.importers.read import write_jsonl_threads
from skills_db.storage.models import ClaimSource
from skills_db.storage.store import Store
from skills_db.vocabulary.textnorm import fold, tokens

TARGET_P99_MS = 15.0  # synthetic needs, at 100,000 people
TARGET_EXPORT_P99_MS = 30.0  # every real export
TARGET_RSS_MB = 300.0
TARGET_IMPORT = 20_000.0  # messages per second
TARGET_START_S = 2.0  # one `entraide match` process
DB_NAME = "scale.db"
INFO_NAME = "scale.json"
BRUTE_CUTOFF = 90  # rapidfuzz ratio for an n-gram to count as a mention
BRUTE_NGRAM = 3


@dataclass
class Timings:
    values: list[float] = field(default_factory=list)  # milliseconds

    def add(self, seconds: float) -> None:
        self.values.append(seconds * 1000)

    def pct(self, p: float) -> float:
        """Nearest-rank percentile (p in 0..100)."""
        if not self.values:
            return float("nan")
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    @property
    def mean(self) -> float:
        return sum(self.values) / max(len(self.values), 1)


@dataclass
class Row:
    what: str
    value: str
    target: str = ""
    status: str = ""


class Report:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.rss: list[tuple[str, float]] = []

    def add(self, what: str, value: str, target: str = "", ok: bool | None = None) -> None:
        status = "" if ok is None else ("PASS" if ok else "FAIL")
        self.rows.append(Row(what, value, target, status))

    def section(self, title: str) -> None:
        self.rows.append(Row(f"-- {title}", ""))

    def mark_rss(self, phase: str) -> float:
        """Add a row with the resident memory now and at its peak so far; returns the peak."""
        peak = peak_rss_mb()
        self.rss.append((phase, peak))
        self.add(f"RSS now / peak, after {phase}", f"{current_rss_mb():.0f} / {peak:.0f} MB")
        return peak

    def print(self, out: Any = sys.stdout) -> None:
        plain = [r for r in self.rows if not r.what.startswith("-- ")]
        width = max(len(r.what) for r in plain)
        value_width = max(len(r.value) for r in plain)
        target_width = max(len(r.target) for r in self.rows)
        header = f"{'':<{width}}  {'value':>{value_width}}  {'target':<{target_width}}  status"
        print(header, file=out)
        print("-" * len(header), file=out)
        for r in self.rows:
            if r.what.startswith("-- "):
                print(r.what, file=out)
                continue
            line = f"{r.what:<{width}}  {r.value:>{value_width}}  {r.target:<{target_width}}  {r.status}"
            print(line.rstrip(), file=out)


def current_rss_mb() -> float:
    """Resident memory now, in MiB (Linux; NaN elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- phases ---------------------------------------------------------------------------------------


def generate(db: str, sizes: Sizes, seed: int) -> dict[str, Any]:
    """Generate the organisation in a child process (its memory peak is not ours)."""
    command = [sys.executable, "-m", "bench.synthetic", db, "--seed", str(seed)]
    for name, value in asdict(sizes).items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    info: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return info


def build_matcher(url: str, world: World) -> tuple[Services, float]:
    started = time.perf_counter()
    taxonomy = taxonomy_for(world.skills)
    seconds = time.perf_counter() - started
    config = config_from_dict({"database": {"url": url}, "bot": {"log_format": "text"}})
    store = Store.open(url)
    services = Services(
        config=config,
        store=store,
        catalog=Catalog.load(config.bot.language),
        taxonomy=taxonomy,
        matcher=Matcher(store, taxonomy, config.routing, config.matching),
        clock=lambda: datetime.now(UTC),
    )
    return services, seconds


@dataclass
class Latency:
    total: Timings = field(default_factory=Timings)
    recognise: Timings = field(default_factory=Timings)
    rank: Timings = field(default_factory=Timings)
    route: Timings = field(default_factory=Timings)
    by_kind: dict[str, Timings] = field(default_factory=lambda: defaultdict(Timings))
    recognised: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    candidates: list[int] = field(default_factory=list)
    routed: list[int] = field(default_factory=list)
    top: list[list[int]] = field(default_factory=list)


def match_needs(matcher: Matcher, needs: Sequence[tuple[str, int, datetime, str]]) -> Latency:
    result = Latency()
    clock = time.perf_counter
    for text, asker, at, kind in needs:
        # One reading for the need's reads, as `entraide match` does (BatchMatcher.match).
        with matcher.store.reading():
            t0 = clock()
            skills = matcher.recognise(text)
            t1 = clock()
            match = matcher.rank(text, skills, asker, at)
            t2 = clock()
            route = matcher.route(match, at)
            t3 = clock()
        result.recognise.add(t1 - t0)
        result.rank.add(t2 - t1)
        result.route.add(t3 - t2)
        result.total.add(t3 - t0)
        result.by_kind[kind].add(t3 - t0)
        result.recognised[kind].append(len(skills))
        result.candidates.append(len(match.candidates))
        result.routed.append(len(route))
        result.top.append([c.person_id for c in match.candidates[:10]])
    return result


class BruteForce:
    """The naive way: fuzzy-match every n-gram against the whole vocabulary, scan every claim."""

    def __init__(self, store: Store, world: World, half_life_days: float) -> None:
        self.choices: list[str] = []
        self.choice_skill: list[int] = []
        for number, skill in enumerate(world.skills, 1):
            for surface in (skill.name, *skill.aliases, *skill.names_fr):
                self.choices.append(fold(surface))
                self.choice_skill.append(number)
        self.persons = array("i")
        self.skills = array("i")
        self.sources = array("b")
        self.weights = array("d")
        self.times = array("d")
        codes = {s.value: n for n, s in enumerate(ClaimSource)}
        self.source_weight = [SOURCE_WEIGHTS[s] for s in ClaimSource]
        self.rate = math.log(2) / (half_life_days * 86400)
        connection = store.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT person_id, skill_id, source, weight, created_at FROM skillclaim")
            while rows := cursor.fetchmany(50_000):
                for person, skill, source, weight, created in rows:
                    self.persons.append(person)
                    self.skills.append(skill)
                    self.sources.append(codes[source])
                    self.weights.append(weight)
                    when = created if isinstance(created, datetime) else datetime.fromisoformat(created)
                    self.times.append(when.replace(tzinfo=UTC).timestamp())
        finally:
            connection.close()

    def __len__(self) -> int:
        return len(self.persons)

    def match(self, text: str, at: datetime, limit: int = 10) -> list[int]:
        words = tokens(text)
        matched: set[int] = set()
        for n in range(1, BRUTE_NGRAM + 1):
            for i in range(len(words) - n + 1):
                gram = " ".join(words[i : i + n])
                for _choice, _score, index in process.extract(
                    gram, self.choices, scorer=fuzz.ratio, score_cutoff=BRUTE_CUTOFF, limit=5
                ):
                    matched.add(self.choice_skill[index])
        scores: dict[int, float] = defaultdict(float)
        now, rate, source_weight = at.timestamp(), self.rate, self.source_weight
        for person, skill, source, weight, when in zip(
            self.persons, self.skills, self.sources, self.weights, self.times, strict=True
        ):
            if skill in matched:
                scores[person] += source_weight[source] * weight * math.exp(-rate * max(now - when, 0.0))
        return [p for p, _ in heapq.nlargest(limit, scores.items(), key=lambda kv: kv[1])]


def _timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def _file_mb(path: Path) -> float:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            total += candidate.stat().st_size
    return total / (1024 * 1024)


# -- main -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path, url: str) -> Report:
    sizes: Sizes = sizes_from(args)
    report = Report()
    db = workdir / DB_NAME
    sqlite = url.startswith("sqlite")
    if args.reuse and sqlite:
        source = Path(args.reuse)
        _progress(f"copying the organisation from {source}")
        shutil.copyfile(source / DB_NAME, db)
        generated = json.loads((source / INFO_NAME).read_text())
        kept = {**generated["sizes"], "needs": sizes.needs, "warmup": sizes.warmup}
        sizes = Sizes(**{k: v for k, v in kept.items() if k in Sizes.__dataclass_fields__})
    else:
        _progress(f"generating {sizes}")
        generated = generate(str(db) if sqlite else url, sizes, args.seed)
        if args.keep and sqlite:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(db, keep / DB_NAME)
            (keep / INFO_NAME).write_text(json.dumps(generated))
    seed = args.seed
    counts = generated["counts"]
    generated_mb = _file_mb(db)

    report.section(f"organisation (synthetic, {'SQLite' if sqlite else 'PostgreSQL'})")
    report.add(
        "people / skills / aliases", f"{counts['people']:,} / {counts['skills']:,} / {counts['aliases']:,}"
    )
    report.add(
        "claims / past needs / replies",
        f"{counts['claims']:,} / {counts['threads']:,} / {counts['replies']:,}",
    )
    report.add("generation (child process)", f"{generated['seconds']:.1f} s")
    rows = sum(counts.values()) + counts["people"]  # identities too
    report.add("  rows written per second", f"{rows / max(generated['seconds'], 1e-9):,.0f}")
    report.add("  peak RSS of the generator", f"{generated['peak_rss_mb']:.0f} MB")
    if sqlite:
        report.add("SQLite file after generation", f"{generated_mb:.0f} MB")

    _progress("building the vocabulary and the matcher")
    world = World(sizes, seed)
    services, taxonomy_seconds = build_matcher(url, world)
    matcher, store = services.matcher, services.store
    report.section("start-up")
    report.add("vocabulary entries (Taxonomy)", f"{len(services.taxonomy):,}")
    report.add("Taxonomy build", f"{taxonomy_seconds:.2f} s")
    report.add("text search", "vectorised (numpy)" if text_index.numpy is not None else "pure Python")
    report.mark_rss("start-up")

    _progress(f"writing an export of {sizes.import_threads:,} threads")
    export = workdir / "export.jsonl"
    write_jsonl_threads(world.archive(sizes.import_threads), export)
    _progress("raw limits: parsing and bulk-inserting the same data")
    limits = raw_limits(url, export)
    _progress("importing it (entraide import-history, in a child process)")
    imported = run_child_import(url, export)
    messages = imported["messages"]
    rate = messages / max(imported["read"] + imported["import"], 1e-9)
    cpu_rate = messages / max(imported["read_cpu"] + imported["import_cpu"], 1e-9)
    report.section("import of the export (read + import_history, as entraide import-history; child process)")
    report.add("threads / messages in the export", f"{imported['threads']:,.0f} / {messages:,.0f}")
    report.add("reading the file / importing", f"{imported['read']:.1f} / {imported['import']:.1f} s")
    report.add(
        "import throughput (wall)",
        f"{rate:,.0f} messages/s",
        f">= {TARGET_IMPORT:,.0f}",
        rate >= TARGET_IMPORT,
    )
    report.add("  per CPU second (recognition process included)", f"{cpu_rate:,.0f} messages/s")
    if imported.get("server_cpu", -1.0) >= 0:
        report.add("  PostgreSQL server CPU during import_history", f"{imported['server_cpu']:.1f} s")
    report.add("  raw limit: json.loads of every line", f"{limits.json_per_second:,.0f} lines/s")
    report.add("  raw limit: executemany of every message", f"{limits.insert_per_second:,.0f} rows/s")
    report.add("then building and saving the index snapshot", f"{imported['snapshot']:.1f} s")
    report.add("  peak RSS of the importing process", f"{imported['peak_rss_mb']:.0f} MB")
    if args.only == "import":
        return report

    _progress("one entraide match process, without and with the snapshot")
    index = workdir / "entraide.index"
    config = write_config(workdir, url, "" if sqlite else str(index))
    if sqlite:
        index = Path(str(db) + ".index")
    index.unlink(missing_ok=True)
    cpu = children_cpu()
    cold, _ = cli(config, "match", MATCH_TEXT)
    cold_cpu, cpu = children_cpu() - cpu, children_cpu()
    warm, _ = cli(config, "match", MATCH_TEXT)
    warm_cpu = children_cpu() - cpu
    report.section("start-up: one `entraide match TEXT` process")
    report.add("indexes built from the tables (no snapshot): wall / CPU", f"{cold:.1f} / {cold_cpu:.1f} s")
    report.add(
        "from the index snapshot: wall / CPU",
        f"{warm:.1f} / {warm_cpu:.1f} s",
        f"<= {TARGET_START_S:.0f} s",
        warm <= TARGET_START_S,
    )
    report.add("  snapshot file", f"{index.stat().st_size / 1e6:.0f} MB" if index.exists() else "none")

    _progress("building the text index (first refresh)")
    _, index_seconds = _timed(matcher.refresh)
    report.section("index build (first Matcher.refresh: help threads, and claims if kept in memory)")
    report.add("threads indexed", f"{len(matcher.index):,}")
    report.add("index build time", f"{index_seconds:.1f} s")
    report.add("  threads/s", f"{len(matcher.index) / max(index_seconds, 1e-9):,.0f}")
    skill_index = getattr(matcher, "skills", None)  # evidence per (skill, person) held in memory, if any
    if skill_index is not None:
        report.add("(skill, person) pairs in memory", f"{len(skill_index):,}")
    report.mark_rss("index build")

    _progress(f"warm-up: {sizes.warmup} needs")
    match_needs(matcher, world.needs(sizes.warmup, "warmup"))
    gc.freeze()  # as `entraide run` does once its indexes are built (bot.app)
    needs = world.needs(sizes.needs, "timed")
    _progress(f"matching {len(needs):,} needs")
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    latency = match_needs(matcher, needs)
    if profiler:
        profiler.disable()
    total = latency.total
    report.section(f"latency: recognise + rank + route, {len(needs):,} needs, one process")
    report.add("p50", _ms(total.pct(50)))
    report.add("p95", _ms(total.pct(95)))
    full = counts["people"] >= 100_000
    report.add(
        "p99",
        _ms(total.pct(99)),
        f"<= {TARGET_P99_MS:.0f} ms at 100,000 people",
        total.pct(99) <= TARGET_P99_MS if full else None,
    )
    report.add("max", _ms(max(total.values, default=float("nan"))))
    report.add("mean", _ms(total.mean))
    for name, part in (("recognise", latency.recognise), ("rank", latency.rank), ("route", latency.route)):
        report.add(f"  {name} p50 / p99", f"{part.pct(50):.1f} / {part.pct(99):.1f} ms")
    for kind, part in sorted(latency.by_kind.items()):
        found = latency.recognised[kind]
        share = sum(1 for n in found if n) / max(len(found), 1)
        report.add(
            f"  {kind} ({len(part.values)}): p50 / p99, recognised",
            f"{part.pct(50):.1f} / {part.pct(99):.1f} ms, {share:.0%}",
        )
    report.add("candidates per need (mean)", f"{sum(latency.candidates) / max(len(needs), 1):,.0f}")
    report.add("people asked per need (mean)", f"{sum(latency.routed) / max(len(needs), 1):.2f}")
    peak_matching = report.mark_rss("matching")
    report.add(
        "peak RSS after matching",
        f"{peak_matching:.0f} MB",
        f"<= {TARGET_RSS_MB:.0f} MB at 100,000 people",
        peak_matching <= TARGET_RSS_MB if full else None,
    )

    if args.brute_needs != 0:
        brute_count = len(needs) if args.brute_needs is None else min(args.brute_needs, len(needs))
        _progress("brute force: loading every claim")
        brute, load_seconds = _timed(
            lambda: BruteForce(store, world, services.config.matching.half_life_days)
        )
        _progress(
            f"brute force: {brute_count:,} needs over {len(brute.choices):,} names and {len(brute):,} claims"
        )
        brute_times = Timings()
        overlaps = []
        for (text, _asker, at, _kind), ours in zip(needs[:brute_count], latency.top, strict=False):
            top, seconds = _timed(lambda text=text, at=at: brute.match(text, at))  # type: ignore[misc]
            brute_times.add(seconds)
            if top and ours:
                overlaps.append(len(set(top) & set(ours)) / len(top))
        report.section(
            f"brute force: rapidfuzz n-grams x vocabulary + scan of every claim, {brute_count:,} needs"
        )
        report.add("names and aliases scanned / claims in memory", f"{len(brute.choices):,} / {len(brute):,}")
        report.add("loading the claims", f"{load_seconds:.1f} s")
        report.add("p50", _ms(brute_times.pct(50)))
        report.add("p99", _ms(brute_times.pct(99)))
        ratio = brute_times.pct(99) / max(total.pct(99), 1e-9)
        report.add("brute-force p99 / Entraide p99", f"{ratio:.2f}x", "> 1 (faster)", ratio > 1)
        report.add("top-10 overlap with Entraide (mean)", f"{sum(overlaps) / max(len(overlaps), 1):.0%}")
        report.mark_rss("brute force")

    store.close()
    if args.exports:
        _export_latencies(report, workdir, sqlite)
    if sqlite:
        report.section("storage")
        report.add("SQLite file at the end", f"{_file_mb(db):.0f} MB")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue(), file=sys.stderr)
    return report


def _export_latencies(report: Report, workdir: Path, sqlite: bool) -> None:
    """`entraide match --batch` elapsed_ms on every real export (80 % imported, 20 % matched)."""
    report.section(
        "real exports: entraide match --batch elapsed_ms, last 20 % of threads (80 % imported); "
        "p50/p99/max over all needs but the process's first, shown apart"
    )
    worst = 0.0
    for export in real_exports():
        _progress(f"real export {export.stem}")
        folder = workdir / export.stem
        folder.mkdir()
        if sqlite:
            found = export_latency(export, f"sqlite:///{folder}/e.db", folder)
        else:
            with postgres_database() as url:
                found = export_latency(export, url, folder)
        if found.needs:
            worst = max(worst, found.p99)
        report.add(
            f"  {found.name} ({found.needs} needs): first; p50 / p99 / max",
            f"{found.first:.0f}; {found.p50:.0f} / {found.p99:.0f} / {found.max:.0f} ms",
        )
    report.add("worst p99", _ms(worst), f"<= {TARGET_EXPORT_P99_MS:.0f} ms", worst <= TARGET_EXPORT_P99_MS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_size_options(parser)
    parser.add_argument("--brute-needs", type=int, help="needs for the brute force (default: all; 0: skip)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated database in DIR")
    parser.add_argument("--reuse", metavar="DIR", help="start from a copy of a database kept with --keep")
    parser.add_argument("--workdir", metavar="DIR", help="where the temporary database goes")
    parser.add_argument("--profile", type=int, metavar="N", help="print the N costliest functions")
    parser.add_argument(
        "--database", metavar="URL", help="an empty PostgreSQL database to use instead of SQLite"
    )
    parser.add_argument(
        "--pg", action="store_true", help=f"a fresh database of our own on {ADMIN_URL}, dropped after"
    )
    parser.add_argument("--no-exports", dest="exports", action="store_false", help="skip the real exports")
    parser.add_argument(
        "--only", choices=("all", "import"), default="all", help="stop after phase 1 (import) with 'import'"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="entraide-scale-") as workdir:
        if args.pg:
            with postgres_database() as url:
                report = run(args, Path(workdir), url)
        else:
            report = run(args, Path(workdir), args.database or f"sqlite:///{workdir}/{DB_NAME}")
    report.section("run")
    report.add("wall time", f"{time.perf_counter() - started:.0f} s")
    cores = f"{os.cpu_count()} cores, one used (two by a large import)"
    report.add("Python / CPU", f"{sys.version.split()[0]} / {cores}")
    report.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
