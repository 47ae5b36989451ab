"""A dozen demo colleagues with skills, past help and thanks, so `need …` answers at once.

The past help is seeded as answered help threads (with their evidence and thanks), not as needs:
the first need someone posts in the demo is need #1. Camille is the demo's community manager
(see :data:`MANAGER`), so `stats` can be tried with `/as Camille`. A few colleagues helped in
the last days, so the weekly shout-out in the console room (Monday 10:00 UTC: `/time monday
10:05`) has someone to thank — the quiet first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from bot.config import Config, DatabaseConfig
from bot.jobs.schedules import Weekly
from skills_db.storage.models import ClaimSource, HelpReply, HelpThread, Thanks, ThanksKind
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
    DemoColleague(
        "Camille", "en", "Community manager", ("Community management", "Onboarding", "Facilitation")
    ),
)

# The demo colleague configured as a community manager (`[bot] admins`) in the demo.
MANAGER = "Camille"

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
    ("Camille", "Léa", "Onboarding", 22, "the onboarding checklist is perfect"),
)

# (helper, asker, skill, thanks): help given in the days before the next shout-out.
RECENT_HELP = (
    ("Jules", "Gabrielle", "Microsoft Excel", "the budget pivot table"),
    ("Jules", "Léa", "Microsoft Excel", "le tableau croisé des campagnes"),
    ("Alice", "Hugo", "Terraform", "the Terraform plan review"),
    ("Alice", "Farid", "AWS", "the IAM policy fix"),
    ("Karim", "Inès", "Information security", "l'audit des dépendances"),
    ("Chloé", "Camille", "Accessibility", "the screen reader check"),
)

# (endorser, endorsee, skill)
ENDORSEMENTS = (
    ("Hugo", "Alice", "Terraform"),
    ("Emma", "Alice", "Terraform"),
    ("Alice", "Dmitri", "Kubernetes"),
    ("Emma", "Bruno", "PostgreSQL"),
    ("Léa", "Chloé", "UX design"),
)


def demo_config(config: Config, url: str) -> Config:
    """``config`` on the demo database, with the demo's community manager among the admins and,
    unless shout-outs are configured, a weekly shout-out in the console room."""
    manager = f"console:{fold(MANAGER)}"
    admins = config.bot.admins if manager in config.bot.admins else [*config.bot.admins, manager]
    shoutouts = config.shoutouts
    if not shoutouts.channels:
        shoutouts = replace(shoutouts, channels=[f"console:{config.console.conversation}"])
    return replace(
        config, database=DatabaseConfig(url=url), bot=replace(config.bot, admins=admins), shoutouts=shoutouts
    )


def seed_demo(store: Store, taxonomy: Taxonomy, now: datetime) -> None:
    """Fill an empty database with the demo colleagues (idempotent: does nothing twice)."""
    if store.find_person("console", fold(COLLEAGUES[0].name)) is not None:
        return
    with store.unit_of_work():
        _seed(store, taxonomy, now)


def _seed(store: Store, taxonomy: Taxonomy, now: datetime) -> None:
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
    for number, (helper, asker, skill, days, text) in enumerate(PAST_HELP, 1):
        when = now - timedelta(days=days)
        name = _canonical(taxonomy, skill)
        # What a need solved live leaves behind (a help thread, the helper's evidence, thanks),
        # without the need itself: need numbers are for the needs people post in the demo.
        with store.session() as session:
            thread = HelpThread(
                source="demo",
                external_id=f"demo:{number}",
                channel="general",
                asker_id=ids[asker],
                text=f"help with {name}",
                created_at=when - timedelta(hours=3),
                solved_by_id=ids[helper],
                skills=[name],
            )
            session.add(thread)
            session.flush()
            assert thread.id is not None
            session.add(HelpReply(thread_id=thread.id, person_id=ids[helper], created_at=when, solved=True))
        store.add_claim(ids[helper], name, ClaimSource.HELPED, ref=f"thread:{thread.id}", at=when)
        if text:
            thanks = Thanks(
                from_person_id=ids[asker],
                to_person_id=ids[helper],
                text=text,
                created_at=when,
                kind=ThanksKind.THANKS,
                skills=[name],
                public=True,
                ref=f"demo:{number}",
            )
            store.add_thanks(thanks)
    # Within the period of the next shout-out, whatever the day the demo starts: just before now,
    # and never before the last post's time (that help would belong to the week already thanked).
    period_start = Weekly(0, time(10, 0)).latest(now).scheduled_at
    for minutes, (helper, asker, skill, text) in enumerate(RECENT_HELP, 1):
        when = max(now - timedelta(minutes=minutes), period_start)
        name = _canonical(taxonomy, skill)
        thanks = Thanks(
            from_person_id=ids[asker],
            to_person_id=ids[helper],
            text=text,
            created_at=when,
            kind=ThanksKind.THANKS,
            skills=[name],
            public=True,
            ref=f"demo:recent:{minutes}",
        )
        store.add_thanks(thanks, [name])  # the skill named counts as help given, as `thanks` does
    for endorser, endorsee, skill in ENDORSEMENTS:
        store.endorse(ids[endorser], ids[endorsee], _canonical(taxonomy, skill), at=now - timedelta(days=50))


def _canonical(taxonomy: Taxonomy, skill: str) -> str:
    return taxonomy.canonical(skill) or skill
