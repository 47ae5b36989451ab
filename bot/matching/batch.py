"""`entraide match`: rank colleagues for one need, or replay a file of needs as if live."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.chat.context import Services
from bot.matching.asking import asked_later
from bot.matching.candidates import Candidate, Match, Reason
from bot.matching.reasons import explain
from skills_db.importers.model import HistoryFileError
from skills_db.storage.replies import ReplyThread

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    asker: str | None
    created: datetime
    channel: str = ""  # where it was asked (optional): people answer in some channels more


@dataclass(frozen=True)
class Reply:
    """A reply in a need's thread: evidence, taken in when the stream reaches its time."""

    need: str
    author: str
    text: str
    created: datetime
    solved: bool = False


Item = Query | Reply


def in_time_order(items: Iterable[Item]) -> list[Item]:
    """Stable by time; at equal times a need comes before the replies to it."""
    return sorted(items, key=lambda item: (item.created, isinstance(item, Reply)))


def read_stream(path: str | Path) -> list[Item]:
    """One JSON object per line: a need ({"type": "need"} or no type: "id", "text", "asker",
    "created") or a reply ({"type": "reply", "need", "author", "text", "created", "solved"}).

    Errors name the line; a reply must follow its need in time (nothing is matched before the
    whole file reads well).
    """
    items: list[Item] = []
    lines: dict[int, int] = {}  # id(item) → its line
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = _item(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise HistoryFileError(str(path), str(number), f"bad line: {error}", kind="line") from None
            items.append(item)
            lines[id(item)] = number
    seen: set[str] = set()
    for item in in_time_order(items):
        if isinstance(item, Query):
            seen.add(item.id)
        elif item.need not in seen:
            problem = f"reply to need {item.need!r}, which no earlier line posted"
            raise HistoryFileError(str(path), str(lines[id(item)]), problem, kind="line")
    return items


def read_queries(path: str | Path) -> list[Query]:
    """The needs of a stream only (its replies left out)."""
    return [item for item in read_stream(path) if isinstance(item, Query)]


def _item(obj: dict[str, Any]) -> Item:
    kind = obj.get("type", "need")
    created = datetime.fromisoformat(str(obj["created"]).replace("Z", "+00:00"))
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    if kind == "need":
        channel = obj.get("channel") or ""
        return Query(str(obj["id"]), str(obj["text"]), obj.get("asker"), created, str(channel))
    if kind == "reply":
        solved = obj.get("solved", False)
        if not isinstance(solved, bool):
            raise ValueError(f"'solved' must be true or false, not {solved!r}")
        return Reply(str(obj["need"]), str(obj["author"]), str(obj["text"]), created, solved)
    raise ValueError(f"unknown type {kind!r} (need or reply)")


@dataclass(frozen=True)
class _Seen:
    """What a reply to a need of the stream records its thread with."""

    query: Query
    asker_id: int | None
    skills: list[str]


class BatchMatcher:
    """Matches queries in time order, keeping its own ledger of asks so weekly caps apply, and
    takes in the replies of the stream as evidence when their time comes."""

    def __init__(
        self, services: Services, limit: int = 10, *, platform: str = "slack", features: bool = False
    ) -> None:
        self.services = services
        self.limit = limit
        self.features = features  # add each candidate's features (bot.matching.model) to the output
        self.platform = platform  # whose handles the stream's unknown authors are
        self._asks: deque[tuple[datetime, int]] = deque()
        self._needs: dict[str, _Seen] = {}

    def run(self, items: Iterable[Item]) -> Iterator[dict[str, Any]]:
        """One output line per need; a reply to a need not met before raises ValueError."""
        for item in in_time_order(items):
            if isinstance(item, Reply):
                self.record(item)
            else:
                yield self.match(item, live=True)

    def record(self, reply: Reply) -> int:
        """Record ``reply`` in its need's thread; its id, 0 when nothing was recorded."""
        seen = self._needs.get(reply.need)
        if seen is None:
            raise ValueError(f"reply to need {reply.need!r}, which the stream has not posted")
        if seen.query.asker is not None and reply.author == seen.query.asker:
            return 0  # the asker answering their own thread is not help given
        person = self._author(reply.author, reply.created)
        if person is None:
            return 0
        thread = ReplyThread(
            source="batch",
            external_id=seen.query.id,
            text=seen.query.text,
            asker_id=seen.asker_id,
            channel=seen.query.channel,
            created_at=seen.query.created,
            public=True,
            skills=seen.skills,
        )
        recorded = self.services.store.record_reply(
            thread, person, reply.text, reply.created, solved=reply.solved
        )
        # Into the indexes as it arrives, as the live bot takes a reply (Pipeline._handle): in
        # the reply's time, not at the next need's.
        self.services.matcher.refresh()
        return recorded

    def _author(self, handle: str, at: datetime) -> int | None:
        """The person behind ``handle``, created as import-history does; None, as live, for
        someone who asked to be forgotten or opted out of matching (their reply records nothing)."""
        store = self.services.store
        found = store.find_person_by_handle(handle)
        if found is None:
            salt = self.services.config.privacy.erasure_salt
            if store.erased_handles(salt, self.platform, [handle]):
                return None
            found = store.person_for(self.platform, handle, at=at)
        return None if found.matching_opt_out else found.id

    def match(self, query: Query, *, live: bool) -> dict[str, Any]:
        started = time.perf_counter()
        services = self.services
        store, matcher = services.store, services.matcher
        # One transaction for the need's reads: on PostgreSQL, a session each cost the pool's
        # ping, BEGIN and COMMIT besides its query (see Database.reading).
        with store.reading():
            asker_id = store.person_id_by_handle(query.asker) if query.asker else None
            skills = matcher.recognise(query.text)
            result = matcher.rank(query.text, skills, asker_id, query.created, channel=query.channel)
            if live:
                self._needs[query.id] = _Seen(query, asker_id, list(result.skills))
            route: list[Candidate] = []
            if live:
                while self._asks and self._asks[0][0] <= query.created - WEEK:
                    self._asks.popleft()
                counts: dict[int, int] = {}
                for _when, person in self._asks:
                    counts[person] = counts.get(person, 0) + 1
                route = matcher.route(result, query.created, asks_this_week=counts)
                waiting = self._waiting(result, route, counts, query.created)
                self._asks.extend((query.created, c.person_id) for c in route + waiting)
            else:
                route = matcher.route(result, query.created)
                waiting = []
            shown = list(result.candidates[: self.limit])
            handles = store.handles_for([c.person_id for c in shown + route + waiting])
        elapsed = (time.perf_counter() - started) * 1000

        def handle_map(person_id: int) -> dict[str, str]:
            return handles.get(person_id, {})

        def first_handle(person_id: int) -> str:
            mapping = handle_map(person_id)
            return next(iter(mapping.values()), str(person_id))

        catalog, language = services.catalog, services.config.bot.language
        label = matcher.taxonomy.label

        def said(reason: Reason) -> str:
            return explain(catalog, [reason], language, person="them", label=label)

        def described(c: Candidate) -> dict[str, Any]:
            found = {
                "person": c.person_id,
                "name": c.name,
                "handles": handle_map(c.person_id),
                "score": c.score,
                "relevant": c.relevant,
                "weak": c.weak,
                "reasons": [said(r) for r in c.reasons],
            }
            if c.available_at is not None:
                found["available_at"] = c.available_at.isoformat()
            if self.features:
                found["features"] = [round(f, 4) for f in c.features]
            return found

        return {
            "id": query.id,
            "skills": list(result.skills),
            "candidates": [described(c) for c in shown],
            "route": [first_handle(c.person_id) for c in route + waiting],
            "waiting": [first_handle(c.person_id) for c in waiting],
            "elapsed_ms": round(elapsed, 2),
        }

    def _waiting(
        self, match: Match, now: list[Candidate], counts: dict[int, int], at: datetime
    ) -> list[Candidate]:
        """Who is asked later, as the live bot plans it (bot.followup.routing): relevant people
        unavailable now (off hours, away) but back within ``wait_for_hours``, with room this week,
        for the places the asks sent now leave — and the best of all if none of those asked now is."""
        routing = self.services.config.routing
        taken = {c.person_id for c in now}
        wait = timedelta(hours=routing.wait_for_hours)
        soon = [
            c
            for c in match.candidates
            if c.relevant
            and c.person_id not in taken
            and c.available_at is not None
            and c.available_at - at <= wait
            and counts.get(c.person_id, 0) < routing.weekly_ask_cap
        ]
        best = next((c for c in match.candidates if c.relevant), None)
        return asked_later(soon, routing.ask_count - len(now), best, lambda found: found)
