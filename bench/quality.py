"""Matching quality on real exports, replayed live and scored leave-one-community-out.

For each export in ../shared/data/dev, the first 80 % of threads (by time) are imported; the
remaining questions and their replies are replayed in time order as a live bot would see them
(:mod:`bench.replay`): each question matched when asked, each reply learned when it comes.

Whatever is tuned — the model's weights and its relevance gate — is chosen without the
community it is scored on: a first replay of every export (with the shipped weights) gives the
candidates' features; then, for each export, the weights are fitted on the *other* exports
(:mod:`bench.fit`), the gate chosen on them, and the export replayed again with those. Per export
and pooled:

- MRR and hit@5 of the people who really answered (the asker excluded), for Entraide and the
  live baselines (:mod:`bench.baselines`): most active, most active lately (14-day half-life),
  BM25 over past threads per replier;
- route: the share of questions where the people asked (now, or later when they are back)
  include one who answered, beside the 3 most active lately with room under the same weekly cap,
  and the oracle under that cap (the ceiling); asked: the share of the community's own
  questions for which Entraide asks anyone (the rest its gate keeps, as it does off-topic ones);
- max/wk: the most asks any one person got in a 7-day window (the weekly cap is 3);
- off-topic: the share of questions taken from the other exports for which someone would be
  asked here (lower is better);
- p99: the matcher's own time per question (elapsed_ms of `entraide match --batch`); reply:
  the p99 time a reply takes to be recorded and taken into the indexes (as it arrives).

Everything is shown with the bundled vocabulary, and with its domain skills removed.
Run: `python -m bench.quality [EXPORT.zip …]`; `--fit` also prints the weights fitted on every
export (those shipped in bot/matching/model.py).
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from bench.fit import Sample, fit
from bench.replay import DEPTH, Community, Outcome, foreign, load, prepare, replay
from bench.shared import DEV_DATA
from bot.matching.model import DEFAULT, FEATURES, Model

OFF_TOPIC = 30  # questions taken from each other export for the off-topic ask rate
OFF_TOPIC_TARGET = 0.20
# The gates are chosen asking at most this much off-topic of the other communities: a gate
# chosen at the target itself came out above it on the community left out (0.214 pooled).
OFF_TOPIC_CHOICE = 0.18
GATES = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 1.01)
FLOORS = (0.05, 0.1, 0.2, 0.3, 0.5)
FAMILIAR = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
SKILLS, DECLARED, OFFER, COVERAGE, FAMILIAR_AT = (
    FEATURES.index(n) for n in ("skills", "declared", "offer", "coverage", "familiar")
)


class Summary(NamedTuple):
    """What the gates read of one question's candidates (see known)."""

    coverage: float  # the best share of the need a thread or answer holds
    skilled: float  # the same, among those with evidence on one of its skills
    offer: bool
    familiar: float  # the need's familiarity to the community (the same for every candidate)


def summary(candidates: Sequence[Sequence[float]]) -> Summary:
    return Summary(
        max((f[COVERAGE] for f in candidates), default=0.0),
        max((f[COVERAGE] for f in candidates if f[SKILLS] or f[DECLARED]), default=-1.0),
        any(f[OFFER] for f in candidates),
        candidates[0][FAMILIAR_AT] if candidates else 0.0,
    )


def reciprocal(ranking: Sequence[str], truth: set[str]) -> tuple[float, float]:
    rank = next((i for i, who in enumerate(ranking[:DEPTH], 1) if who in truth), None)
    return (1 / rank if rank else 0.0), (1.0 if rank and rank <= 5 else 0.0)


def known(found: Summary, gate: float, inferred: float, familiar: float) -> bool:
    """As bot.matching.scoring decides it: a need this community knows (none of the exports has
    endorsements or help given live, and all have more history than MIN_HISTORY: whoever scores
    at least ``floor`` of the best may be asked)."""
    if found.offer:
        return True
    return (found.coverage >= gate or found.skilled >= inferred) and found.familiar >= familiar


def choose_gate(
    model: Model, samples: Sequence[Sample], foreign_sets: Sequence[list[list[list[float]]]]
) -> Model:
    """``model`` with the (relevance, inferred, familiar, floor) that give the best uncapped
    route-hit on these communities' questions among those that ask someone for at most
    OFF_TOPIC_CHOICE of the other communities' questions (the least off-topic ones if none does)."""
    ranked = []
    for features, labels in samples:
        scores = [model.score(f) for f in features]
        top = max(scores, default=0.0)
        order = sorted(range(len(features)), key=lambda i: -scores[i])
        ranked.append((summary(features), [(math.exp(scores[i] - top), labels[i]) for i in order]))
    foreign = [summary(c) for group in foreign_sets for c in group]
    best: tuple[float, float, float, float, float] | None = None
    fallback = (2.0, GATES[-1], GATES[-1], FAMILIAR[-1], FLOORS[0])
    for gate in GATES:
        for inferred in (g for g in GATES if g <= gate):
            for familiar in FAMILIAR:
                off = sum(known(f, gate, inferred, familiar) for f in foreign) / max(len(foreign), 1)
                fallback = min(fallback, (off, gate, inferred, familiar, FLOORS[0]))
                if off > OFF_TOPIC_CHOICE:
                    continue
                mask = [known(found, gate, inferred, familiar) for found, _order in ranked]
                for floor in FLOORS:
                    hits = []
                    for k, (_found, scored) in zip(mask, ranked, strict=True):
                        asked = [label for score, label in scored if score >= floor]
                        hits.append(k and any(asked[:3]))
                    route = sum(hits) / max(len(hits), 1)
                    if best is None or route > best[0]:
                        best = (route, gate, inferred, familiar, floor)
    _route, gate, inferred, familiar, floor = best or fallback
    return replace(model, relevance=gate, inferred=inferred, familiar=familiar, floor=floor)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / max(len(values), 1)


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else 0.0


class Row:
    def __init__(self, name: str) -> None:
        self.name = name
        self.mrr: dict[str, list[float]] = {m: [] for m in ("entraide", "active", "lately", "bm25")}
        self.hit5: dict[str, list[float]] = {m: [] for m in self.mrr}
        self.route: dict[str, list[float]] = {m: [] for m in ("entraide", "lately", "oracle")}
        self.most = 0
        self.asked: list[float] = []  # own questions for which Entraide asks someone
        self.off: list[float] = []
        self.elapsed: list[float] = []
        self.taken_in: list[float] = []

    def add(self, outcome: Outcome, community: Community, off: list[float]) -> None:
        for method, rankings in outcome.rankings.items():
            for qid, ranking in rankings.items():
                rr, hit = reciprocal(ranking, community.truths[qid])
                self.mrr[method].append(rr)
                self.hit5[method].append(hit)
        for method, routes in outcome.routes.items():
            for qid, route in routes.items():
                self.route[method].append(1.0 if community.truths[qid].intersection(route) else 0.0)
                if method == "entraide":
                    self.asked.append(1.0 if route else 0.0)
        self.most = max(self.most, outcome.most_asks["entraide"])
        self.off += off
        self.elapsed += outcome.elapsed
        self.taken_in += outcome.taken_in

    def merge(self, other: Row) -> None:
        for table in ("mrr", "hit5", "route"):
            for method, values in getattr(other, table).items():
                getattr(self, table)[method].extend(values)
        self.most = max(self.most, other.most)
        self.asked += other.asked
        self.off += other.off
        self.elapsed += other.elapsed
        self.taken_in += other.taken_in

    def ratio(self) -> float:
        best = max(_mean(self.mrr[m]) for m in ("active", "lately", "bm25"))
        return _mean(self.mrr["entraide"]) / best if best else 0.0

    def line(self) -> str:
        m = {k: _mean(v) for k, v in self.mrr.items()}
        r = {k: _mean(v) for k, v in self.route.items()}
        return (
            f"{self.name:<25} {len(self.mrr['entraide']):>4} | {m['entraide']:>5.3f}"
            f" {_mean(self.hit5['entraide']):>5.3f}"
            f" | {m['active']:>5.3f} {m['lately']:>5.3f} {m['bm25']:>5.3f} | {self.ratio():>5.2f}x"
            f" | {r['entraide']:>5.3f} {_mean(self.asked):>5.3f} {r['lately']:>5.3f} {r['oracle']:>5.3f}"
            f" | {self.most:>3}"
            f" | {_mean(self.off):>5.3f} | {p99(self.elapsed):>6.1f} {p99(self.taken_in):>6.1f}"
        )


HEADER = (
    f"{'export':<25} {'n':>4} | {'MRR':>5} {'hit@5':>5} | {'activ':>5} {'lately':>5} {'BM25':>5}"
    f" | {'ratio':>6}"
    f" | {'route':>5} {'asked':>5} {'lat3':>5} {'oracl':>5} | {'max':>3} | {'off':>5}"
    f" | {'p99 ms':>6} {'reply':>6}"
)


def evaluate(
    paths: list[Path],
    communities: list[Community],
    workdir: Path,
    domain: bool,
    show_fit: bool,
    cache: Path | None = None,
) -> Row:
    for path, community in zip(paths, communities, strict=True):
        prepare(community, path, workdir, domain)
    first = {c.name: replay(c, workdir, DEFAULT, domain, "first") for c in communities}
    foreign_features = {}
    for c in communities:
        others = [o for o in communities if o is not c]
        foreign_features[c.name] = foreign(first[c.name], c, others, OFF_TOPIC)[1]
        services = first[c.name].services
        assert services is not None
        services.store.close()
        first[c.name].services = None
    if cache is not None:  # the features of the first replay, to study the model without replaying
        with open(cache / f"first-{'domain' if domain else 'general'}.pickle", "wb") as handle:
            pickle.dump(
                {
                    "first": first,
                    "foreign": foreign_features,
                    "truths": {c.name: c.truths for c in communities},
                },
                handle,
            )
    print(f"\n{'with' if domain else 'without'} the domain vocabulary (live replay, leave-one-community-out)")
    print(HEADER)
    print("-" * len(HEADER))
    pooled, rows = Row("pooled"), []
    for c in communities:
        others = [o for o in communities if o is not c]
        samples = [s for o in others for s in first[o.name].samples]
        model = fit(samples)
        model = choose_gate(model, samples, [foreign_features[o.name] for o in others])
        outcome = replay(c, workdir, model, domain, "scored")
        off, _features = foreign(outcome, c, others, OFF_TOPIC)
        assert outcome.services is not None
        outcome.services.store.close()
        row = Row(c.name)
        row.add(outcome, c, off)
        pooled.merge(row)
        rows.append(row)
        gates = f"{model.relevance:.2f}/{model.inferred:.2f}/{model.familiar:.2f}/{model.floor:.2f}"
        print(row.line() + f"   gates {gates}")
    print("-" * len(HEADER))
    print(pooled.line())
    route = {k: _mean(v) for k, v in pooled.route.items()}
    print(
        f"pooled MRR {pooled.ratio():.2f}x the best live baseline (target >= 1.15); "
        f"route {route['entraide'] / max(route['lately'], 1e-9):.2f}x the 3 most active lately "
        f"under the cap (target >= 1.4); off-topic {_mean(pooled.off):.3f} (target <= {OFF_TOPIC_TARGET}); "
        f"most asks in a week {pooled.most} (cap 3)"
    )
    lowest = min(rows, key=Row.ratio)
    print(f"lowest export: {lowest.name} at {lowest.ratio():.2f}x its best live baseline (target >= 1.0)")
    if show_fit:
        samples = [s for c in communities for s in first[c.name].samples]
        model = fit(samples)
        model = choose_gate(model, samples, list(foreign_features.values()))
        print(
            f"\nfitted on every export: relevance {model.relevance}, inferred {model.inferred}, "
            f"familiar {model.familiar}, floor {model.floor}"
        )
        for name, weight in model.described().items():
            print(f"  {name:<12} {weight:>8.4f}")
    return pooled


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("exports", nargs="*", type=Path, help="exports (default: every dev export)")
    parser.add_argument("--fit", action="store_true", help="also print the weights fitted on every export")
    parser.add_argument("--domain", choices=("both", "with", "without"), default="both")
    parser.add_argument("--cache", type=Path, help="keep the first replay's features there (pickle)")
    args = parser.parse_args(argv)
    paths = args.exports or sorted(DEV_DATA.glob("*.zip"))
    if not paths:
        print(f"no exports found in {DEV_DATA}", file=sys.stderr)
        return 1
    kept, communities = [], []
    for path in paths:
        community = load(path)
        if not community.truths:
            print(f"{path.name}: no answered question in its last 20 % of threads: left out", file=sys.stderr)
            continue
        kept.append(path)
        communities.append(community)
    modes = {"both": (True, False), "with": (True,), "without": (False,)}[args.domain]
    with tempfile.TemporaryDirectory() as workdir:
        for domain in modes:
            evaluate(kept, communities, Path(workdir), domain, args.fit, args.cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
