"""Matching quality on real exports: who actually answered, and would we have found them?

For each export in ../shared/data/dev (except those without threads), the first 80 % of threads
(by time) are imported, and the remaining questions are matched in time order as if they
arrived live (`entraide match --batch` does the same). Reported per export and pooled:

- MRR and hit@5 of the people who actually replied (the asker excluded), for Entraide and two
  baselines computed on the same split: "most active repliers" and BM25 over past threads
  aggregated per replier;
- route: the share of questions where the people Entraide would ask include a real replier,
  beside asking the 3 most active repliers every time;
- the most asks any one person got in a 7-day window (the weekly cap is 3 by default);
- ask: the share of questions for which Entraide finds someone to ask (a relevant candidate);
- off-topic: the same share for questions taken from the *other* exports, matched against this
  one — people asked about what their community never discusses. Lower is better.

Run: `python -m bench.quality [EXPORT.zip …]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from bench.shared import DEV_DATA
from bot.app import build_services, vocabulary
from bot.chat.context import Services
from bot.config import config_from_dict
from bot.matching.batch import BatchMatcher, Query
from bot.matching.text_index import TextIndex
from skills_db.importers.history import import_history
from skills_db.importers.model import HistoryArchive, HistoryThread
from skills_db.importers.read import read_history
from skills_db.storage.store import Store

DEV = DEV_DATA
SKIP = {"slack-houstondatavis.zip"}
TRAIN_SHARE = 0.8
DEPTH = 100  # ranks looked at for MRR
OFF_TOPIC = 30  # questions taken from each other export for the off-topic ask rate


@dataclass
class Scores:
    reciprocal: list[float] = field(default_factory=list)
    hits5: list[float] = field(default_factory=list)

    def add(self, ranking: Sequence[str], truth: set[str]) -> None:
        rank = next((i for i, who in enumerate(ranking[:DEPTH], 1) if who in truth), None)
        self.reciprocal.append(1 / rank if rank else 0.0)
        self.hits5.append(1.0 if rank and rank <= 5 else 0.0)

    @property
    def mrr(self) -> float:
        return sum(self.reciprocal) / max(len(self.reciprocal), 1)

    @property
    def hit5(self) -> float:
        return sum(self.hits5) / max(len(self.hits5), 1)


@dataclass
class Result:
    name: str
    queries: int = 0
    entraide: Scores = field(default_factory=Scores)
    active: Scores = field(default_factory=Scores)
    bm25: Scores = field(default_factory=Scores)
    route_hits: list[float] = field(default_factory=list)
    active3_hits: list[float] = field(default_factory=list)
    max_weekly_asks: int = 0
    asks: list[float] = field(default_factory=list)
    off_topic: list[float] = field(default_factory=list)


@dataclass
class Community:
    """One export, its history imported, and the questions held out from it."""

    result: Result
    services: Services
    queries: list[Query]


def split(archive: HistoryArchive) -> tuple[list[HistoryThread], list[HistoryThread]]:
    threads = sorted(archive.threads, key=lambda t: t.root.posted_at)
    cut = int(len(threads) * TRAIN_SHARE)
    return threads[:cut], threads[cut:]


def evaluate(path: Path, workdir: Path) -> Community:
    archive = read_history(path)
    train, test = split(archive)
    config = config_from_dict(
        {"database": {"url": f"sqlite:///{workdir}/{path.stem}.db"}, "bot": {"log_format": "text"}}
    )
    store = Store.open(config.database.url)
    import_history(store, replace(archive, threads=tuple(train)), vocabulary(config, store))
    services = build_services(config, store)  # with the vocabulary learned from the import
    queries, truths = [], {}
    for thread in test:
        truth = {r.author for r in thread.replies if r.author != thread.root.author}
        if truth:
            queries.append(
                Query(thread.thread_id, thread.root.text, thread.root.author, thread.root.posted_at)
            )
            truths[thread.thread_id] = truth
    result = Result(path.stem, len(queries))
    activity = Counter(r.author for t in train for r in t.replies if r.author != t.root.author)
    baseline_index = TextIndex(half_life_days=1e9)
    numbers: dict[str, int] = {}
    for number, thread in enumerate(train):
        repliers = {r.author for r in thread.replies if r.author != thread.root.author}
        text = " ".join([thread.root.text, *(r.text for r in thread.replies)])
        helpers = [(numbers.setdefault(who, len(numbers)), 1.0) for who in sorted(repliers)]
        baseline_index.add(number + 1, text, thread.root.posted_at, helpers)
    handles = {n: who for who, n in numbers.items()}
    asks: defaultdict[str, deque[float]] = defaultdict(deque)
    by_id = {q.id: q for q in queries}
    for line in BatchMatcher(services, limit=DEPTH).run(queries):
        query, truth = by_id[line["id"]], truths[line["id"]]
        result.asks.append(1.0 if any(c["relevant"] for c in line["candidates"]) else 0.0)
        ranking = [next(iter(c["handles"].values()), "") for c in line["candidates"]]
        result.entraide.add(ranking, truth)
        most_active = [who for who, _ in activity.most_common(DEPTH + 1) if who != query.asker]
        result.active.add(most_active, truth)
        result.active3_hits.append(1.0 if truth.intersection(most_active[:3]) else 0.0)
        text_scores = baseline_index.people(query.text, query.created, top_docs=len(baseline_index))
        bm25 = [handles[p] for p, _ in sorted(text_scores.items(), key=lambda kv: -kv[1][0])]
        result.bm25.add([who for who in bm25 if who != query.asker], truth)
        result.route_hits.append(1.0 if truth.intersection(line["route"]) else 0.0)
        when = query.created.timestamp()
        for who in line["route"]:
            window = asks[who]
            window.append(when)
            while window and window[0] <= when - timedelta(days=7).total_seconds():
                window.popleft()
            result.max_weekly_asks = max(result.max_weekly_asks, len(window))
    return Community(result, services, queries)


def off_topic(community: Community, others: list[Community]) -> None:
    """Would anyone here be asked the questions of other communities? (at the end of the history)"""
    matcher = community.services.matcher
    at = max((q.created for q in community.queries), default=None)
    for other in others:
        for query in other.queries[:OFF_TOPIC]:
            when = at or query.created
            match = matcher.rank(query.text, matcher.recognise(query.text), None, when)
            community.result.off_topic.append(1.0 if any(c.relevant for c in match.candidates) else 0.0)


def _mean(values: list[float]) -> float:
    return sum(values) / max(len(values), 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("exports", nargs="*", type=Path, help="exports (default: every dev export)")
    args = parser.parse_args(argv)
    exports = args.exports or sorted(p for p in DEV.glob("*.zip") if p.name not in SKIP)
    if not exports:
        print(f"no exports found in {DEV}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as workdir:
        communities = [evaluate(path, Path(workdir)) for path in exports]
        for community in communities:
            off_topic(community, [c for c in communities if c is not community])
        for community in communities:
            community.services.store.close()
    results = [c.result for c in communities]
    header = (
        f"{'export':<26} {'n':>4} | {'MRR':>6} {'hit@5':>6} | {'active':>6} {'hit@5':>6} | "
        f"{'BM25':>6} {'hit@5':>6} | {'route':>6} {'top3':>6} | {'max/wk':>6} | {'ask':>5} {'off':>5}"
    )
    print(header)
    print("-" * len(header))
    pooled = Result("pooled")
    for r in [*results, pooled]:
        if r is pooled:
            for other in results:
                pooled.queries += other.queries
                for mine, theirs in (
                    (pooled.entraide, other.entraide),
                    (pooled.active, other.active),
                    (pooled.bm25, other.bm25),
                ):
                    mine.reciprocal += theirs.reciprocal
                    mine.hits5 += theirs.hits5
                pooled.route_hits += other.route_hits
                pooled.asks += other.asks
                pooled.off_topic += other.off_topic
                pooled.active3_hits += other.active3_hits
                pooled.max_weekly_asks = max(pooled.max_weekly_asks, other.max_weekly_asks)
            print("-" * len(header))
        print(
            f"{r.name:<26} {r.queries:>4} | {r.entraide.mrr:>6.3f} {r.entraide.hit5:>6.3f} | "
            f"{r.active.mrr:>6.3f} {r.active.hit5:>6.3f} | {r.bm25.mrr:>6.3f} {r.bm25.hit5:>6.3f} | "
            f"{_mean(r.route_hits):>6.3f} {_mean(r.active3_hits):>6.3f} | {r.max_weekly_asks:>6} | "
            f"{_mean(r.asks):>5.3f} {_mean(r.off_topic):>5.3f}"
        )
    best = max(pooled.active.mrr, pooled.bm25.mrr)
    print()
    print(f"MRR vs best baseline: {pooled.entraide.mrr / best:.2f}x (target >= 1.15)")
    route_ratio = _mean(pooled.route_hits) / max(_mean(pooled.active3_hits), 1e-9)
    print(f"route vs 3 most active: {route_ratio:.2f}x (target >= 0.90)")
    print(f"most asks in a week: {pooled.max_weekly_asks} (cap 3)")
    print(f"off-topic questions that would ask someone: {_mean(pooled.off_topic):.3f} (lower is better)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
