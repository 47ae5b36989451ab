"""How many SQL statements, and connections taken from the pool, one need costs.

Two paths, each on a fresh SQLite database and on a fresh PostgreSQL one (on the test server,
dropped after; skipped with a message when there is none):

- live, end to end through the pipeline: a need matched to three colleagues, each asked
  privately — the unit of work that records the need, its asks, their expiry tasks and the
  outbox rows, then the delivery records;
- `entraide match --batch`: one need of a stream matched and routed (BatchMatcher.match).

Counted with SQLAlchemy's ``before_cursor_execute`` and the pool's ``checkout`` events. On
PostgreSQL a transaction also costs BEGIN and COMMIT, and a checkout the pool's ping if the
connection sat idle more than 5 s (:mod:`skills_db.storage.liveness`); the reads of
``Database.reading`` need neither (one autocommit connection, just used).

Run: ``python -m bench.statements``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import event as sa_event

from bench.scale_phases import postgres_database
from bot.chat.context import Services
from bot.chat.events import AboutKind
from bot.chat.pipeline import Pipeline
from bot.matching.batch import BatchMatcher, Query
from tests.support import MemoryAdapter, event, make_services


def _counting(services: Services) -> tuple[dict[str, int], Callable[[], None]]:
    counts = {"statements": 0, "connections": 0}

    def statement(*_: object) -> None:
        counts["statements"] += 1

    def checkout(*_: object) -> None:
        counts["connections"] += 1

    engine = services.store.engine
    sa_event.listen(engine, "before_cursor_execute", statement)
    sa_event.listen(engine.pool, "checkout", checkout)

    def stop() -> None:
        sa_event.remove(engine, "before_cursor_execute", statement)
        sa_event.remove(engine.pool, "checkout", checkout)

    return counts, stop


async def measure(url: str) -> dict[str, dict[str, int]]:
    services = make_services(url, routing={"ask_count": 3})
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    for who in ("bob", "carol", "dave", "erin"):
        await pipeline.handle(adapter, event("skills add SQL", who))
    await pipeline.handle(adapter, event("need warm up", "zed"))  # first need: indexes built
    live, stop = _counting(services)
    before = len(adapter.sent)
    await pipeline.handle(adapter, event("need a slow SQL query", "alice", message_id="m1"))
    stop()
    sent = adapter.sent[before:]
    live["asks sent"] = sum(1 for r in sent if r.about and r.about.kind is AboutKind.ASK)
    live["messages sent"] = len(sent)
    batch = BatchMatcher(services)
    at = datetime.now(UTC)
    batch.match(Query("warm", "SQL warm up", "zed", at), live=True)  # statements compiled
    found, stop = _counting(services)
    line = batch.match(Query("q1", "a slow SQL query", "alice", at), live=True)
    stop()
    found["people asked"] = len(line["route"])
    services.store.close()
    return {"live need (pipeline)": live, "match --batch need": found}


def _print(engine: str, results: dict[str, dict[str, int]]) -> None:
    for path, counts in results.items():
        print(f"{path}, {engine}")
        for name, value in counts.items():
            print(f"  {name:<30}{value:>8}")


def main() -> None:
    folder = tempfile.mkdtemp(prefix="entraide-statements-")
    _print("SQLite", asyncio.run(measure(f"sqlite:///{folder}/bench.db")))
    try:
        with postgres_database() as url:
            _print("PostgreSQL", asyncio.run(measure(url)))
    except Exception as error:  # no server here: the SQLite figures stand alone
        print(f"PostgreSQL: not measured ({type(error).__name__})")


if __name__ == "__main__":
    main()
