"""How far routing alone can take route-hit: Entraide's own rankings, asked in other ways.

Reads the first replay that `python -m bench.quality --cache DIR` keeps (each question's ranking
with the shipped weights, its candidates' features) and replays the asks alone, in time order,
under the weekly cap: whom to ask among the ranked, how many, with or without the relevance
gate, and without the cap (the ceiling of these rankings). Each policy's route-hit is pooled
over the exports, beside what the replay itself asked and the "3 most active lately" baseline.

Run: `python -m bench.quality --domain with --cache DIR`, then
`python -m bench.routing_ceiling DIR/first-domain.pickle`.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from bench.baselines import Ledger
from bench.quality import known, summary
from bench.replay import Outcome, load
from bench.shared import DEV_DATA
from bot.config import RoutingConfig
from bot.matching.model import DEFAULT

CAP = RoutingConfig().weekly_ask_cap  # the default weekly cap, as the replay ran
Gate = Callable[[Sequence[Sequence[float]]], bool]
Weigh = Callable[[float, int], float]  # (score relative to the best, asks this week) -> priority


def gated(features: Sequence[Sequence[float]]) -> bool:
    """The shipped relevance gate (bench.quality.known)."""
    return known(summary(features), DEFAULT.relevance, DEFAULT.inferred, DEFAULT.familiar)


def route_hit(
    outcome: Outcome,
    truths: dict[str, set[str]],
    times: dict[str, datetime],
    gate: Gate,
    weigh: Weigh,
    count: int = 3,
    cap: int = CAP,
) -> list[float]:
    """1.0 per question whose asks include one who answered, asking as ``weigh`` orders."""
    ledger = Ledger(cap)
    hits = []
    rankings = outcome.rankings["entraide"]
    for qid, (features, _labels) in sorted(
        zip(rankings, outcome.samples, strict=True), key=lambda pair: times[pair[0]]
    ):
        at = times[qid]
        if not features or not gate(features):
            hits.append(0.0)
            continue
        scores = [DEFAULT.score(f) for f in features]
        top = max(scores)
        ranked = [
            (weigh(math.exp(scores[i] - top), ledger.asks(who, at)), who)
            for i, who in enumerate(rankings[qid])
            if ledger.has_room(who, at)
        ]
        ranked.sort(key=lambda pair: -pair[0])
        chosen = [who for _priority, who in ranked[:count]]
        ledger.ask(chosen, at)
        hits.append(1.0 if truths[qid].intersection(chosen) else 0.0)
    return hits


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "cache", type=Path, help="first-domain.pickle (or first-general) of bench.quality --cache"
    )
    args = parser.parse_args(argv)
    with open(args.cache, "rb") as handle:
        data = pickle.load(handle)
    first: dict[str, Outcome] = data["first"]
    truths: dict[str, dict[str, set[str]]] = data["truths"]
    times = {}
    for name in first:
        path = DEV_DATA / f"{name}.zip"
        if not path.exists():
            print(f"{path} not found", file=sys.stderr)
            return 1
        times[name] = {q.id: q.created for q in load(path).queries}

    def asked(outcome: Outcome, method: str, name: str) -> list[float]:
        routes = outcome.routes[method]
        return [1.0 if truths[name][q].intersection(r) else 0.0 for q, r in routes.items()]

    def best_first(share: float, _asks: int) -> float:
        return share

    def ungated(_features: Sequence[Sequence[float]]) -> bool:
        return True

    policies: list[tuple[str, Callable[[str, Outcome], list[float]]]] = [
        ("the replay's own asks", lambda n, o: asked(o, "entraide", n)),
        ("3 most active lately with room", lambda n, o: asked(o, "lately", n)),
        ("best 3 with room, gated", lambda n, o: route_hit(o, truths[n], times[n], gated, best_first)),
        ("best 3 with room, always", lambda n, o: route_hit(o, truths[n], times[n], ungated, best_first)),
    ]

    def asking(count: int) -> Callable[[str, Outcome], list[float]]:
        return lambda n, o: route_hit(o, truths[n], times[n], ungated, best_first, count=count)

    def spreading(factor: float) -> Callable[[str, Outcome], list[float]]:
        def weigh(share: float, asks: int) -> float:
            return share * (1 - factor * asks)

        return lambda n, o: route_hit(o, truths[n], times[n], ungated, weigh)

    policies += [(f"best {count} with room, always", asking(count)) for count in (1, 2, 4, 5)]
    policies += [(f"best 3, score x (1 - {f} x asks), always", spreading(f)) for f in (0.1, 0.3)]
    policies.append(
        (
            "best 3, no cap, always (the ceiling)",
            lambda n, o: route_hit(o, truths[n], times[n], ungated, best_first, cap=10**9),
        )
    )
    print(f"{'policy':<42} {'pooled':>6}  per export ({', '.join(first)})")
    for label, policy in policies:
        per = {name: policy(name, outcome) for name, outcome in first.items()}
        pooled = [hit for hits in per.values() for hit in hits]
        shares = " ".join(f"{sum(h) / max(len(h), 1):.2f}" for h in per.values())
        print(f"{label:<42} {sum(pooled) / max(len(pooled), 1):>6.3f}  {shares}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
