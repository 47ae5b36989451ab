"""A dozen demo colleagues with skills, past help and thanks, so `need …` answers at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from skills_db.storage.models import ClaimSource, Need, Thanks
from skills_db.storage.store import Store
from skills_db.vocabulary.taxonomy import Taxonomy
from skills_db.vocabulary.textnorm import fold


@dataclass(frozen=True)
class DemoColleague:
    name: str
    language: str
    title: str
    skills: tuple[str, ...]


COLLEAGUES = (
    DemoColleague("Alice", "en", "Cloud engineer", ("Terraform", "AWS", "Kubernetes")),
    DemoColleague("Bruno", "fr", "Développeur backend", ("Python", "Django", "PostgreSQL")),
    DemoColleague("Chloé", "fr", "Designer UX", ("UX design", "Figma", "Accessibility")),
    DemoColleague("Dmitri", "en", "Platform engineer", ("Kubernetes", "Docker", "Helm")),
    DemoColleague("Emma", "en", "Data analyst", ("SQL", "Data analysis", "Power BI")),
    DemoColleague("Farid", "fr", "Architecte Java", ("Java", "Spring", "Apache Kafka")),
    DemoColleague("Gabrielle", "fr", "Cheffe de projet", ("Project management", "Scrum", "Agile")),
    DemoColleague("Hugo", "en", "Front-end developer", ("JavaScript", "React", "TypeScript")),
    DemoColleague("Inès", "fr", "Data scientist", ("Machine learning", "Python", "Pandas")),
    DemoColleague(
        "Jules", "en", "Finance controller", ("Accounting", "Microsoft Excel", "Financial analysis")
    ),
    DemoColleague(
        "Karim", "en", "Security engineer", ("Information security", "OWASP", "Penetration testing")
    ),
    DemoColleague("Léa", "fr", "Responsable marketing", ("Marketing", "SEO", "Copywriting")),
)

# (helper, asker, skill, days ago, thanks text): help given in the past, the strongest evidence.
PAST_HELP = (
    ("Alice", "Hugo", "Terraform", 12, "unblocked our Terraform state lock in minutes"),
    ("Alice", "Emma", "Terraform", 40, "explained Terraform modules"),
    ("Alice", "Bruno", "AWS", 70, ""),
    ("Dmitri", "Hugo", "Kubernetes", 8, "fixed our crash-looping pods"),
    ("Dmitri", "Farid", "Docker", 25, ""),
    ("Bruno", "Inès", "PostgreSQL", 15, "merci pour l'index !"),
    ("Bruno", "Emma", "Python", 100, ""),
    ("Emma", "Gabrielle", "SQL", 20, "the quarterly report query works"),
    ("Inès", "Emma", "Machine learning", 30, "super explication du surapprentissage"),
    ("Hugo", "Chloé", "React", 5, "thanks for the hooks walkthrough"),
    ("Karim", "Alice", "Information security", 60, ""),
    ("Gabrielle", "Jules", "Project management", 45, "planning finally makes sense"),
    ("Chloé", "Léa", "Accessibility", 18, "contrast audit was spot on"),
    ("Jules", "Karim", "Microsoft Excel", 9, ""),
)

# (endorser, endorsee, skill)
ENDORSEMENTS = (
    ("Hugo", "Alice", "Terraform"),
    ("Emma", "Alice", "Terraform"),
    ("Alice", "Dmitri", "Kubernetes"),
    ("Emma", "Bruno", "PostgreSQL"),
    ("Léa", "Chloé", "UX design"),
)


def seed_demo(store: Store, taxonomy: Taxonomy, now: datetime) -> None:
    """Fill an empty database with the demo colleagues (idempotent: does nothing twice)."""
    if store.find_person("console", fold(COLLEAGUES[0].name)) is not None:
        return
    ids: dict[str, int] = {}
    for colleague in COLLEAGUES:
        person = store.person_for(
            "console", fold(colleague.name), colleague.name, at=now - timedelta(days=200)
        )
        assert person.id is not None
        ids[colleague.name] = person.id
        store.update_person(person.id, language=colleague.language, title=colleague.title)
        for skill in colleague.skills:
            store.add_claim(
                person.id,
                _canonical(taxonomy, skill),
                ClaimSource.DECLARED,
                at=now - timedelta(days=180),
            )
    for helper, asker, skill, days, text in PAST_HELP:
        when = now - timedelta(days=days)
        name = _canonical(taxonomy, skill)
        need = store.create_need(
            Need(
                person_id=ids[asker],
                text=f"help with {name}",
                skills=[name],
                platform="console",
                conversation="general",
                created_at=when - timedelta(hours=3),
            )
        )
        assert need.id is not None
        store.solve_need(need.id, ids[helper], at=when)
        if text:
            store.add_thanks(
                Thanks(
                    from_person_id=ids[asker],
                    to_person_id=ids[helper],
                    need_id=need.id,
                    text=text,
                    created_at=when,
                )
            )
    for endorser, endorsee, skill in ENDORSEMENTS:
        store.endorse(ids[endorser], ids[endorsee], _canonical(taxonomy, skill), at=now - timedelta(days=50))


def _canonical(taxonomy: Taxonomy, skill: str) -> str:
    return taxonomy.canonical(skill) or skill
