"""Replies in a need's thread, learned live through the real pipeline (SQLite and PostgreSQL):
recorded once as evidence, as an imported reply is; the asker's own, those of people who
opted out of matching or asked to be forgotten, and a replayed event record nothing; a need
solved afterwards closes the same thread."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, func, select

from bot.chat.events import Event, EventKind, UserRef
from bot.chat.pipeline import Pipeline
from skills_db.storage.feed import ChangeKind
from skills_db.storage.models import ClaimSource, HelpReply, HelpThread, IndexChange, Person, SkillClaim
from skills_db.storage.replies import ReplyThread
from skills_db.storage.store import Store
from tests.support import MemoryAdapter, event, make_services, pipeline_for

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
HELP = "help"


def count(store: Store, model: type, *where: object) -> int:
    with store.session() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(session.exec(query).one())


def said(text: str, who: str, message_id: str, thread: str | None = None, **extra: object) -> Event:
    """A message in the help channel (in ``thread`` when given)."""
    return event(
        text,
        who,
        kind=EventKind.MESSAGE,
        conversation=HELP,
        in_help_channel=True,
        message_id=message_id,
        thread=thread,
        **extra,
    )


async def posted_need(database_url: str) -> tuple[Pipeline, MemoryAdapter, Store]:
    services = make_services(database_url, clock=lambda: NOW, routing={"mode": "suggest"})
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, said("anyone know terraform? the state lock is stuck", "alice", "m1"))
    assert services.store.find_need("memory", HELP, "m1") is not None
    return pipeline, adapter, services.store


async def test_a_reply_is_recorded_once_with_the_claims_of_an_imported_reply(database_url: str) -> None:
    pipeline, adapter, store = await posted_need(database_url)
    sent = len(adapter.sent)
    reply = said("run terraform force-unlock with the lock id", "carol", "m2", thread="m1")
    await pipeline.handle(adapter, reply)
    await pipeline.handle(adapter, reply)  # delivered twice (a retry): recorded once
    await pipeline.handle(adapter, said("then terraform plan again", "carol", "m3", thread="m1"))
    assert len(adapter.sent) == sent  # the bot says nothing to replies
    carol = store.find_person("memory", "carol")
    assert carol is not None and carol.name == "Carol"
    with store.session() as session:
        [thread] = session.exec(select(HelpThread)).all()
        texts = session.exec(select(HelpReply.text).order_by(col(HelpReply.id))).all()
        claims = session.exec(select(SkillClaim).where(SkillClaim.person_id == carol.id)).all()
        changed = session.exec(
            select(IndexChange.thread_id).where(IndexChange.kind == ChangeKind.THREAD_CHANGED)
        )
        assert list(changed) == [thread.id]  # her second reply: every instance reads the thread again
    assert (thread.source, thread.external_id, thread.public) == ("live", "need:1", True)
    assert thread.text == "anyone know terraform? the state lock is stuck"
    assert list(texts) == ["run terraform force-unlock with the lock id", "then terraform plan again"]
    # Two replies in one thread are one piece of help, as in an import.
    assert [(c.source, c.weight) for c in claims] == [(ClaimSource.IMPORTED, 1.0)]
    assert claims[0].ref is not None and claims[0].ref.startswith("reply:")


async def test_replies_that_are_no_evidence_record_nothing(database_url: str) -> None:
    pipeline, adapter, store = await posted_need(database_url)
    store.person_for("memory", "dave", "Dave")
    await pipeline.handle(adapter, event("optout matching", "dave"))
    people = count(store, Person)
    for reply in (
        said("still stuck, any idea?", "alice", "m2", thread="m1"),  # the asker
        said("terraform force-unlock", "dave", "m3", thread="m1"),  # opted out of matching
        said("lunch?", "erin", "m4"),  # in the channel, no need
        said("terraform is great", "erin", "m6", thread="m5"),  # in a thread that is no need's
    ):
        await pipeline.handle(adapter, reply)
    assert count(store, Person) == people
    assert store.find_person("memory", "erin") is None
    assert count(store, HelpReply) == 0 and count(store, HelpThread) == 0


async def test_an_erased_helper_replies_go_with_them_and_an_old_reply_does_not_bring_them_back(
    database_url: str,
) -> None:
    pipeline, adapter, store = await posted_need(database_url)
    await pipeline.handle(adapter, said("terraform force-unlock", "carol", "m2", thread="m1"))
    carol = store.find_person("memory", "carol")
    assert carol is not None and carol.id is not None
    store.forget_person(carol.id, store.erasure_salt())
    assert (
        count(store, HelpReply) == 0 and count(store, SkillClaim, col(SkillClaim.person_id) == carol.id) == 0
    )
    # A late delivery of another reply of hers: she is not created again.
    await pipeline.handle(adapter, said("also check the lock table", "carol", "m3", thread="m1"))
    assert store.find_person("memory", "carol") is None and count(store, HelpReply) == 0


async def test_a_check_mark_on_a_reply_solves_the_need_on_the_same_thread(database_url: str) -> None:
    pipeline, adapter, store = await posted_need(database_url)
    await pipeline.handle(adapter, said("terraform force-unlock", "carol", "m2", thread="m1"))
    await pipeline.handle(adapter, said("or wait for the lease", "bob", "m3", thread="m1"))
    carol = UserRef("memory", "carol", "Carol")
    check = event(
        "",
        "alice",
        kind=EventKind.REACTION,
        reaction="✅",
        conversation=HELP,
        in_help_channel=True,
        thread="m1",
        target_message="m2",
        target_author=carol,
    )
    await pipeline.handle(adapter, check)
    # Known from her reply, the helper is credited (not "has not used Entraide yet").
    assert any("@Carol is credited" in r.plain for r in adapter.sent)
    with store.session() as session:
        [thread] = session.exec(select(HelpThread)).all()
        replies = session.exec(
            select(HelpReply.person_id, HelpReply.solved).order_by(col(HelpReply.id))
        ).all()
    helper = store.find_person("memory", "carol")
    bob = store.find_person("memory", "bob")
    assert helper is not None and bob is not None
    assert thread.solved_by_id == helper.id
    assert list(replies) == [(helper.id, True), (bob.id, False)]


def test_record_reply_finds_the_thread_by_its_key_and_ignores_the_asker(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        asker = store.person_for("memory", "amy", "Amy").id
        helper = store.person_for("memory", "zoe", "Zoe").id
        ada = store.person_for("memory", "ada", "Ada").id
        assert asker is not None and helper is not None and ada is not None
        thread = ReplyThread("batch", "q1", "terraform state lock", asker, "", NOW, True, ["Terraform"])
        assert store.record_reply(thread, asker, "me again", NOW) == 0
        first = store.record_reply(thread, helper, "force-unlock", NOW)
        solving = store.record_reply(thread, helper, "or wait", NOW, solved=True)
        other = store.record_reply(thread, ada, "wait for the lease", NOW, solved=True)
        assert 0 < first < solving < other
        with store.session() as session:
            [row] = session.exec(select(HelpThread)).all()
            claims = session.exec(
                select(SkillClaim.person_id, SkillClaim.weight, SkillClaim.ref).order_by(col(SkillClaim.id))
            ).all()
        assert row.solved_by_id == ada and row.skills == ["Terraform"]
        # One claim per person and thread ("you answered 1 question"), the solving one weighs more.
        assert list(claims) == [(helper, 1.0, f"reply:{first}"), (ada, 2.0, f"reply:{other}")]
    finally:
        store.close()


async def test_a_direct_message_that_is_only_answered_records_nobody(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    for text in ("hello", "lol", "good morning, how are you"):
        await pipeline.handle(adapter, event(text, "zoe", kind=EventKind.MESSAGE, is_direct=True))
    assert len(adapter.sent) == 3  # each answered
    assert count(services.store, Person) == 0
    await pipeline.handle(
        adapter, event("skills add Terraform", "zoe", kind=EventKind.MESSAGE, is_direct=True)
    )
    zoe = services.store.find_person("memory", "zoe")
    assert zoe is not None and count(services.store, Person) == 1  # a command: now she uses Entraide
    # Forgotten, she is not brought back by a greeting, only by using Entraide again.
    services.store.forget_person(zoe.id or 0, services.store.erasure_salt())
    await pipeline.handle(adapter, event("hi", "zoe", kind=EventKind.MESSAGE, is_direct=True))
    assert services.store.is_erased("", "memory", "zoe") and count(services.store, Person) == 0
    await pipeline.handle(adapter, event("skills add Go", "zoe", kind=EventKind.MESSAGE, is_direct=True))
    assert not services.store.is_erased("", "memory", "zoe") and count(services.store, Person) == 1


async def test_a_reply_is_in_the_indexes_once_handled_before_any_need_asks(database_url: str) -> None:
    pipeline, adapter, store = await posted_need(database_url)
    matcher = pipeline.services.matcher
    await pipeline.handle(
        adapter, said("run terraform force-unlock with the lock id", "carol", "m2", thread="m1")
    )
    carol = store.find_person("memory", "carol")
    assert carol is not None and carol.id is not None
    # Nothing ranked since: the reply's own handling took it in (not the next need's).
    assert carol.id in matcher.answers.people("force-unlock the lock id", NOW, set())


async def test_a_reply_stays_recorded_when_taking_it_in_fails(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline, adapter, store = await posted_need(database_url)
    sent = len(adapter.sent)

    def broken() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(pipeline.services.matcher, "refresh", broken)
    await pipeline.handle(
        adapter, said("run terraform force-unlock with the lock id", "carol", "m2", thread="m1")
    )
    assert len(adapter.sent) == sent  # no "something went wrong": the reply was kept
    assert count(store, HelpReply) == 1
    assert "index refresh failed" in caplog.text
