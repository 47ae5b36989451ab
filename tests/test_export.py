"""`export-me`: the documented layout (docs/export.md), the same text for the same data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skills_db.storage.models import ClaimSource, Need, Offer, ShoutoutPick, Thanks
from skills_db.storage.store import Store
from tests.support import MemoryAdapter, event, make_services, pipeline_for

DOC = Path(__file__).resolve().parent.parent / "docs" / "export.md"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def documented_layout() -> dict[str, list[str]]:
    """Section → its keys, in the order docs/export.md gives them."""
    sections = re.findall(r"^### `(\w+)`\n(?:(?!###).*\n)*?Keys: (.+)$", DOC.read_text("utf-8"), re.MULTILINE)
    return {name: re.findall(r"`(\w+)`", keys) for name, keys in sections}


def exported_text(messages: list[str]) -> str:
    """The JSON of an export sent as text: one message, or numbered parts put end to end."""
    if len(messages) == 1:
        head, _, body = messages[0].partition("\n")
        assert head == "Everything stored about you:", messages[0][:80]
        return body
    parts = []
    for number, message in enumerate(messages, 1):
        head, _, body = message.partition("\n")
        assert head == f"Everything stored about you, part {number}/{len(messages)}:", head
        parts.append(body)
    return "".join(parts)


def seed_everything(store: Store) -> int:
    """A person with at least one row in every section of an export; their id."""
    me = store.person_for("memory", "me", "Me", at=T0).id
    other = store.person_for("memory", "other", "Other", at=T0).id
    assert me and other
    store.link_identity(me, "slack", "U0ME", "Me")
    store.add_claim(me, "Rust", ClaimSource.DECLARED, at=T0)
    store.add_claim(me, "Go", ClaimSource.DECLARED, at=T0)
    store.add_learning_goal(me, "Haskell")

    def need(person: int, text: str) -> int:
        row = Need(person_id=person, text=text, skills=["Rust"], platform="memory", conversation="g")
        created = store.create_need(row)
        assert created.id is not None
        return created.id

    mine, theirs = need(me, "help with rust lifetimes"), need(other, "rust borrow checker")
    store.solve_need(mine, other, at=T0 + timedelta(hours=1))  # a help thread I asked
    store.create_asks(theirs, [(me, [{"key": "declared", "values": {"skills": "Rust"}}])], at=T0)
    store.solve_need(theirs, me, at=T0 + timedelta(hours=2))  # my reply in a help thread
    week = T0 + timedelta(days=7)
    store.create_offer(Offer(person_id=me, text="Rust", skills=["Rust"], created_at=T0, expires_at=week))
    # A row stored before others yet numbered after them: on PostgreSQL, rows come back in their
    # physical order (which updates and vacuum reshuffle) unless the export orders them.
    store.add_thanks(Thanks(id=900, from_person_id=other, to_person_id=me, text="early", created_at=T0))
    store.add_thanks(Thanks(from_person_id=other, to_person_id=me, need_id=theirs, text="great"))
    store.add_thanks(Thanks(from_person_id=me, to_person_id=other, need_id=mine, text="merci"))
    store.audit(me, "admin audit", at=T0, count=5)
    store.endorse(other, me, "Rust", at=T0)
    store.endorse(me, other, "Rust", at=T0)
    week_row = store.claim_shoutout("slack:C1", "2026-W45", "posted", T0 - timedelta(days=7), T0, "en", T0)
    assert week_row is not None and week_row.id is not None
    store.add_picks(
        [ShoutoutPick(shoutout_id=week_row.id, person_id=me, rank=1, outcome="featured", helped=2)]
    )
    return me


def test_the_export_has_the_documented_sections_and_keys_in_order(database_url: str) -> None:
    services = make_services(database_url)
    exported = services.store.export_person(seed_everything(services.store))
    layout = documented_layout()
    assert list(layout)[:2] == ["person", "identities"]  # the page was read
    assert list(exported) == list(layout), "docs/export.md and Store.export_person disagree"
    assert list(exported["person"]) == layout["person"]
    for section, keys in layout.items():
        if section == "person":
            continue
        assert exported[section], f"the test data has no {section}"
        for row in exported[section]:
            assert list(row) == keys, f"{section}: docs/export.md lists {keys}, the export has {list(row)}"
        ids = [row["id"] for row in exported[section]]
        assert ids == sorted(ids), f"{section} rows are not by id"


async def test_two_exports_of_the_same_data_are_byte_identical(database_url: str) -> None:
    services = make_services(database_url)
    seed_everything(services.store)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)

    async def export(who: str) -> str:
        before = len(adapter.sent)
        await pipeline.handle(adapter, event("export-me", who))
        return exported_text([reply.plain for reply in adapter.sent[before:]])

    # A newcomer's first message creates them: that export is made of rows just written, the
    # next of rows read back; the text must not differ.
    assert await export("newcomer") == await export("newcomer")
    first = await export("me")
    for display in ("Changed", "Me"):  # rewritten, unchanged
        services.store.person_for("memory", "me", display)
    second = await export("me")
    assert second == first
    data = json.loads(first)
    assert [i["platform"] for i in data["identities"]] == ["memory", "slack"]
    ids = [t["id"] for t in data["thanks_received"]]
    assert len(ids) == 2 and ids == sorted(ids)
