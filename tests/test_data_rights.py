"""People own their data (issue #12): erasure that lasts (old events and imports do not bring
the erased back; thanks they gave stay, anonymised), export-me as a file or in parts, `why`,
`optout dms`, and no record of people who only react or are mentioned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select

from bot.chat.events import AboutKind, ButtonPress, Capabilities, EventKind, Reply, UserRef
from bot.chat.pipeline import Pipeline
from bot.commands.rights import split_parts
from bot.matching.candidates import Match
from skills_db.importers.history import import_archive
from skills_db.importers.model import HistoryArchive, HistoryMessage, HistoryThread, HistoryUser
from skills_db.importers.profiles import Profile, import_profiles
from skills_db.storage.models import (
    ClaimSource,
    ErasedIdentity,
    HelpReply,
    HelpThread,
    OutboxMessage,
    Person,
    ProcessedEvent,
    SkillClaim,
    Thanks,
)
from skills_db.storage.store import Store
from tests.support import MemoryAdapter, event, make_services, pipeline_for, run_console
from tests.test_export import exported_text

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
FREEZER = "How do I defrost the walk-in freezer compressor without losing the stock?"


def count(store: Store, model: type, *where: object) -> int:
    with store.session() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(session.exec(query).one())


def message(ts: str, author: str, text: str, days_ago: float) -> HistoryMessage:
    return HistoryMessage(ts, author, text, (), NOW - timedelta(days=days_ago), ())


def old_history() -> HistoryArchive:
    """Threads from before Bob was forgotten: one he asked, one he solved, one he never saw."""
    users = {
        h: HistoryUser(h, h.title(), h.title(), "Terraform" if h == "bob" else "", None, False, False)
        for h in ("bob", "carol", "dana")
    }
    asked = HistoryThread(
        "jsonl",
        "help",
        "t1",
        message("1", "bob", "terraform state lock stuck on the zephyr quokka bucket", 30),
        (message("2", "carol", "force-unlock it", 29.9),),
        "2",
    )
    solved = HistoryThread(
        "jsonl",
        "help",
        "t2",
        message("3", "dana", "terraform plan hangs forever", 20),
        (message("4", "bob", "bob's secret: the provider cache", 19.9),),
        "4",
    )
    other = HistoryThread(
        "jsonl",
        "help",
        "t3",
        message("5", "dana", "terraform modules versioning?", 10),
        (message("6", "carol", "pin them", 9.9),),
        None,
    )
    return HistoryArchive("old.jsonl", users, (asked, solved, other), 0)


# -- forget-me lasts ----------------------------------------------------------------------------


async def test_forget_me_then_an_import_of_old_history_keeps_them_forgotten(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    store = services.store
    await run_console(services, "/as Bob\nskills add Terraform\n/as Carol\nskills add Go")
    assert store.find_person("console", "bob") is not None
    out = await run_console(services, "/as Bob\nforget-me confirm")
    assert "everything stored about you is erased" in out
    assert count(store, ErasedIdentity) == 1  # a hash, no handle
    with store.session() as session:
        assert "bob" not in json.dumps(
            [r.model_dump() for r in session.exec(select(ErasedIdentity))], default=str
        )

    report = import_archive(store, old_history(), services.matcher.recognise, "console")

    assert report.erased == 1 and report.threads == 2  # Bob's own question is not imported
    assert store.find_person("console", "bob") is None
    assert count(store, Person, col(Person.name) == "Bob") == 0
    assert count(store, HelpReply, col(HelpReply.text).contains("secret")) == 0
    assert count(store, HelpThread, col(HelpThread.text).contains("zephyr")) == 0
    assert count(store, HelpThread, col(HelpThread.solved_by_id).is_not(None)) == 0  # Bob solved t2
    carol, dana = store.find_person("console", "carol"), store.find_person("console", "dana")
    assert carol is not None and dana is not None
    people = {carol.id, dana.id}
    assert count(store, SkillClaim, col(SkillClaim.person_id).not_in(people)) == 0  # no claim of Bob's
    assert count(store, Thanks) == 0  # t2's thanks would have gone to Bob

    imported, skipped = import_profiles(
        store,
        [Profile("bob", "Bob", ("Terraform",), None, None), Profile("erin", "Erin", (), None, None)],
        "console",
    )
    assert (imported, skipped) == (1, 1) and store.find_person("console", "bob") is None

    # Bob chooses to come back: a command makes him a new colleague, with nothing of before.
    out = await run_console(services, "/as Bob\nprofile")
    back = store.find_person("console", "bob")
    assert back is not None and "No skills yet." in out
    assert count(store, ErasedIdentity) == 0


async def test_forget_me_blanks_the_messages_kept_to_or_naming_them(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    store = services.store
    await run_console(
        services,
        "/as Bob\nskills add Terraform\n/as Carol\nneed terraform state locking\nthanks @bob for the lock",
    )

    def naming_bob() -> list[dict[str, object]]:
        with store.session() as session:
            replies = [m.reply for m in session.exec(select(OutboxMessage))]
        return [r for r in replies if '"handle": "bob"' in json.dumps(r)]

    assert len(naming_bob()) >= 3  # his own answers, Carol's request to him, his thanks notice
    await run_console(services, "/as Bob\nforget-me confirm")

    # Only the confirmation of the erasure itself, which must still reach him, names him.
    left = naming_bob()
    assert len(left) == 1 and "erased" in json.dumps(left[0])


async def test_old_events_of_a_forgotten_identity_do_not_bring_them_back(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, event("need help with terraform", "bob", message_id="m1"))
    await pipeline.handle(adapter, event("forget-me confirm", "bob"))
    sent = len(adapter.sent)
    replayed = [
        event("", "bob", kind=EventKind.REACTION, reaction="✅", thread="m1", target_message="m1"),
        event("? need help with terraform", "bob", kind=EventKind.MESSAGE, in_help_channel=True),
        event("", "bob", kind=EventKind.ACTION, action=ButtonPress("accept", 1)),
    ]
    for old in replayed:
        await pipeline.handle(adapter, old)
    assert services.store.find_person("memory", "bob") is None
    assert len(adapter.sent) == sent  # nothing said to them either
    await pipeline.handle(adapter, event("help", "bob"))  # they chose to come back
    assert services.store.find_person("memory", "bob") is not None


async def test_thanks_an_erased_person_gave_stay_the_helpers_from_a_former_colleague(
    database_url: str,
) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    store = services.store
    await run_console(
        services,
        "/as Bob\nskills add Kubernetes\n/as Alice\n"
        "thanks @bob for the kubernetes upgrade\nforget-me confirm",
    )
    bob = store.find_person("console", "bob")
    assert bob is not None and bob.id is not None
    (kept,) = store.thanks_received(bob.id)
    assert kept.from_person_id is None and kept.text == "" and kept.skills == ["Kubernetes"]
    assert len(store.help_given(NOW - timedelta(days=1), NOW + timedelta(days=1))) == 1  # still counts
    out = await run_console(services, "/as Bob\nprofile")
    assert "Thanks received: 1" in out and "a former colleague" in out and "Alice" not in out


# -- erasure on every instance -------------------------------------------------------------------


def examples(match: Match) -> list[str]:
    return [
        str(r.values["example"]) for c in match.candidates for r in c.reasons if r.key == "reason.similar"
    ]


async def test_right_after_forget_me_neither_instance_quotes_their_question(database_url: str) -> None:
    first = make_services(database_url, clock=lambda: NOW, routing={"mode": "suggest"})
    second = make_services(database_url, clock=lambda: NOW, routing={"mode": "suggest"})
    store = first.store
    alice = store.person_for("console", "alice", "Alice").id
    bob = store.person_for("console", "bob", "Bob").id
    assert alice and bob
    with store.session() as session:
        row = HelpThread(
            source="test", external_id="f", asker_id=alice, text=FREEZER, created_at=NOW - timedelta(days=9)
        )
        session.add(row)
        session.flush()
        session.add(HelpReply(thread_id=row.id or 0, person_id=bob, text="manual defrost first", solved=True))
    need = "/as Erin\nneed the freezer compressor is icing up, how to defrost it?"
    for services in (first, second):
        assert "answered a similar question: “How do I defrost" in await run_console(services, need)

    await run_console(first, "/as Alice\nforget-me confirm")

    # No restart and no explicit refresh: each answer reads the change feed first.
    for services in (first, second):
        out = await run_console(services, need)
        assert "defrost the walk-in" not in out
        assert examples(services.matcher.rank("defrost the freezer compressor", [], None, NOW)) == []


# -- no record of the silent --------------------------------------------------------------------


async def test_a_reaction_from_someone_who_never_used_entraide_stores_nothing(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    for reaction in ("+1", "✅", "-1"):
        await pipeline.handle(
            adapter, event("", "zed", kind=EventKind.REACTION, reaction=reaction, target_message="x1")
        )
    assert services.store.find_person("memory", "zed") is None
    assert count(services.store, ProcessedEvent) == 0 and adapter.sent == []


async def test_a_check_mark_on_the_reply_of_someone_unknown_solves_without_recording_them(
    database_url: str,
) -> None:
    services = make_services(database_url, clock=lambda: NOW, routing={"mode": "suggest"})
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, event("need terraform state locking", "alice", message_id="m1"))
    yann = UserRef("memory", "yann", "Yann")
    await pipeline.handle(
        adapter,
        event(
            "",
            "alice",
            kind=EventKind.REACTION,
            reaction="✅",
            thread="m1",
            target_message="m2",
            target_author=yann,
        ),
    )
    assert adapter.sent[-1].plain == (
        "Marked as solved: “terraform state locking”. "
        "@Yann has not used Entraide yet, so their help was not recorded."
    )
    assert services.store.find_person("memory", "yann") is None
    assert count(services.store, Person) == 1


async def test_mentioning_someone_unknown_records_nothing_and_says_so(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    bob = UserRef("memory", "bob", "Bob")
    for line in ("thanks @bob for the terraform help", "endorse @bob terraform", "profile @bob"):
        await pipeline.handle(adapter, event(line, "alice", mentions=(bob,)))
        assert adapter.sent[-1].plain.startswith("@Bob has not used Entraide yet, so nothing was recorded")
    assert services.store.find_person("memory", "bob") is None
    # Someone known from imported history is known: thanked as anyone.
    services.store.person_for("memory", "bob", "Bob")
    await pipeline.handle(adapter, event("thanks @bob for the terraform help", "alice", mentions=(bob,)))
    assert any(r.plain == "Thanks recorded for @Bob." for r in adapter.sent)


# -- export-me -----------------------------------------------------------------------------------


async def test_export_me_is_a_json_file_by_dm_where_files_can_be_sent(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter(capabilities=Capabilities(threads=True, ephemeral=True, files=True))
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, event("skills add Rust", "alice"))
    await pipeline.handle(adapter, event("export-me", "alice", conversation="general"))
    reply = adapter.sent[-1]
    assert (
        reply.to == UserRef("memory", "alice", "Alice") and not reply.ephemeral and reply.conversation is None
    )
    assert reply.attachment is not None and reply.attachment.mime == "application/json"
    assert reply.attachment.filename == "entraide-export.json"
    assert reply.plain.startswith("Everything stored about you is in the attached entraide-export.json")
    person = services.store.find_person("memory", "alice")
    assert person is not None and person.id is not None
    assert json.loads(reply.attachment.data) == json.loads(
        json.dumps(services.store.export_person(person.id), default=str)
    )


async def test_export_me_comes_in_numbered_parts_where_no_file_can_be_sent(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter(capabilities=Capabilities(threads=True, ephemeral=True, max_text=1200))
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, event("skills add " + ", ".join(f"Skill{n}" for n in range(40)), "alice"))
    before = len(adapter.sent)
    await pipeline.handle(adapter, event("export-me", "alice"))
    messages = [r.plain for r in adapter.sent[before:]]
    assert len(messages) > 2 and all(len(m) < 1200 for m in messages)
    assert messages[0].startswith(f"Everything stored about you, part 1/{len(messages)}:\n{{")
    data = json.loads(exported_text(messages))
    assert len(data["skill_claims"]) == 40


def test_parts_put_end_to_end_give_the_text_back() -> None:
    text = "a\n" * 50 + "x" * 130 + "\nend"
    parts = split_parts(text, 40)
    assert "".join(parts) == text and all(len(p) <= 40 for p in parts)


# -- why -----------------------------------------------------------------------------------------


async def asked_need(database_url: str) -> tuple[Pipeline, MemoryAdapter, list[Reply]]:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    for who in ("bob", "carol"):
        person = services.store.person_for("memory", who, who.title())
        assert person.id is not None
        services.store.add_claim(person.id, "Terraform", ClaimSource.HELPED, at=NOW - timedelta(days=3))
    services.matcher.refresh()
    await pipeline.handle(adapter, event("need help with terraform state locking", "alice"))
    requests = [r for r in adapter.sent if r.about and r.about.kind is AboutKind.ASK]
    return pipeline, adapter, requests


async def test_why_tells_the_asker_the_evidence_without_naming_who_did_not_accept(database_url: str) -> None:
    pipeline, adapter, requests = await asked_need(database_url)
    assert {r.to.handle for r in requests if r.to} == {"bob", "carol"}
    await pipeline.handle(adapter, event("accept", "bob"))
    await pipeline.handle(adapter, event("why 1", "alice"))
    answer = adapter.sent[-1].plain
    assert answer.startswith("Need #1:\nSkills I recognised: Terraform.")
    assert "• @Bob accepted — helped once with Terraform" in answer
    assert "One other colleague was asked; they are named only if they accept." in answer
    assert "Carol" not in answer
    await pipeline.handle(adapter, event("pourquoi 1", "alice"))
    assert adapter.sent[-1].plain == answer


async def test_why_tells_a_colleague_asked_the_reasons_of_their_request(database_url: str) -> None:
    pipeline, adapter, requests = await asked_need(database_url)
    (to_carol,) = [r for r in requests if r.to and r.to.handle == "carol"]
    ask_id = to_carol.about.id if to_carol.about else 0
    await pipeline.handle(adapter, event(f"why {ask_id}", "carol"))
    by_ask = adapter.sent[-1].plain
    reasons = "you helped once with Terraform, in the last 90 days"
    assert by_ask == f"Request #{ask_id} (need #1): I thought of you because {reasons}."
    assert f"I thought of you because {reasons}." in to_carol.plain  # as the request said
    await pipeline.handle(adapter, event("why 1", "carol"))  # the need's number works too
    assert adapter.sent[-1].plain == by_ask
    for who, line in (("dana", "why 1"), ("alice", "why 99")):
        await pipeline.handle(adapter, event(line, who))
        assert adapter.sent[-1].plain == f"No such need of yours: #{line.split()[1]}."
    await pipeline.handle(adapter, event("why soon", "alice"))
    assert "“soon” is not a need or request number." in adapter.sent[-1].plain


# -- optout dms ----------------------------------------------------------------------------------


async def test_optout_dms_takes_effect_at_once(database_url: str) -> None:
    services = make_services(database_url, clock=lambda: NOW)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    for who in ("bob", "carol"):
        person = services.store.person_for("memory", who, who.title())
        assert person.id is not None
        services.store.add_claim(person.id, "Terraform", ClaimSource.HELPED, at=NOW - timedelta(days=3))
    services.matcher.refresh()
    await pipeline.handle(adapter, event("optout dms", "bob"))
    assert adapter.sent[-1].plain.startswith("Done: I will send you no private message you did not ask for")

    def to_bob_since(start: int) -> list[Reply]:
        return [r for r in adapter.sent[start:] if r.to and r.to.handle == "bob"]

    start = len(adapter.sent)
    await pipeline.handle(adapter, event("need help with terraform state locking", "alice"))
    await pipeline.handle(adapter, event("thanks @bob for the terraform review", "alice"))
    await pipeline.handle(adapter, event("endorse @bob terraform", "alice"))
    assert to_bob_since(start) == []  # not asked, not told of thanks or endorsements
    assert any(r.to and r.to.handle == "carol" for r in adapter.sent[start:])  # carol was asked
    await pipeline.handle(adapter, event("profile", "bob"))  # his own commands are answered
    assert "You get no private message you did not ask for" in adapter.sent[-1].plain

    await pipeline.handle(adapter, event("optin dms", "bob"))
    start = len(adapter.sent)
    await pipeline.handle(adapter, event("need terraform modules pinning", "dana"))
    assert [r.about.kind for r in to_bob_since(start) if r.about] == [AboutKind.ASK]


def test_the_same_identity_hash_needs_the_same_salt(sqlite_url: str) -> None:
    from skills_db.storage.erasure import identity_hash

    assert identity_hash("s1", "slack", "U1") == identity_hash("s1", "slack", "U1")
    assert identity_hash("s1", "slack", "U1") != identity_hash("s2", "slack", "U1")
    assert identity_hash("s1", "slack", "U1") != identity_hash("s1", "matrix", "U1")
    store = make_services(sqlite_url).store
    salt = store.erasure_salt()
    assert len(salt) == 64 and store.erasure_salt() == salt  # generated once, then kept
    assert store.erasure_salt("configured") == "configured"
