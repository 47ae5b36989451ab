"""How many SQL statements one need costs, end to end through the pipeline.

A need matched to three colleagues, each asked privately: the unit of work that records the
need, its asks, their expiry tasks and the outbox rows, then the delivery records. Counted with
SQLAlchemy's ``before_cursor_execute`` on a fresh SQLite database.

Run: ``python -m bench.statements``.
"""

from __future__ import annotations

import asyncio
import tempfile

from sqlalchemy import event as sa_event

from bot.chat.events import AboutKind
from bot.chat.pipeline import Pipeline
from tests.support import MemoryAdapter, event, make_services


async def measure() -> dict[str, int]:
    folder = tempfile.mkdtemp(prefix="entraide-statements-")
    services = make_services(f"sqlite:///{folder}/bench.db", routing={"ask_count": 3})
    pipeline, adapter = Pipeline(services), MemoryAdapter()
    for who in ("bob", "carol", "dave", "erin"):
        await pipeline.handle(adapter, event("skills add SQL", who))
    await pipeline.handle(adapter, event("need warm up", "zed"))  # first need: indexes built
    counts = {"statements": 0}

    def count(*_: object) -> None:
        counts["statements"] += 1

    sa_event.listen(services.store.engine, "before_cursor_execute", count)
    before = len(adapter.sent)
    await pipeline.handle(adapter, event("need a slow SQL query", "alice", message_id="m1"))
    sent = adapter.sent[before:]
    counts["asks sent"] = sum(1 for r in sent if r.about and r.about.kind is AboutKind.ASK)
    counts["messages sent"] = len(sent)
    services.store.close()
    return counts


def main() -> None:
    counts = asyncio.run(measure())
    print("one need, three colleagues asked (SQLite)")
    for name, value in counts.items():
        print(f"{name:<32}{value:>8}")


if __name__ == "__main__":
    main()
