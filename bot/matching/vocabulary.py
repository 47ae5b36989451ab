"""The vocabulary an instance recognises: the bundled one and the configured files (the base),
then what the database stores — skills learned from history or added by managers, and aliases.

An alias spelt as a bundled skill's canonical name absorbs that skill (a rename, a merge): its
aliases and French names go to the skill the alias names, and its own name is only an alias.
So every instance on one database builds the same vocabulary, from the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.matching.skill_index import SkillIndex
from skills_db.storage.curation import CURATED_CATEGORY, LEARNED_CATEGORY, CurationQueries, StoredSkill
from skills_db.storage.feed import Change, ChangeKind, GapCursor
from skills_db.vocabulary.taxonomy import CATEGORIES, Taxonomy
from skills_db.vocabulary.taxonomy import Skill as TaxonomySkill

# The categories stored skills take in the vocabulary: learned phrases are topics of a domain;
# skills managers add are mostly tools (whose typos are worth correcting).
STORED_CATEGORIES = {LEARNED_CATEGORY: "domain", CURATED_CATEGORY: "tech"}
CURATION = frozenset({ChangeKind.VOCABULARY_CHANGED, ChangeKind.SKILL_MOVED})


def with_stored(base: Taxonomy, stored: Sequence[StoredSkill]) -> Taxonomy:
    """``base`` with the stored skills and aliases applied (see the module's docstring)."""
    if not stored:
        return base
    absorbed: dict[str, list[TaxonomySkill]] = {}  # stored skill -> bundled skills it absorbs
    gone: set[str] = set()
    for skill in stored:
        for alias in skill.aliases:
            found = base.get(alias)
            if found is not None and base.get(skill.name) is not found and found.name not in gone:
                absorbed.setdefault(skill.name, []).append(found)
                gone.add(found.name)
    entries = [skill for skill in base.skills if skill.name not in gone]
    for skill in stored:
        parts = absorbed.get(skill.name, [])
        same = base.get(skill.name)
        if same is not None and same.name not in gone:
            category = same.category
        elif parts:
            category = parts[0].category
        elif skill.category in CATEGORIES:
            category = skill.category
        else:
            category = STORED_CATEGORIES.get(skill.category, "domain")
        aliases = (*skill.aliases, *(a for part in parts for a in (part.name, *part.aliases)))
        names_fr = tuple(n for part in parts for n in part.names_fr)
        # A stored skill spelt as a bundled one joins it (Taxonomy merges entries by name).
        entries.append(TaxonomySkill(skill.name, category, tuple(dict.fromkeys(aliases)), names_fr))
    return Taxonomy.from_skills(entries)


def follow_curation(
    changes: Sequence[Change], base: Taxonomy, store: CurationQueries, skills: SkillIndex, claims: GapCursor
) -> Taxonomy | None:
    """Apply the curation among ``changes`` to an instance's index: the claims of a skill that
    changed name are dropped and read again (those ``claims`` has read; it reads the others
    under their new name); the vocabulary rebuilt from the database is returned (None: no
    curation among them)."""
    curated = [change for change in changes if change.kind in CURATION]
    if not curated:
        return None
    moved = sorted({c.skill for c in curated if c.kind == ChangeKind.SKILL_MOVED and c.skill})
    for skill in moved:  # every one dropped before any is read: a merge moves one onto another
        skills.drop_skill(skill)
    unread = [(gap.low, gap.high) for gap in claims.gaps]
    for skill in moved:
        skills.add(store.skill_claims_read(skill, claims.last, unread))
    return with_stored(base, store.stored_vocabulary())
