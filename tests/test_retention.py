"""Retention: after ``[retention] text_days`` what people wrote is gone from the stored columns
(SQLite and PostgreSQL), while skill evidence — who helped whom, on which skills, the counts —
stays; purged thread words leave every instance's index; the daily job runs once across
instances; audit entries and processed events have their own periods.

Time only moves through the injected clock (the console's ``/time`` runs the jobs that fell due).
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, col, select

from adapters.console import ConsoleAdapter
from bot.app import run_adapters
from bot.chat.actions import Actions
from bot.chat.context import Services
from bot.config import ConfigError, config_from_dict, load_config
from bot.jobs import MovableClock, Scheduler
from bot.retention.job import JOB, register
from skills_db.storage.models import (
    Ask,
    AuditEntry,
    HelpReply,
    HelpThread,
    JobRun,
    Need,
    ProcessedEvent,
    SkillClaim,
    Thanks,
)
from skills_db.vocabulary.textnorm import fold
from tests.support import make_services

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday
ROOT = Path(__file__).resolve().parent.parent

# Words that appear only in what people wrote: none may be stored once the texts are purged.
SECRETS = ("xylophone", "zanzibar", "quokka", "marmalade", "pelican", "walrus")


# -- configuration -------------------------------------------------------------------------------


def test_retention_defaults_and_the_example_file_agree() -> None:
    default = config_from_dict({}).retention
    assert (default.text_days, default.audit_days, default.processed_days) == (180, 365, 30)
    example = load_config(ROOT / "config.example.toml", environ={}).retention
    assert example == default


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"text_days": 0}, "test: retention.text_days: must be a number of days, at least 1, not 0"),
        ({"audit_days": -3}, "test: retention.audit_days: must be a number of days, at least 1, not -3"),
        ({"processed_days": 1.5}, "test: retention.processed_days: must be a whole number, not 1.5"),
        ({"text_days": "180"}, "test: retention.text_days: must be a whole number, not '180'"),
        ({"keep_days": 3}, "test: retention.keep_days: unknown key"),
    ],
)
def test_bad_retention_values_are_refused_clearly(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict({"retention": section}, "test")
    assert str(raised.value).startswith(message)


# -- the purge, through the console --------------------------------------------------------------


async def console(services: Services, script: str, clock: MovableClock, user: str = "you") -> str:
    out = io.StringIO()
    adapter = ConsoleAdapter(user=user, script=script.strip().splitlines(), output=out)
    assert await asyncio.wait_for(run_adapters(services, [adapter], clock=clock), timeout=120)
    return out.getvalue()


def stored(services: Services) -> str:
    """Every value of every row of every table, as text, lower case."""
    parts = []
    with services.store.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in connection.execute(sa.select(table)))
    return "\n".join(parts).lower()


def evidence(services: Services) -> dict[str, Any]:
    """What retention must keep: skills of needs and threads, claims, who thanked whom for what."""
    with services.store.session() as session:
        return {
            "needs": sorted((n.id, tuple(n.skills)) for n in session.exec(select(Need))),
            "threads": sorted((t.id, t.solved_by_id) for t in session.exec(select(HelpThread))),
            "claims": sorted(
                (c.person_id, c.skill_id, c.source, c.ref) for c in session.exec(select(SkillClaim))
            ),
            "thanks": sorted(
                (t.from_person_id, t.to_person_id, t.kind, tuple(t.skills))
                for t in session.exec(select(Thanks))
            ),
            "replies": sorted((r.thread_id, r.person_id, r.solved) for r in session.exec(select(HelpReply))),
        }


WORLD = """
/as Alice
skills add Terraform
/as Bruno
skills add Kubernetes
/as you
need help with terraform state locking near the xylophone bucket and the marmalade cluster ingress
/as Alice
accept
/as you
solved 1
thanks @Alice for the zanzibar workaround
offer quokka migrations with terraform
"""


def imported_thread(services: Services) -> int:
    """An imported thread recorded before skills were kept (skills NULL), answered by Bruno."""
    bruno = services.store.find_person("console", "bruno")
    asker = services.store.person_for("console", "dana", "Dana")
    assert bruno is not None and bruno.id is not None and asker.id is not None
    with services.store.session() as session:
        row = HelpThread(
            source="jsonl",
            external_id="t1",
            asker_id=asker.id,
            text="kubernetes ingress for the marmalade cluster keeps failing",
            created_at=START - timedelta(days=2),
            solved_by_id=bruno.id,
            skills=None,
        )
        session.add(row)
        session.flush()
        session.add(
            HelpReply(
                thread_id=row.id or 0,
                person_id=bruno.id,
                text="restart the walrus controller",
                created_at=START - timedelta(days=2),
                solved=True,
            )
        )
        session.flush()
        assert row.id is not None
        return row.id


async def test_old_texts_are_gone_from_every_column_and_skill_evidence_stays(database_url: str) -> None:
    clock = MovableClock(START - timedelta(days=3))
    # Outbox rows kept a year: their bodies must be blanked by the purge, not by the prune.
    services = make_services(database_url, clock.now, retention={"processed_days": 365})
    await console(services, "/as Bruno\nskills add Kubernetes", clock)
    thread = imported_thread(services)
    services.store.audit(None, "admin.announce", at=START, arguments={"text": "the pelican plan"})
    clock.set(START)
    out = await console(services, WORLD, clock)
    assert "xylophone" in out  # the world was said, and stored
    text = stored(services)
    assert all(secret in text for secret in SECRETS), [s for s in SECRETS if s not in text]
    kept = evidence(services)
    with services.store.session() as session:  # Bruno was asked, quoting the imported question
        assert any("marmalade" in str(r.get("example")) for a in session.exec(select(Ask)) for r in a.reasons)

    # Half a year on, the daily job has blanked all of it.
    out = await console(services, "/time +181d", clock)
    text = stored(services)
    assert [secret for secret in SECRETS if secret in text] == []
    with services.store.session() as session:
        assert {n.text for n in session.exec(select(Need))} == {""}
        # Recognised before its text went ("marmalade" is jam making): the barometer still counts it.
        skills = session.exec(select(HelpThread.skills).where(col(HelpThread.id) == thread)).one()
        assert skills == ["Kubernetes", "Jam making"]
        audit = session.exec(select(AuditEntry).where(col(AuditEntry.action) == "admin.announce")).one()
        assert audit.details == {}
    assert evidence(services) == kept  # who helped whom, on which skills, and the counts
    runs = services.store.job_runs(JOB)
    assert [(r.status, r.attempts) for r in runs] == [("done", 1)]

    # What the person sees is still true: helped, on Terraform.
    out = await console(services, "/as Alice\nprofile", clock)
    assert "Terraform" in out and "zanzibar" not in out


async def test_a_need_whose_text_was_removed_is_quoted_by_its_skills_in_the_readers_language(
    database_url: str,
) -> None:
    clock = MovableClock(START)
    services = make_services(database_url, clock.now, retention={"text_days": 7})
    await console(services, "need help with terraform state locking in the xylophone bucket", clock)
    await console(services, "/as Zoe\nneed anyone know why the walrus fountain hums", clock)
    out = await console(services, "/time +8d\nprofile\n/as Zoe\nlanguage fr\nprofil", clock)
    assert "Terraform (text removed after 7 days)" in out
    assert "(texte effacé après 7 jours)" in out
    assert "xylophone" not in out.split("/time +8d", 1)[1] and "walrus" not in out.split("/time +8d", 1)[1]


async def test_audit_entries_and_processed_events_have_their_own_periods(database_url: str) -> None:
    clock = MovableClock(START)
    services = make_services(
        database_url, clock.now, retention={"audit_days": 10, "processed_days": 5, "text_days": 100}
    )
    services.store.audit(None, "admin.stats", at=START)
    services.store.audit(None, "admin.stats", at=START + timedelta(days=8))
    await console(services, "skills add Terraform", clock)
    with services.store.session() as session:
        assert session.exec(select(sa.func.count()).select_from(ProcessedEvent)).one() == 1
    await console(services, "/time +12d", clock)
    with services.store.session() as session:
        assert [a.at for a in session.exec(select(AuditEntry))] == [START + timedelta(days=8)]
        assert session.exec(select(sa.func.count()).select_from(ProcessedEvent)).one() == 0


# -- every instance's index, and once across instances ---------------------------------------------


def person(services: Services, name: str) -> int:
    pid = services.store.person_for("console", fold(name), name).id
    assert pid is not None
    return pid


async def test_a_second_instance_stops_quoting_a_purged_thread(database_url: str) -> None:
    now = START + timedelta(days=200)
    first = make_services(database_url, lambda: now, routing={"mode": "suggest"})
    second = make_services(database_url, lambda: now, routing={"mode": "suggest"})
    alice, bob = person(first, "Alice"), person(first, "Bob")
    question = "How do I defrost the walk-in freezer compressor without losing the stock?"
    with first.store.session() as session:
        row = HelpThread(
            source="test", external_id="f", asker_id=alice, text=question, created_at=START, solved_by_id=bob
        )
        session.add(row)
        session.flush()
        session.add(HelpReply(thread_id=row.id or 0, person_id=bob, text="manual defrost", created_at=START))
    second.matcher.refresh()

    def quotes() -> list[str]:
        match = second.matcher.rank("defrost the freezer compressor", [], None, now)
        return [
            str(r.values.get("example")) for c in match.candidates for r in c.reasons if "example" in r.values
        ]

    assert any(q.startswith("How do I defrost") for q in quotes())
    report = first.store.purge_texts(now - timedelta(days=180), first.matcher.recognise, now=now)
    assert (report.threads, report.replies) == (1, 1)
    second.matcher.refresh()  # what the periodic refresh of every instance does
    assert quotes() == []
    # The help itself still counts: Bob helped once.
    match = second.matcher.rank("anything at all", [], None, now)
    assert [c.name for c in match.candidates] == ["Bob"]


async def test_two_job_runners_on_one_postgresql_database_purge_once(postgres_url: str) -> None:
    clock = MovableClock(START + timedelta(days=200))
    runners = [make_services(postgres_url, clock.now) for _ in range(2)]
    alice = person(runners[0], "Alice")
    with runners[0].store.session() as session:
        for i in range(30):
            session.add(
                Need(
                    person_id=alice,
                    text=f"old xylophone need {i}",
                    skills=["Terraform"],
                    platform="console",
                    conversation="general",
                    created_at=START,
                )
            )
    schedulers = []
    for i, services in enumerate(runners):
        scheduler = Scheduler(services.store, clock, owner=f"runner-{i}")
        register(scheduler, Actions(services))
        schedulers.append(scheduler)
    reports = await asyncio.gather(*(s.tick() for s in schedulers))
    runs = [o for report in reports for o in report.runs]
    assert [(o.name, o.status) for o in runs] == [(JOB, "done")]
    with runners[1].store.session() as session:
        rows = session.exec(select(JobRun).where(col(JobRun.job) == JOB)).all()
        assert [(r.status, r.attempts) for r in rows] == [("done", 1)]
        assert set(session.exec(select(Need.text))) == {""}
        assert set(session.exec(select(sa.func.count()).select_from(Need))) == {30}
    # The next tick the same day does nothing; the next day finds nothing left to purge.
    assert [o for s in schedulers for o in (await s.tick()).runs] == []
