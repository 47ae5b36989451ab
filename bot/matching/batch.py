"""`entraide match`: rank colleagues for one need, or replay a file of needs as if live."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.chat.context import Services
from bot.matching.candidates import Candidate, Reason
from bot.matching.reasons import explain
from skills_db.importers.model import HistoryFileError

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    asker: str | None
    created: datetime


def read_queries(path: str | Path) -> list[Query]:
    """One JSON object per line: {"id", "text", "asker", "created"}; errors name the line."""
    queries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                created = datetime.fromisoformat(str(obj["created"]).replace("Z", "+00:00"))
                if created.tzinfo is None:
                    created = created.replace(tzinfo=UTC)
                queries.append(Query(str(obj["id"]), str(obj["text"]), obj.get("asker"), created))
            except (ValueError, KeyError, TypeError) as error:
                raise HistoryFileError(str(path), str(number), f"bad query: {error}", kind="line") from None
    return queries


class BatchMatcher:
    """Matches queries in time order, keeping its own ledger of asks so weekly caps apply."""

    def __init__(self, services: Services, limit: int = 10) -> None:
        self.services = services
        self.limit = limit
        self._asks: deque[tuple[datetime, int]] = deque()

    def run(self, queries: list[Query]) -> Iterator[dict[str, Any]]:
        for query in sorted(queries, key=lambda q: q.created):
            yield self.match(query, live=True)

    def match(self, query: Query, *, live: bool) -> dict[str, Any]:
        started = time.perf_counter()
        services = self.services
        store, matcher = services.store, services.matcher
        asker = store.find_person_by_handle(query.asker) if query.asker else None
        skills = matcher.recognise(query.text)
        result = matcher.rank(query.text, skills, asker.id if asker else None, query.created)
        route: list[Candidate] = []
        if live:
            while self._asks and self._asks[0][0] <= query.created - WEEK:
                self._asks.popleft()
            counts: dict[int, int] = {}
            for _when, person in self._asks:
                counts[person] = counts.get(person, 0) + 1
            route = matcher.route(result, query.created, asks_this_week=counts)
            self._asks.extend((query.created, c.person_id) for c in route)
        else:
            route = matcher.route(result, query.created)
        shown = list(result.candidates[: self.limit])
        handles = store.identities_for([c.person_id for c in shown + route])
        elapsed = (time.perf_counter() - started) * 1000

        def handle_map(person_id: int) -> dict[str, str]:
            return {i.platform: i.handle for i in handles.get(person_id, [])}

        def first_handle(person_id: int) -> str:
            mapping = handle_map(person_id)
            return next(iter(mapping.values()), str(person_id))

        catalog, language = services.catalog, services.config.bot.language
        label = matcher.taxonomy.label

        def said(reason: Reason) -> str:
            return explain(catalog, [reason], language, person="them", label=label)

        return {
            "id": query.id,
            "skills": list(result.skills),
            "candidates": [
                {
                    "person": c.person_id,
                    "name": c.name,
                    "handles": handle_map(c.person_id),
                    "score": c.score,
                    "relevant": c.relevant,
                    "weak": c.weak,
                    "reasons": [said(r) for r in c.reasons],
                }
                for c in shown
            ],
            "route": [first_handle(c.person_id) for c in route],
            "elapsed_ms": round(elapsed, 2),
        }
