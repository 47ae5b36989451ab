"""Managers merge skills: every row follows the skill kept, evidence held twice counts once, no
row refers to the skill merged, and matching on this instance and on another one sharing the
database finds the merged skill's evidence for a need written with its words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot.chat.context import Services
from skills_db.storage.models import (
    ClaimSource,
    Endorsement,
    HelpThread,
    LearningGoal,
    Need,
    Offer,
    Shoutout,
    ShoutoutPick,
    Skill,
    SkillAlias,
    SkillClaim,
    Thanks,
)
from tests.support import Clock, MemoryAdapter, event, make_services, pipeline_for

ADMINS: dict[str, dict[str, object]] = {"bot": {"admins": ["memory:cam"], "log_format": "text"}}


def seed(services: Services, clock: Clock) -> dict[str, int]:
    """Terragrunt (added by a manager) and Terraform, with evidence on both, some of it twice."""
    store, now = services.store, clock.now
    ids = {
        n: store.person_for("memory", n, n.title(), at=now).id or 0
        for n in ("ana", "bob", "cyd", "dee", "eve")
    }
    store.add_skill("Terragrunt", ["tg-tool"])
    for skill in ("Terragrunt", "Terraform"):  # declared both, helped on one need about both
        store.add_claim(ids["ana"], skill, ClaimSource.DECLARED, at=now)
        store.add_claim(ids["ana"], skill, ClaimSource.HELPED, ref="need:1", at=now)
        store.endorse(ids["cyd"], ids["bob"], skill, at=now)
        store.add_learning_goal(ids["dee"], skill)
    store.add_claim(ids["eve"], "Terragrunt", ClaimSource.IMPORTED, weight=2.0, ref="thread:9", at=now)
    store.endorse(ids["dee"], ids["bob"], "Terragrunt", at=now)
    store.add_learning_goal(ids["cyd"], "Terragrunt")
    common: dict[str, Any] = {"platform": "memory", "conversation": "general", "created_at": now}
    store.create_need(
        Need(
            person_id=ids["dee"],
            text="terragrunt and terraform",
            skills=["Terragrunt", "Terraform"],
            **common,
        )
    )
    store.create_offer(
        Offer(
            person_id=ids["eve"],
            text="tg",
            skills=["Terragrunt"],
            created_at=now,
            expires_at=now + timedelta(days=7),
        )
    )
    store.add_thanks(
        Thanks(from_person_id=ids["dee"], to_person_id=ids["eve"], created_at=now, skills=["Terragrunt"])
    )
    with Session(store.engine) as session:
        # Imported history keeps the skills of its question (past demand in the barometer).
        session.add(HelpThread(source="jsonl", external_id="t9", text="tg plan", skills=["Terragrunt"]))
        session.add(HelpThread(source="jsonl", external_id="t10", text="no skill known", skills=None))
        shoutout = Shoutout(channel="memory:general", week="2026-W45", since=now, until=now)
        session.add(shoutout)
        session.flush()
        session.add(
            ShoutoutPick(
                shoutout_id=shoutout.id or 0,
                person_id=ids["eve"],
                rank=1,
                outcome="featured",
                skills=["Terragrunt"],
            )
        )
        session.commit()
    return ids


def orphans(services: Services) -> list[str]:
    """Rows of any table whose skill id names no skill, and lists naming a skill that is gone."""
    found = []
    with Session(services.store.engine) as session:
        names = set(session.exec(select(Skill.name)).all())
        for table in SQLModel.metadata.tables.values():
            for key in table.foreign_keys:
                if key.column.table.name == "skill":
                    column = key.parent
                    count = session.execute(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(column.not_in(sa.select(col(Skill.id))))
                    ).scalar()
                    if count:
                        found.append(f"{table.name}.{column.name}: {count}")
            if "skills" in table.c:
                for (skills,) in session.execute(sa.select(table.c.skills)):
                    found += [f"{table.name}: {s}" for s in skills or () if s not in names]
    return found


async def test_a_merge_moves_everything_counts_evidence_once_and_matching_follows_at_once(
    database_url: str,
) -> None:
    clock = Clock()
    services = make_services(database_url, clock, **ADMINS)
    other = make_services(database_url, clock)  # another instance on the same database
    ids = seed(services, clock)
    for instance in (services, other):
        instance.matcher.refresh()
        assert instance.matcher.recognise("our tg-tool pipelines fail") == ["Terragrunt"]
        before = instance.matcher.rank("terraform modules", ["Terraform"], ids["dee"], clock.now)
        assert ids["eve"] not in [c.person_id for c in before.candidates]  # her help is on Terragrunt
    assert not orphans(services)
    adapter = MemoryAdapter()
    await pipeline_for(services, adapter).handle(
        adapter, event("admin skill merge terragrunt, Terraform", "cam")
    )
    (said,) = [r.plain for r in adapter.sent]
    assert said == (
        "Merged Terragrunt into Terraform. Moved onto Terraform — evidence: 2, learning goals: 1, "
        "endorsements: 1; needs, offers, thanks, shout-outs and help threads now naming it: 5. "
        "“Terragrunt” names Terraform from now on."
    ), said

    assert orphans(services) == []
    store = services.store
    with Session(store.engine) as session:
        assert session.exec(select(Skill).where(Skill.name == "Terragrunt")).first() is None
        terraform = session.exec(select(Skill).where(Skill.name == "Terraform")).one()
        aliases = {a.alias: a.skill_id for a in session.exec(select(SkillAlias))}
        assert aliases == {"tg-tool": terraform.id, "Terragrunt": terraform.id}
        claims = [
            (c.person_id, c.source, c.ref)
            for c in session.exec(select(SkillClaim))
            if c.skill_id == terraform.id
        ]
        endorsements = session.exec(
            select(Endorsement.endorser_id).where(Endorsement.endorsee_id == ids["bob"])
        ).all()
        goals = session.exec(select(LearningGoal.person_id).order_by(col(LearningGoal.person_id))).all()
        need = session.exec(select(Need)).one()
    ana = [(s, r) for p, s, r in claims if p == ids["ana"]]
    assert sorted(ana) == [("declared", None), ("helped", "need:1")]  # held on both: counted once
    assert (ids["eve"], "imported", "thread:9") in claims
    assert sorted(endorsements) == sorted([ids["cyd"], ids["dee"]])  # Cyd endorsed Bob once
    assert len([c for c in claims if c[0] == ids["bob"] and c[1] == "endorsed"]) == 2
    assert sorted(goals) == sorted([ids["cyd"], ids["dee"]])
    assert need.skills == ["Terraform"]

    for instance in (services, other):  # this one at once, the other as soon as it reads the feed
        assert instance.matcher.recognise("our terragrunt pipelines fail") == ["Terraform"]
        assert instance.matcher.recognise("our tg-tool pipelines fail") == ["Terraform"]
        after = instance.matcher.rank("tg-tool pipelines", ["Terraform"], ids["dee"], clock.now)
        found = {c.person_id: c for c in after.candidates}
        assert ids["eve"] in found and found[ids["eve"]].demonstrated, "Eve's Terragrunt answers count"
        assert ids["ana"] in found
    # An instance a few seconds behind still writes onto the skill kept.
    store.add_claim(ids["cyd"], "Terragrunt", ClaimSource.DECLARED, at=clock.now)
    assert {c.skill for c in store.claims([ids["cyd"]])} == {"Terraform"}
    services.store.close()
    other.store.close()


async def test_renames_and_aliases_reach_every_instance(database_url: str) -> None:
    clock = Clock()
    services = make_services(database_url, clock, **ADMINS)
    other = make_services(database_url, clock)
    ana = services.store.person_for("memory", "ana", "Ana").id or 0
    services.store.add_claim(ana, "Kubernetes", ClaimSource.HELPED, ref="need:3", at=clock.now)
    other.matcher.refresh()
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    for line in ("admin skill rename Kubernetes, Kube Platform", "admin skill alias Kube Platform, kplat"):
        await pipeline.handle(adapter, event(line, "cam"))
    assert [r.plain for r in adapter.sent] == [
        "Renamed Kubernetes to Kube Platform; “Kubernetes” still names it.",
        "“kplat” now names Kube Platform.",
    ]
    for instance in (services, other):
        assert instance.matcher.recognise("kubernetes pods crash, and kplat, and k8s") == ["Kube Platform"]
        match = instance.matcher.rank("pods crash", ["Kube Platform"], None, clock.now)
        assert [c.person_id for c in match.candidates][:1] == [ana]
    assert services.store.claims([ana])[0].skill == "Kube Platform"
    services.store.close()
    other.store.close()


async def test_the_list_counts_evidence_over_everyone_only_from_five_colleagues(sqlite_url: str) -> None:
    clock = Clock()
    services = make_services(sqlite_url, clock, **ADMINS)
    store = services.store
    for number, name in enumerate(("ana", "bob", "cyd", "dee", "eve")):
        person = store.person_for("memory", name, name.title()).id or 0
        store.add_claim(person, "Terraform", ClaimSource.HELPED, ref=f"need:{number}", at=clock.now)
        if number < 4:
            store.add_claim(person, "Ansible", ClaimSource.DECLARED, at=clock.now)
    store.add_claim(person, "Terraform", ClaimSource.DECLARED, at=clock.now)
    adapter = MemoryAdapter()
    pipeline = pipeline_for(services, adapter)
    await pipeline.handle(adapter, event("admin skill list", "cam"))
    await pipeline.handle(adapter, event("language fr", "cam"))
    await pipeline.handle(adapter, event("admin compétence liste terraf", "cam"))
    listed, _, french = [r.plain for r in adapter.sent]
    assert listed.splitlines() == [
        "Skills, those with the most evidence first:",
        "• Terraform — 6 pieces of evidence, about 5 colleagues "
        "(also written terraform cloud, terraform enterprise, terraform modules)",
        "• Ansible — evidence about fewer than 5 colleagues (not counted) "
        "(also written ansible playbooks, ansible playbook, ansible tower)",
    ]
    assert "• Terraform — 6 preuves, sur 5 collègues (aussi écrite terraform cloud" in french
    store.close()
