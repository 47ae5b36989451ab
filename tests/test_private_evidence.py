"""A need asked in private counts as evidence of who helped, but its words reach nobody else
(issue #12, "no leaks"): the reasons of a later request or suggestion say a similar question
was answered, not what it said."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.chat.events import Reply
from skills_db.importers.history import import_archive
from skills_db.importers.model import HistoryArchive, HistoryMessage, HistoryThread, HistoryUser
from skills_db.storage.models import HelpThread, Thanks
from tests.support import MemoryAdapter, event, make_services, pipeline_for

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SECRET = "zorblax flux capacitor keeps overheating after the quarterly layoffs"


def said(replies: list[Reply]) -> str:
    return "\n".join(reply.plain for reply in replies)


async def _world(database_url: str, mode: str) -> tuple[MemoryAdapter, str]:
    services = make_services(database_url, clock=lambda: NOW, routing={"mode": mode})
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, event("profile", "bob"))  # Bob uses Entraide
    # Alice asks in a DM to the bot, and says Bob solved it: private help, on record.
    await pipeline.handle(adapter, event(f"need {SECRET}", "alice", is_direct=True, conversation="dm-alice"))
    await pipeline.handle(adapter, event("solved @bob", "alice", is_direct=True, conversation="dm-alice"))
    before = len(adapter.sent)
    # Carol asks about the same thing in the help channel.
    await pipeline.handle(
        adapter,
        event("need my zorblax flux capacitor is overheating", "carol", in_help_channel=True),
    )
    return adapter, said(adapter.sent[before:])


async def test_a_request_says_a_private_question_was_answered_without_quoting_it(database_url: str) -> None:
    adapter, after = await _world(database_url, "consent")
    to_bob = [r for r in adapter.sent if r.to is not None and r.to.handle == "bob"]
    assert to_bob, after  # Bob was asked, on the evidence of the private help
    assert "asked privately, so not quoted" in said(to_bob)
    assert "quarterly layoffs" not in after and "keeps overheating" not in after


async def test_a_public_suggestion_does_not_quote_a_private_question(database_url: str) -> None:
    _adapter, after = await _world(database_url, "suggest")
    assert "Bob" in after, after  # suggested, on that evidence
    assert "asked privately, so not quoted" in after
    assert "quarterly layoffs" not in after and "keeps overheating" not in after


async def test_thanks_said_in_private_show_their_words_to_the_person_thanked_only(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    for who in ("bob", "carol", "dana"):
        await pipeline.handle(adapter, event("profile", who))
    await pipeline.handle(
        adapter,
        event(
            "thanks @bob for the help with my divorce papers",
            "alice",
            is_direct=True,
            conversation="dm-alice",
        ),
    )
    await pipeline.handle(
        adapter, event("thanks @bob for the terraform review", "dana", in_help_channel=True)
    )
    before = len(adapter.sent)
    await pipeline.handle(adapter, event("profile @bob", "carol"))
    seen_by_carol = said(adapter.sent[before:])
    assert "Thanks received: 2" in seen_by_carol  # counted for everyone
    assert "terraform review" in seen_by_carol and "Dana" in seen_by_carol
    assert "divorce" not in seen_by_carol and "Alice" not in seen_by_carol

    before = len(adapter.sent)
    await pipeline.handle(adapter, event("profile", "bob"))
    assert "divorce" in said(adapter.sent[before:])  # Bob sees what was said to him


def test_history_imported_from_a_private_channel_stays_private(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    users = {h: HistoryUser(h, h.title(), h.title(), "", None, False, False) for h in ("ana", "ben")}
    root = HistoryMessage("1", "ana", "terraform state lock stuck again", (), NOW, ())
    reply = HistoryMessage("2", "ben", "force-unlock it", (), NOW, ())
    threads = tuple(
        HistoryThread("slack", channel, f"{channel}:1", root, (reply,), "2", public)
        for channel, public in (("help", True), ("secret", False))
    )
    import_archive(
        services.store, HistoryArchive("full.zip", users, threads, 0), services.matcher.recognise, "slack"
    )
    with services.store.session() as session:
        shown = {t.channel: t.public for t in session.exec(select(HelpThread))}
        thanked = sorted(t.public for t in session.exec(select(Thanks)))
    assert shown == {"help": True, "secret": False}
    assert thanked == [False, True]  # the private thread's thanks is not named in public either
