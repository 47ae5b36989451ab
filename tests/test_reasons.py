"""Reasons in words: true counts and periods, the right grammatical person, both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.i18n import Catalog
from bot.matching.candidates import Reason
from bot.matching.reasons import explain
from skills_db.storage.models import ClaimSource
from skills_db.vocabulary.taxonomy import Taxonomy
from tests.support import make_services

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
SAMPLE = {"skill": "SQL", "example": "How do I join two tables?", "days": 90}
SECOND = {"en": re.compile(r"\byou\b", re.I), "fr": re.compile(r"\bvous\b", re.I)}


def reason_keys(catalog: Catalog) -> list[str]:
    return sorted(
        key for key in catalog.messages["en"] if key.startswith("reason.") and not key.endswith("_one")
    )


def test_every_reason_reads_in_both_persons_and_both_languages() -> None:
    catalog = Catalog.load()
    keys = reason_keys(catalog)
    assert "reason.helped" in keys and "reason.active_recent" in keys
    for key in keys:
        for count, recent in ((1, 1), (3, 0), (3, 1), (3, 3), (7, 2)):
            reason = Reason(key, {**SAMPLE, "count": count, "recent": recent})
            for language in ("en", "fr"):
                you = explain(catalog, [reason], language, person="you")
                them = explain(catalog, [reason], language, person="them")
                for text in (you, them):
                    assert "{" not in text and "}" not in text, (key, language, text)
                assert SECOND[language].search(you), (key, language, you)
                assert not SECOND[language].search(them), (key, language, them)


def test_counts_state_their_period() -> None:
    catalog = Catalog.load()
    helped = Reason("reason.helped", {"count": 7, "skill": "SQL", "recent": 2, "days": 90})
    assert (
        explain(catalog, [helped], "en", person="them")
        == "helped 7 times with SQL, 2 of them in the last 90 days"
    )
    assert (
        explain(catalog, [helped], "fr")
        == "vous avez aidé 7 fois en SQL, dont 2 au cours des 90 derniers jours"
    )
    # An all-time count of activity says no period; a count of the last 90 days says so.
    assert explain(catalog, [Reason("reason.active", {"count": 4})], "en") == "you helped colleagues 4 times"
    recent = Reason("reason.active_recent", {"count": 1, "days": 90})
    assert explain(catalog, [recent], "en", person="them") == "helped a colleague once in the last 90 days"
    two = [
        Reason("reason.endorsed", {"count": 2, "skill": "SQL"}),
        Reason("reason.declared", {"skill": "SQL"}),
    ]
    assert explain(catalog, two, "fr", person="them") == (
        "est recommandé·e en SQL par 2 collègues\u00a0; a déclaré SQL"
    )


def test_a_higher_rank_with_fewer_helps_is_explained_by_recent_help(sqlite_url: str) -> None:
    services = make_services(sqlite_url, clock=lambda: NOW)
    store = services.store
    old = store.person_for("slack", "old", "Old").id
    fresh = store.person_for("slack", "fresh", "Fresh").id
    assert old is not None and fresh is not None
    for day in range(7):
        store.add_claim(old, "SQL", ClaimSource.HELPED, at=NOW - timedelta(days=700 + day))
    for day in range(6):
        store.add_claim(fresh, "SQL", ClaimSource.HELPED, at=NOW - timedelta(days=10 + day))
    match = services.matcher.rank("a slow SQL query", ["SQL"], None, NOW)
    first, second = match.candidates[:2]
    assert (first.name, second.name) == ("Fresh", "Old")  # 6 recent helps rank above 7 old ones
    said = {c.name: explain(services.catalog, c.reasons, "en", person="them") for c in (first, second)}
    assert said == {
        "Fresh": "helped 6 times with SQL, all in the last 90 days",
        "Old": "helped 7 times with SQL, none in the last 90 days",
    }


def test_skills_are_named_in_french_for_french_readers() -> None:
    taxonomy = Taxonomy.load_default()
    assert taxonomy.label("Project management", "fr") == "Gestion de projet"
    assert taxonomy.label("Project management", "en") == "Project management"
    assert taxonomy.label("CSS animations", "fr") == "Animations CSS"  # the acronym keeps its case
    # A product keeps its name, and so does a skill whose French name only wraps it.
    assert taxonomy.label("Python", "fr") == "Python"
    assert taxonomy.label("SQL", "fr") == "SQL"  # not "requêtes sql"
    assert taxonomy.label("not a known skill", "fr") == "not a known skill"
    catalog = Catalog.load()
    reason = Reason("reason.declared", {"skill": "Project management"})
    assert (
        explain(catalog, [reason], "fr", person="them", label=taxonomy.label) == "a déclaré Gestion de projet"
    )
    assert explain(catalog, [reason], "en", label=taxonomy.label) == "you declared Project management"
