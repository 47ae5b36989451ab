"""The store's behaviour, run unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from skills_db.storage import migrate
from skills_db.storage.database import make_engine
from skills_db.storage.models import AskStatus, ClaimSource, Need, NeedStatus, Offer, Thanks
from skills_db.storage.store import Store

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Store:
    opened = Store.open(database_url)
    yield opened  # type: ignore[misc]
    opened.close()


def test_migrations_reach_head_and_reapply_cleanly(store: Store) -> None:
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    migrate.upgrade(store.engine)  # a second start changes nothing
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_the_migrated_schema_is_the_models_schema(store: Store) -> None:
    # Tables, columns, indexes, constraints: what the migrations build is what the models say
    # (a model changed without its migration, or the reverse, shows here on either database).
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, SQLModel.metadata) == []


def test_claims_have_one_index_led_by_their_skill(store: Store) -> None:
    # ix_skillclaim_skill_time serves every lookup by skill: a second index on skill_id alone
    # only slowed the writes of a large import (revision 0010).
    indexes = sa.inspect(store.engine).get_indexes("skillclaim")
    led_by_skill = [i["name"] for i in indexes if i["column_names"][0] == "skill_id"]
    assert led_by_skill == ["ix_skillclaim_skill_time"]


def test_the_latest_revision_by_file_name_is_alembics_head() -> None:
    # Store.open skips Alembic when the database is at latest_revision(): were they to differ,
    # a database would be left unmigrated, or migrated at every start.
    assert migrate.latest_revision() == migrate.head_revision()


def test_a_database_behind_is_still_migrated_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0009")  # as a database left by the previous release would be
    assert not migrate.at_latest(engine)
    engine.dispose()
    opened = Store.open(url)
    try:
        assert migrate.current_revision(opened.engine) == migrate.head_revision()
        assert migrate.at_latest(opened.engine)
    finally:
        opened.close()


def test_one_person_many_identities(store: Store) -> None:
    alice = store.person_for("slack", "U1", "Alice")
    assert store.person_for("slack", "U1", "Alice").id == alice.id
    assert alice.id is not None
    store.link_identity(alice.id, "matrix", "@alice:example.org", "Alice")
    assert store.find_person("matrix", "@alice:example.org").id == alice.id  # type: ignore[union-attr]
    assert {i.platform for i in store.identities(alice.id)} == {"slack", "matrix"}
    assert [p.id for p in store.find_people_by_name("slack", "ALICE")] == [alice.id]


def test_display_name_follows_the_platform(store: Store) -> None:
    person = store.person_for("slack", "U1", "Alice")
    store.person_for("slack", "U1", "Alice B.")
    assert person.id is not None
    assert store.identities(person.id)[0].display == "Alice B."


def test_claims_declared_once_removed_and_kept_apart_from_help(store: Store) -> None:
    pid = store.person_for("console", "bob").id
    assert pid is not None
    store.add_claim(pid, "Python", ClaimSource.DECLARED, at=T0)
    store.add_claim(pid, "python", ClaimSource.DECLARED, at=T0)  # same skill, folded
    store.add_claim(pid, "Python", ClaimSource.HELPED, at=T0)
    sources = sorted(c.source for c in store.claims([pid]))
    assert sources == ["declared", "helped"]
    assert store.remove_declared(pid, "Python")
    assert [c.source for c in store.claims([pid])] == ["helped"]
    assert not store.remove_declared(pid, "Python")


def test_endorsement_counts_once_per_peer(store: Store) -> None:
    a = store.person_for("console", "a").id
    b = store.person_for("console", "b").id
    assert a and b
    assert store.endorse(a, b, "Terraform", at=T0)
    assert not store.endorse(a, b, "Terraform", at=T0)
    claims = store.claims([b], skills=["Terraform"])
    assert [(c.source, c.created_at) for c in claims] == [("endorsed", T0)]


def test_need_ask_answer_and_solve_credits_the_helper(store: Store) -> None:
    asker = store.person_for("console", "asker").id
    helper = store.person_for("console", "helper").id
    assert asker and helper
    need = store.create_need(
        Need(
            person_id=asker,
            text="terraform state lock",
            skills=["Terraform"],
            platform="console",
            conversation="general",
            created_at=T0,
        )
    )
    assert need.id is not None
    (ask,) = store.create_asks(need.id, [(helper, [{"key": "reason.declared", "skill": "Terraform"}])], at=T0)
    assert [a.id for a in store.pending_asks(helper)] == [ask.id]
    assert store.ask_counts_since(T0 - timedelta(days=1)) == {helper: 1}
    store.answer_ask(ask.id or 0, AskStatus.ACCEPTED, at=T0)
    assert store.pending_asks(helper) == []
    assert [n.id for n in store.open_needs(asker)] == [need.id]
    solved = store.solve_need(need.id, helper, at=T0 + timedelta(hours=1))
    assert solved.status == NeedStatus.SOLVED
    assert store.open_needs(asker) == []
    helped = store.claims([helper], skills=["Terraform"])
    assert [(c.source, c.ref) for c in helped] == [("helped", f"need:{need.id}")]


def test_thanks_are_counted_and_credit_named_skills(store: Store) -> None:
    a = store.person_for("console", "a").id
    b = store.person_for("console", "b").id
    assert a and b
    store.add_thanks(Thanks(from_person_id=a, to_person_id=b, text="SQL help", created_at=T0), ["SQL"])
    assert store.thanks_counts([a, b]) == {b: 1}
    assert [t.text for t in store.thanks_received(b)] == ["SQL help"]
    assert [c.skill for c in store.claims([b])] == ["SQL"]


def test_offers_expire(store: Store) -> None:
    pid = store.person_for("console", "a").id
    assert pid
    store.create_offer(
        Offer(
            person_id=pid,
            text="SQL tuning",
            skills=["SQL"],
            created_at=T0,
            expires_at=T0 + timedelta(days=7),
        )
    )
    assert len(store.active_offers(T0 + timedelta(days=6))) == 1
    assert store.active_offers(T0 + timedelta(days=8)) == []


def test_a_need_reads_active_offers_and_the_first_learning_goals_on_its_skills_at_once(store: Store) -> None:
    a, b, c = (store.person_for("console", handle).id or 0 for handle in "abc")
    for person, skills, days in ((a, ["SQL", "Go"], 7), (b, ["Rust"], 1)):
        store.create_offer(
            Offer(
                person_id=person,
                text="help",
                skills=skills,
                created_at=T0,
                expires_at=T0 + timedelta(days=days),
            )
        )
    for person, skill in ((c, "Go"), (b, "SQL"), (a, "Rust"), (a, "Go")):
        store.add_learning_goal(person, skill)

    offers, goals = store.offers_and_goals(T0 + timedelta(days=2), ["SQL", "Go"], 2)
    assert offers == [(a, ["SQL", "Go"])]  # b's offer has expired
    assert goals == [(c, "Go"), (b, "SQL")]  # the first two on these skills, oldest first
    assert store.offers_and_goals(T0 + timedelta(days=8), ["Go"], 10) == ([], [(c, "Go"), (a, "Go")])


def test_processed_events_survive_a_new_store(store: Store, database_url: str) -> None:
    assert store.mark_processed("slack", "Ev1")
    assert not store.mark_processed("slack", "Ev1")
    assert store.mark_processed("matrix", "Ev1")  # ids are per platform
    reopened = Store.open(database_url)
    assert not reopened.mark_processed("slack", "Ev1")
    reopened.close()


def test_prune_processed_keeps_recent(store: Store) -> None:
    store.mark_processed("slack", "old", at=T0 - timedelta(days=40))
    store.mark_processed("slack", "new", at=T0)
    assert store.prune_processed(T0 - timedelta(days=30)) == 1
    assert store.mark_processed("slack", "old")
    assert not store.mark_processed("slack", "new")


def test_prune_processed_keeps_the_lines_of_scripts(store: Store) -> None:
    store.mark_processed("console", "script-abc-2", at=T0 - timedelta(days=400))
    store.mark_processed("console", "scripted", at=T0 - timedelta(days=400))
    assert store.prune_processed(T0 - timedelta(days=30), keep_prefix="script-") == 1
    assert not store.mark_processed("console", "script-abc-2")  # a resumed script skips that line
    assert store.mark_processed("console", "scripted")


def test_adapter_state_round_trip(store: Store) -> None:
    assert store.get_state("matrix", "next_batch") is None
    store.set_state("matrix", "next_batch", "s1")
    store.set_state("matrix", "next_batch", "s2")
    assert store.get_state("matrix", "next_batch") == "s2"


def test_export_then_forget_erases_everything(store: Store) -> None:
    me = store.person_for("console", "me", "Me").id
    other = store.person_for("console", "other", "Other").id
    assert me and other
    store.add_claim(me, "Rust", ClaimSource.DECLARED, at=T0)
    store.add_learning_goal(me, "Go")
    need = store.create_need(
        Need(
            person_id=me,
            text="help",
            skills=["Rust"],
            platform="console",
            conversation="g",
            created_at=T0,
        )
    )
    store.create_asks(need.id or 0, [(other, [])], at=T0)
    store.add_thanks(Thanks(from_person_id=other, to_person_id=me, text="great", created_at=T0), ["Rust"])
    store.endorse(other, me, "Rust", at=T0)
    store.audit(me, "test.action", detail=1)

    exported = store.export_person(me)
    assert exported["person"]["name"] == "Me"
    assert {c["skill"] for c in exported["skill_claims"]} == {"Rust"}
    assert exported["thanks_received"][0]["text"] == "great"
    assert len(exported["needs"]) == 1 and len(exported["endorsements_received"]) == 1

    store.forget_person(me, store.erasure_salt())
    assert store.get_person(me) is None
    assert store.find_person("console", "me") is None
    assert store.claims([me]) == []
    assert store.thanks_counts([me]) == {}
    assert store.get_person(other) is not None  # colleagues stay
    assert store.audit_log()[0].actor_person_id is None


def test_audit_log_records_admin_actions(store: Store) -> None:
    pid = store.person_for("console", "admin").id
    store.audit(pid, "admin.stats", scope="all")
    (entry,) = store.audit_log()
    assert (entry.action, entry.details, entry.actor_person_id) == (
        "admin.stats",
        {"scope": "all"},
        pid,
    )


def test_times_come_back_aware_utc(store: Store) -> None:
    pid = store.person_for("console", "a").id
    assert pid
    local = datetime(2026, 11, 2, 12, 0, tzinfo=UTC).astimezone()
    store.update_person(pid, away_until=local)
    assert store.get_person(pid).away_until == local.astimezone(UTC)  # type: ignore[union-attr]


def test_a_needs_candidates_are_read_by_id_whatever_their_count(store: Store) -> None:
    # The ids go as one parameter (Database.among_ids: an array on PostgreSQL, a JSON list on
    # SQLite), to statements built once: the same people as IN, their fields as stored.
    people = [store.person_for("slack", f"U{i}", f"Person {i}") for i in range(250)]
    ids = [p.id for p in people if p.id is not None]
    store.update_person(ids[0], away_until=T0, timezone="Europe/Paris", weekly_ask_cap=2)
    wanted = [*ids[::2], 10**9]  # 125 people and an id nobody has
    briefs = store.people_brief(wanted)
    assert sorted(briefs) == sorted(ids[::2])
    first = briefs[ids[0]]
    assert (first.name, first.away_until, first.timezone, first.weekly_ask_cap) == (
        "Person 0",
        T0,
        "Europe/Paris",
        2,
    )
    assert (first.deleted, first.matching_opt_out) == (False, False)
    assert store.people_brief([ids[3]])[ids[3]].name == "Person 3"
    assert store.people_brief([]) == {}
    handles = store.identities_for([*ids[:3], 10**9])
    assert [[i.handle for i in handles[pid]] for pid in ids[:3]] == [["U0"], ["U1"], ["U2"]]
    assert handles[10**9] == []
    store.link_identity(ids[1], "matrix", "@p1:example.org")
    columns = store.handles_for([*ids[:3], 10**9])  # the same, by platform, from the columns alone
    assert [columns[pid] for pid in ids[:3]] == [
        {"slack": "U0"},
        {"slack": "U1", "matrix": "@p1:example.org"},
        {"slack": "U2"},
    ]
    assert columns[10**9] == {} and store.handles_for([]) == {}
    assert store.person_id_by_handle("@p1:example.org") == ids[1] == store.person_id_by_handle("U1")
    assert store.person_id_by_handle("nobody") is None
