"""The vocabulary an instance recognises: the bundled one and the configured files (the base),
then what the database stores — skills learned from history or added by managers, and aliases.

An alias spelt as a bundled skill's canonical name absorbs that skill (a rename, a merge): its
aliases and French names go to the skill the alias names, and its own name is only an alias.
So every instance on one database builds the same vocabulary, from the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from skills_db.storage.curation import CURATED_CATEGORY, LEARNED_CATEGORY, StoredSkill
from skills_db.vocabulary.taxonomy import CATEGORIES, Taxonomy
from skills_db.vocabulary.taxonomy import Skill as TaxonomySkill

# The categories stored skills take in the vocabulary: learned phrases are topics of a domain;
# skills managers add are mostly tools (whose typos are worth correcting).
STORED_CATEGORIES = {LEARNED_CATEGORY: "domain", CURATED_CATEGORY: "tech"}


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
