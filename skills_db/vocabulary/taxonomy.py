"""Skills vocabulary and skill recognition in free text (English and French).

Rules (the word lists live in :mod:`skills_db.vocabulary.words`):

* **Keys.** Every canonical name, alias and French name is folded (case, accents,
  œ/æ/ß, quotes) and tokenised with :mod:`skills_db.vocabulary.textnorm`; the joined tokens are the
  key. A key belongs to one skill: on a clash, canonical names beat aliases, aliases
  beat French names, and the earlier skill wins (the default vocabulary before admin
  extensions); clashes are listed in :attr:`Taxonomy.conflicts`. A phrase never spans
  punctuation other than spaces, hyphens and apostrophes ("data, science" is not one).
* **Short and ambiguous words.** One- and two-letter keys (``ml``, ``hr``, ``ai``, ``R``)
  and frequent EN/FR words that also name a product with another meaning (``Spring``,
  ``Express``, ``Rust``, ``Excel``, ``vite``, ``Notion``) are only recognised when
  written exactly as declared (``ML``, ``Spring``). A Title-case form is also ignored at
  the start of a sentence and right after a capitalised word that does not itself start
  the sentence ("Spring is here", "How To Spring Clean"). Two-letter keys that are never
  words are exempt: ``js``, ``ts``, ``ux``, ``ui``, ``qa``. So "rust on my bike chain"
  and "let's react quickly" yield nothing while "I'm learning Rust" yields Rust ("rusty"
  is simply not a key).
* **Canonical-only keys.** Function words, single letters other than ``R`` and names
  that are common first names (``go``, ``make``, ``c``, ``julia``, ``pascal``...) are
  resolved by :meth:`Taxonomy.canonical` but never recognised alone in free text;
  multi-word or unambiguous aliases are used instead (``golang``, ``GNU make``,
  ``C language``, ``julialang``).
* **Plurals.** A word also matches the key it is the plural of ("Dockers" → Docker) or,
  from five letters, the plural key it is the singular of ("dashboard" → Dashboards);
  phrases are compared after a light EN/FR plural stemmer ("bases de données"). Common
  words listed in ``NO_FUZZ`` never match this way ("survey", "fraction"), and ambiguous
  keys never do ("team" is not Microsoft Teams, "window" is not Windows).
* **Typos.** Only words of six letters or more that are not common EN/FR words are
  typo-corrected, only against single-word keys of technical skills (categories ``tech``
  and ``data``, whose names are not dictionary words; ambiguous and common-word keys
  excluded), within one OSA edit (two from ten letters), and only when the closest key
  is unique: "kubernets", "terrafrom", "postgress". A phrase is typo-corrected when its
  first word is exact ("machine lerning"). :meth:`Taxonomy.canonical` applies the same
  rule (plus phrases of any category); :meth:`Taxonomy.suggest` is the lenient one.
  Scores: 100 exact, 95 plural/stem, lower for typos.
* **Overlaps.** The longest phrase wins ("terraform state locking" → Terraform,
  "Spring Boot" → Spring Boot, not Spring); each skill is reported once, in text order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from skills_db.vocabulary.index import KIND_ALIAS, KIND_FR, KIND_NAME, Conflict, VocabIndex
from skills_db.vocabulary.recognise import recognise_ids
from skills_db.vocabulary.textnorm import tokens

__all__ = ["CATEGORIES", "Skill", "SkillMention", "Taxonomy", "TaxonomyFileError"]

CATEGORIES: tuple[str, ...] = (
    "tech",
    "data",
    "design",
    "business",
    "management",
    "soft",
    "language",
    "domain",
)
_FILE_FIELDS = frozenset({"name", "category", "aliases", "fr"})


@dataclass(frozen=True)
class Skill:
    """A vocabulary entry."""

    name: str  # canonical English name
    category: str = "tech"
    aliases: tuple[str, ...] = ()
    names_fr: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a skill needs a non-empty name")
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r} for {self.name!r}")
        object.__setattr__(self, "name", " ".join(self.name.split()))
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(self, "names_fr", tuple(self.names_fr))


@dataclass(frozen=True)
class SkillMention:
    """A skill recognised in a text."""

    skill: str  # canonical name
    surface: str  # the text as written in the input
    start: int  # char offsets into the original text
    end: int
    score: float  # 100.0 for exact/alias, lower for fuzzy


class TaxonomyFileError(ValueError):
    """A vocabulary file could not be read; names the file and the line."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def _name_key(name: str) -> str:
    return " ".join(tokens(name))


def _contains(words: list[str], part: list[str]) -> bool:
    """Whether ``part`` occurs in ``words`` as consecutive words."""
    size = len(part)
    return bool(size) and any(words[i : i + size] == part for i in range(len(words) - size + 1))


def _merge(skills: Iterable[Skill]) -> list[Skill]:
    """Merge entries sharing a canonical name (folded): union of aliases, first category."""
    merged: dict[str, Skill] = {}
    for skill in skills:
        key = _name_key(skill.name) or skill.name
        old = merged.get(key)
        if old is None:
            merged[key] = skill
            continue
        merged[key] = Skill(
            old.name,
            old.category,
            tuple(dict.fromkeys(old.aliases + skill.aliases)),
            tuple(dict.fromkeys(old.names_fr + skill.names_fr)),
        )
    return list(merged.values())


def _string_list(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'"{what}" must be a list of strings')
    return tuple(value)


def _parse_line(line: str) -> Skill:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    unknown = sorted(set(data) - _FILE_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError('"name" must be a non-empty string')
    category = data.get("category", "tech")
    if category not in CATEGORIES:
        raise ValueError(f'"category" must be one of {", ".join(CATEGORIES)}')
    return Skill(
        name,
        category,
        _string_list(data.get("aliases", []), "aliases"),
        _string_list(data.get("fr", []), "fr"),
    )


def _parse_jsonl(content: str, label: str) -> list[Skill]:
    skills: list[Skill] = []
    for lineno, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "//")):
            continue
        try:
            skills.append(_parse_line(line))
        except ValueError as exc:
            raise TaxonomyFileError(label, lineno, str(exc)) from None
    return skills


@cache
def _default() -> Taxonomy:
    data = resources.files("skills_db.vocabulary").joinpath("data", "skills.jsonl")
    text = data.read_text(encoding="utf-8")
    return Taxonomy.from_skills(_parse_jsonl(text, "skills_db/vocabulary/data/skills.jsonl"))


class Taxonomy:
    """An immutable skills vocabulary with recognition and normalisation helpers."""

    __slots__ = ("_by_name", "_index", "_skills")

    def __init__(self, skills: Iterable[Skill] = ()) -> None:
        """Build a vocabulary; entries with the same (folded) name are merged."""
        merged = tuple(_merge(skills))
        entries: list[tuple[int, str, int]] = []
        for sid, skill in enumerate(merged):
            entries.append((sid, skill.name, KIND_NAME))
        for sid, skill in enumerate(merged):
            entries.extend((sid, alias, KIND_ALIAS) for alias in skill.aliases)
        for sid, skill in enumerate(merged):
            entries.extend((sid, name_fr, KIND_FR) for name_fr in skill.names_fr)
        by_name: dict[str, Skill] = {}
        for skill in merged:
            by_name.setdefault(_name_key(skill.name), skill)
            by_name[skill.name] = skill
        self._skills = merged
        self._by_name = by_name
        self._index = VocabIndex([s.name for s in merged], [s.category for s in merged], entries)

    def __repr__(self) -> str:
        return f"<Taxonomy: {len(self._skills)} skills>"

    @classmethod
    def load_default(cls) -> Taxonomy:
        """The bundled vocabulary (``skills_db/vocabulary/data/skills.jsonl``), built once."""
        return _default()

    @classmethod
    def from_skills(cls, skills: Iterable[Skill]) -> Taxonomy:
        """Build a vocabulary; entries with the same (folded) name are merged."""
        return cls(skills)

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        """Read a JSONL vocabulary; a bad line raises :class:`TaxonomyFileError`."""
        label = str(path)
        try:
            content = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TaxonomyFileError(label, 0, f"cannot read file: {exc}") from None
        return cls.from_skills(_parse_jsonl(content, label))

    def extended(self, skills: Iterable[Skill]) -> Taxonomy:
        """A new vocabulary with extra entries; same-name entries get merged aliases."""
        return Taxonomy.from_skills((*self._skills, *skills))

    # -- lookups -----------------------------------------------------------------------

    def canonical(self, term: str) -> str | None:
        """Canonical name for a declared skill (alias, French, plural, typo), or None."""
        sid = self._index.canonical_id(term)
        return None if sid is None else self._skills[sid].name

    def owner(self, term: str) -> str | None:
        """The skill whose name, alias or French name is ``term`` exactly (case, accents and
        spacing aside): what a new name or alias would clash with. No plural, no typo."""
        sid = self._index.exact.get(_name_key(term))
        return None if sid is None else self._skills[sid].name

    def suggest(self, term: str, limit: int = 3) -> list[str]:
        """Close canonical names, best first, for "did you mean ...?" prompts."""
        return [self._skills[sid].name for sid in self._index.suggest_ids(term, limit)]

    def recognise(self, text: str) -> list[SkillMention]:
        """Skills mentioned in free text: in text order, no overlaps, each skill once."""
        return [
            SkillMention(self._skills[f.sid].name, text[f.start : f.end], f.start, f.end, f.score)
            for f in recognise_ids(self._index, text)
        ]

    def skills_in(self, text: str) -> list[str]:
        """The names of the skills ``text`` mentions, each once, in text order: what matching
        and imports need from ``recognise``, without building the mentions."""
        skills = self._skills
        return [skills[f.sid].name for f in recognise_ids(self._index, text)]

    def get(self, name: str) -> Skill | None:
        """The entry whose canonical name is ``name`` (case/accent-insensitive)."""
        return self._by_name.get(name) or self._by_name.get(_name_key(name))

    def label(self, name: str, language: str | None) -> str:
        """How to name a skill to a reader of ``language``: in French, its first French name
        where it is a translation, else the canonical name.

        A French name that only wraps the canonical one ("langage c", "requêtes sql") and the
        name of a product (one word, technical or with capitals inside: Python, VBA) stay as they
        are; words of the canonical name keep their case ("animations css" → "Animations CSS").
        """
        skill = self.get(name)
        if skill is None or language != "fr" or not skill.names_fr:
            return skill.name if skill is not None else name
        french = skill.names_fr[0].split()
        canonical = skill.name.split()
        folded = tokens(skill.names_fr[0])
        product = len(canonical) == 1 and (skill.category in ("tech", "data") or not skill.name[1:].islower())
        if product or _contains(folded, tokens(skill.name)):
            return skill.name
        cased: dict[str, str] = {}
        for word in canonical:
            if not word.islower():
                cased[_name_key(word)] = word
                if word.endswith("s") and not word[:-1].islower():  # "APIs" names "api" too
                    cased.setdefault(_name_key(word[:-1]), word[:-1])
        words = [cased.get(_name_key(word), word) for word in french]
        return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])

    @property
    def skills(self) -> tuple[Skill, ...]:
        return self._skills

    @property
    def conflicts(self) -> list[Conflict]:
        """Keys claimed by several skills and how they were resolved."""
        return list(self._index.conflicts)

    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills)
