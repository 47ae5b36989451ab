"""One community of bench.quality: its history cut at 80 %, and the rest replayed live.

The first 80 % of its threads (by time) are imported with ``import_history``, as an organisation
would import its export. The remaining questions are then replayed through ``entraide match
--batch``'s matcher as a live bot would see them: each question is matched when it is asked, and
its replies are taken in as evidence when their time comes, before the later questions. The
baselines see the same stream. Whatever the asker wrote in their own thread is not help.
"""

from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.baselines import LiveBaselines
from bot.app import build_services, vocabulary
from bot.chat.context import Services
from bot.config import config_from_dict
from bot.matching.batch import BatchMatcher, Item, Query, Reply
from bot.matching.model import Model
from bot.matching.scoring import POOL
from skills_db.importers.history import import_history
from skills_db.importers.model import HistoryThread
from skills_db.importers.read import read_history
from skills_db.storage.replies import ReplyThread
from skills_db.storage.store import Store

TRAIN_SHARE = 0.8
DEPTH = 100  # ranks looked at for MRR


@dataclass(frozen=True)
class LateReply:
    """A reply, after the cut, to a question asked before it (imported): learned when it comes."""

    thread: HistoryThread
    author: str
    text: str
    created: datetime
    solved: bool


@dataclass
class Community:
    """One export: its imported history (a database to copy) and its live stream."""

    name: str
    train: list[HistoryThread]
    items: list[Item | LateReply]  # the held-out questions, their replies, late replies: in time order
    truths: dict[str, set[str]]  # question id -> who answered it (the asker excluded)
    database: dict[bool, Path] = field(default_factory=dict)  # with the domain vocabulary or not

    @property
    def queries(self) -> list[Query]:
        return [item for item in self.items if isinstance(item, Query)]


def load(path: Path) -> Community:
    """The first 80 % of the questions (by time) as history, as it stood when the first of the
    others was asked: replies written after that moment — Stack Exchange questions get answers
    years later — are not history but live evidence, taken in when their time comes."""
    archive = read_history(path)
    threads = sorted(archive.threads, key=lambda t: t.root.posted_at)
    cut = int(len(threads) * TRAIN_SHARE)
    community = Community(path.stem, [], [], {})
    if cut >= len(threads):
        return community
    start = threads[cut].root.posted_at
    for thread in threads[:cut]:
        kept = tuple(r for r in thread.replies if r.posted_at < start)
        solver = thread.solved_by if any(r.ts == thread.solved_by for r in kept) else None
        community.train.append(replace(thread, replies=kept, solved_by=solver))
        for reply in thread.replies:
            if reply.posted_at >= start:
                late = LateReply(
                    thread, reply.author, reply.text, reply.posted_at, reply.ts == thread.solved_by
                )
                community.items.append(late)
    for thread in threads[cut:]:
        root = thread.root
        truth = {r.author for r in thread.replies if r.author != root.author}
        query = Query(thread.thread_id, root.text, root.author, root.posted_at, thread.channel)
        community.items.append(query)
        if truth:
            community.truths[thread.thread_id] = truth
        for reply in thread.replies:
            solved = reply.ts == thread.solved_by
            community.items.append(Reply(thread.thread_id, reply.author, reply.text, reply.posted_at, solved))
    community.items.sort(key=lambda item: (item.created, not isinstance(item, Query)))
    return community


def _config(url: str, domain: bool) -> Any:
    return config_from_dict(
        {
            "database": {"url": url},
            "bot": {"log_format": "text"},
            "matching": {"domain_vocabulary": domain},
        }
    )


def prepare(community: Community, source: Path, workdir: Path, domain: bool) -> None:
    """Import the first 80 % once; each replay starts from a copy."""
    target = workdir / f"{community.name}-{'domain' if domain else 'general'}.db"
    config = _config(f"sqlite:///{target}", domain)
    store = Store.open(config.database.url)
    archive = read_history(source)
    import_history(store, replace(archive, threads=tuple(community.train)), vocabulary(config, store))
    store.close()
    community.database[domain] = target


@dataclass
class Outcome:
    """What one replay gave, per question with a known answerer."""

    community: str
    rankings: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # method -> id -> ranking
    routes: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # method -> id -> asked
    samples: list[tuple[list[tuple[float, ...]], list[bool]]] = field(default_factory=list)  # for fitting
    elapsed: list[float] = field(default_factory=list)
    taken_in: list[float] = field(default_factory=list)  # ms per reply: recorded and indexed
    most_asks: dict[str, int] = field(default_factory=dict)
    services: Services | None = None


def replay(community: Community, workdir: Path, model: Model, domain: bool, tag: str) -> Outcome:
    copy = workdir / f"{community.name}-{tag}.db"
    shutil.copyfile(community.database[domain], copy)
    config = _config(f"sqlite:///{copy}", domain)
    services = build_services(config, Store.open(config.database.url))
    services.matcher.model = model
    services.matcher.refresh()  # the indexes built at start, as `entraide match` does before its first need
    services.matcher.warm_up()  # and, as `match --batch` does, what the first need would wait for
    baselines = LiveBaselines(services.config.routing.weekly_ask_cap)
    for thread in community.train:
        baselines.thread(thread.thread_id, thread.root.text, thread.root.author, thread.root.posted_at)
        for reply in thread.replies:
            baselines.reply(thread.thread_id, reply.author, reply.text, reply.posted_at)
    # And, as it does, their long-lived objects kept out of the collector's full passes (each
    # stalled a question by 50-200 ms); let go at the end, for the next replay's. The baselines'
    # history is frozen with them: no process of Entraide holds it, and left to the collector
    # it made each full pass during the replay stall a question by up to 13 ms.
    gc.freeze()
    try:
        return _replay(community, services, baselines)
    finally:
        gc.unfreeze()


def _replay(community: Community, services: Services, baselines: LiveBaselines) -> Outcome:
    outcome = Outcome(community.name, services=services)
    for method in ("entraide", "active", "lately", "bm25"):
        outcome.rankings[method] = {}
    for method in ("entraide", "lately", "oracle"):
        outcome.routes[method] = {}
    queries = {q.id: q for q in community.queries}
    matcher = BatchMatcher(services, limit=POOL, features=True)
    # As BatchMatcher.run does, one item at a time, the baselines taking each in the same order.
    for item in community.items:
        if isinstance(item, LateReply):
            baselines.reply(item.thread.thread_id, item.author, item.text, item.created)
            started = time.perf_counter()
            _late(services, item)
            outcome.taken_in.append((time.perf_counter() - started) * 1000)
            continue
        if isinstance(item, Reply):
            baselines.reply(item.need, item.author, item.text, item.created)
            started = time.perf_counter()
            matcher.record(item)
            outcome.taken_in.append((time.perf_counter() - started) * 1000)
            continue
        query, truth = item, community.truths.get(item.id)
        if truth is not None:
            asker, at = query.asker, query.created
            outcome.rankings["active"][query.id] = baselines.most_active(asker, DEPTH)
            outcome.rankings["lately"][query.id] = baselines.most_active_lately(asker, DEPTH)
            outcome.rankings["bm25"][query.id] = baselines.bm25(query.text, at, asker, DEPTH)
            outcome.routes["lately"][query.id] = baselines.route_lately(at, asker)
            outcome.routes["oracle"][query.id] = baselines.route_oracle(truth, at)
        baselines.thread(query.id, query.text, query.asker, query.created)
        line = matcher.match(query, live=True)
        outcome.elapsed.append(line["elapsed_ms"])
        if truth is None:
            continue
        ranking = [next(iter(c["handles"].values()), "") for c in line["candidates"]]
        outcome.rankings["entraide"][query.id] = ranking[:DEPTH]
        outcome.routes["entraide"][query.id] = line["route"]
        # Kept as tuples of floats, which the cycle collector stops tracking: lists kept for
        # the whole run made its passes longer at every later question (10-17 ms stalls).
        outcome.samples.append(
            ([tuple(c["features"]) for c in line["candidates"]], [who in truth for who in ranking])
        )
    outcome.most_asks["entraide"] = _most_weekly(outcome.routes["entraide"], queries)
    outcome.most_asks["lately"] = baselines.lately_route.most
    outcome.most_asks["oracle"] = baselines.oracle_route.most
    return outcome


def _late(services: Services, reply: LateReply) -> None:
    """A late reply to an imported thread, recorded as the live bot records one (Store.record_reply)."""
    store, thread = services.store, reply.thread
    author = store.find_person_by_handle(reply.author) or store.person_for(
        "slack", reply.author, at=reply.created
    )
    asker = store.find_person_by_handle(thread.root.author)
    assert author.id is not None
    key = ReplyThread(
        source=thread.source,
        external_id=thread.thread_id,
        text=thread.root.text,
        asker_id=asker.id if asker else None,
        channel=thread.channel,
        created_at=thread.root.posted_at,
        public=thread.public,
        skills=[],
    )
    store.record_reply(key, author.id, reply.text, reply.created, solved=reply.solved)
    services.matcher.refresh()  # taken in as it arrives, as BatchMatcher.record does


def _most_weekly(routes: dict[str, list[str]], queries: dict[str, Query]) -> int:
    from bench.baselines import Ledger

    ledger = Ledger(cap=10**9)
    for qid in sorted(routes, key=lambda q: queries[q].created):
        ledger.ask(routes[qid], queries[qid].created)
    return ledger.most


def foreign(
    outcome: Outcome, community: Community, others: list[Community], count: int
) -> tuple[list[float], list[list[list[float]]]]:
    """Questions of other communities, matched here at the end of the replay: 1.0 for each that
    would have someone asked, and the candidates' features (for tuning the relevance gate)."""
    services = outcome.services
    assert services is not None
    matcher = services.matcher
    at = max(item.created for item in community.items)
    asked, features = [], []
    for other in others:
        for query in other.queries[:count]:
            when = at
            match = matcher.rank(query.text, matcher.recognise(query.text), None, when)
            asked.append(1.0 if any(c.relevant for c in match.candidates) else 0.0)
            features.append([[round(f, 4) for f in c.features] for c in match.candidates[:DEPTH]])
    return asked, features
