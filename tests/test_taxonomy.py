"""Behaviour of the skills vocabulary and of skill recognition in free text."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skills_db.vocabulary.taxonomy import CATEGORIES, Skill, SkillMention, Taxonomy, TaxonomyFileError
from skills_db.vocabulary.textnorm import tokens


@pytest.fixture(scope="module")
def tx() -> Taxonomy:
    return Taxonomy.load_default()


def names(mentions: list[SkillMention]) -> list[str]:
    return [m.skill for m in mentions]


# -- the default vocabulary ---------------------------------------------------------------


def test_default_vocabulary_is_large_and_cached(tx: Taxonomy) -> None:
    assert len(tx) >= 2500
    assert Taxonomy.load_default() is tx
    assert {s.category for s in tx} <= set(CATEGORIES)


def test_default_vocabulary_keys_are_unambiguous(tx: Taxonomy) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for skill in tx:
        for surface in (skill.name, *skill.aliases, *skill.names_fr):
            key = " ".join(tokens(surface))
            assert key, f"{surface!r} of {skill.name!r} folds to nothing"
            owners[key].add(skill.name)
    clashes = {key: sorted(o) for key, o in owners.items() if len(o) > 1}
    assert clashes == {}
    assert tx.conflicts == []


def test_default_file_lines_are_valid_json_objects() -> None:
    path = Path(__file__).parents[1] / "skills_db" / "vocabulary" / "data" / "skills.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 2500
    first = json.loads(lines[0])
    assert set(first) == {"name", "category", "aliases", "fr"}


def test_some_entries_carry_french_names(tx: Taxonomy) -> None:
    pm = tx.get("Project management")
    assert pm is not None and "gestion de projet" in pm.names_fr
    assert sum(1 for s in tx if s.names_fr) > 800


# -- aliases, French, case, accents, plurals --------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("k8s", "Kubernetes"),
        ("js", "JavaScript"),
        ("gestion de projet", "Project management"),
        ("Gestion de Projets", "Project management"),
        ("apprentissage automatique", "Machine learning"),
        ("développement web", "Web development"),
        ("DEVELOPPEMENT WEB", "Web development"),
        ("Node JS", "Node.js"),
        ("nodejs", "Node.js"),
        ("postgres", "PostgreSQL"),
        ("Dockers", "Docker"),
        ("bases de données", "Databases"),
        ("Kubernets", "Kubernetes"),
        ("terrafrom", "Terraform"),
        ("Go", "Go"),
        ("golang", "Go"),
        ("C", "C"),
        ("c#", "C#"),
        ("spring", "Spring Framework"),
        ("comptabilité", "Accounting"),
        ("torréfaction", "Coffee roasting"),
        ("réparation de vélo", "Bicycle repair"),
    ],
)
def test_canonical(tx: Taxonomy, term: str, expected: str) -> None:
    assert tx.canonical(term) == expected


@pytest.mark.parametrize("term", ["", "   ", "zorglub quantique", "team", "window", "the", "xyz"])
def test_canonical_unknown(tx: Taxonomy, term: str) -> None:
    assert tx.canonical(term) is None


def test_recognise_french_with_and_without_accents(tx: Taxonomy) -> None:
    with_accents = tx.recognise("Je cherche de l'aide en développement web et en comptabilité")
    without = tx.recognise("je cherche de l'aide en developpement web et en comptabilite")
    assert names(with_accents) == names(without) == ["Web development", "Accounting"]
    assert with_accents[0].surface == "développement web"


def test_recognise_french_phrases(tx: Taxonomy) -> None:
    text = "Quelqu'un maîtrise la gestion de projet, l'apprentissage automatique et le droit du travail ?"
    assert names(tx.recognise(text)) == ["Project management", "Machine learning", "Employment law"]


def test_recognise_case_and_plurals(tx: Taxonomy) -> None:
    found = tx.recognise("Any KUBERNETES folks? We run Dockers and several PostgreSQL databases")
    assert names(found) == ["Kubernetes", "Docker", "PostgreSQL", "Databases"]
    docker = found[1]
    assert docker.surface == "Dockers" and docker.score < 100


def test_recognise_typos(tx: Taxonomy) -> None:
    found = tx.recognise("our kubernets setup, the terrafrom plan and a postgress replica")
    assert names(found)[:3] == ["Kubernetes", "Terraform", "PostgreSQL"]
    assert all(80 <= m.score < 100 for m in found[:3])
    assert [m.surface for m in found[:3]] == ["kubernets", "terrafrom", "postgress"]


def test_recognise_phrase_typo_anchored_on_first_word(tx: Taxonomy) -> None:
    assert names(tx.recognise("getting into machine lerning")) == ["Machine learning"]


def test_exact_matches_score_100(tx: Taxonomy) -> None:
    (mention,) = tx.recognise("k8s")
    assert mention == SkillMention("Kubernetes", "k8s", 0, 3, 100.0)


# -- false positives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "some",
        "I can do it",
        "let's go",
        "Go ahead, do it as soon as you can",
        "less is more",
        "we should spring into action and react quickly",
        "please express your concerns",
        "there is rust on my old chain",
        "a window of opportunity for the team",
        "I will excel at this",
        "Ask Julia or Pascal, they know",
        "1 hr meeting at 3 pm, it is what it is",
        "some SMEs said so",
        "c'est la vie, j'ai faim, on y va vite",
        "une notion importante pour le chef",
        "looking forward to coming back",
        "the scale of the problem",
    ],
)
def test_no_false_positives(tx: Taxonomy, text: str) -> None:
    assert tx.recognise(text) == []


def test_coffee_is_the_only_skill_in_make_some_coffee(tx: Taxonomy) -> None:
    assert names(tx.recognise("let's go make some coffee")) == ["Coffee"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm learning Rust these days", ["Rust"]),
        ("We use Spring and React at work", ["Spring Framework", "React"]),
        ("Spring is finally here", []),
        ("I know R and Python", ["R", "Python"]),
        ("The HR team needs ML help", ["Human resources", "Machine learning"]),
        ("the hr team", []),
        ("Who knows Vue? La vue est belle", ["Vue.js"]),
        ("Pokemon Go is fun", []),
    ],
)
def test_ambiguous_words_need_declared_casing(tx: Taxonomy, text: str, expected: list[str]) -> None:
    assert names(tx.recognise(text)) == expected


# -- longest match, order, uniqueness, offsets -------------------------------------------------


def test_longest_match_wins(tx: Taxonomy) -> None:
    assert names(tx.recognise("terraform state locking keeps failing")) == ["Terraform"]
    assert names(tx.recognise("I love Spring Boot")) == ["Spring Boot"]
    assert names(tx.recognise("machine learning engineer")) == ["Machine learning"]
    assert names(tx.recognise("React Native or React?")) == ["React Native", "React"]


def test_phrases_do_not_span_punctuation(tx: Taxonomy) -> None:
    assert names(tx.recognise("data, science")) == []
    assert names(tx.recognise("C#, .NET")) == ["C#", ".NET"]


def test_each_skill_once_in_text_order(tx: Taxonomy) -> None:
    text = "python, Django and PYTHON again; then k8s and Kubernetes"
    found = tx.recognise(text)
    assert names(found) == ["Python", "Django", "Kubernetes"]
    assert [m.start for m in found] == sorted(m.start for m in found)
    assert found[0].surface == "python"


def test_offsets_point_into_original_text(tx: Taxonomy) -> None:
    text = "Cœur: j’adore le Développement Web — et l'œnologie !"
    found = tx.recognise(text)
    assert names(found) == ["Web development", "Wine"]
    for mention in found:
        assert text[mention.start : mention.end] == mention.surface
    assert found[0].surface == "Développement Web"
    assert found[1].surface == "œnologie"


def test_skillish_tokens(tx: Taxonomy) -> None:
    found = tx.recognise("C++ and C# devs, .NET, Node.js, CI/CD and a/b testing; python/django")
    assert names(found) == [
        "C++",
        "C#",
        ".NET",
        "Node.js",
        "CI/CD",
        "A/B testing",
        "Python",
        "Django",
    ]


def test_general_knowledge_domains(tx: Taxonomy) -> None:
    text = "Best grind size for a V60 pour over? My bike needs a derailleur adjustment."
    assert names(tx.recognise(text)) == [
        "Coffee grinding",
        "Pour-over coffee",
        "Cycling",
        "Derailleur adjustment",
    ]
    assert "Homebrewing" in names(tx.recognise("dry hopping during homebrewing"))
    assert names(tx.recognise("le subjonctif après bien que")) == ["French subjunctive"]


def test_empty_and_symbol_only_text(tx: Taxonomy) -> None:
    assert tx.recognise("") == []
    assert tx.recognise("  ... !!! ???") == []


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdekstuxCGJKPRS#+./ '’éœ,\n")), max_size=80))
def test_recognise_invariants(text: str) -> None:
    found = Taxonomy.load_default().recognise(text)
    assert len({m.skill for m in found}) == len(found)
    previous_end = 0
    for mention in found:
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start : mention.end] == mention.surface
        assert mention.start >= previous_end or mention.end <= previous_end
        assert 0 < mention.score <= 100
    assert [m.start for m in found] == sorted(m.start for m in found)


# -- suggest ---------------------------------------------------------------------------------


def test_suggest(tx: Taxonomy) -> None:
    assert tx.suggest("kube")[0] == "Kubernetes"
    assert tx.suggest("pyton")[0] == "Python"
    assert tx.suggest("Marketting")[0] == "Marketing"
    assert tx.suggest("machin learning")[0] == "Machine learning"
    assert len(tx.suggest("data", limit=5)) == 5
    assert tx.suggest("") == []
    assert tx.suggest("kube", limit=0) == []


# -- get / len / contains ------------------------------------------------------------------------


def test_get_len_contains(tx: Taxonomy) -> None:
    skill = tx.get("Kubernetes")
    assert skill is not None and "k8s" in skill.aliases and skill.category == "tech"
    assert tx.get("kubernetes") is skill
    assert tx.get("k8s") is None  # aliases go through canonical()
    assert "Kubernetes" in tx and "Nonexistent skill" not in tx
    assert 42 not in tx


def test_skill_validation() -> None:
    with pytest.raises(ValueError):
        Skill("")
    with pytest.raises(ValueError):
        Skill("Thing", category="nope")
    skill = Skill("  Thing  one ", aliases=["x"])  # type: ignore[arg-type]
    assert skill.name == "Thing one" and skill.aliases == ("x",)


# -- from_skills / conflicts / extended -------------------------------------------------------------


def test_from_skills_conflicts_prefer_names_then_order() -> None:
    small = Taxonomy.from_skills(
        [
            Skill("Alpha", aliases=("shared alias", "beta tool")),
            Skill("Beta tool", aliases=("shared alias",)),
            Skill("Alpha", names_fr=("alpha en français",)),
        ]
    )
    assert len(small) == 2  # the two "Alpha" entries are merged
    assert small.canonical("shared alias") == "Alpha"
    assert small.canonical("beta tool") == "Beta tool"  # a name beats an alias
    assert small.canonical("alpha en francais") == "Alpha"
    assert {c.key for c in small.conflicts} == {"shared alias", "beta tool"}


def test_extended_adds_and_merges(tx: Taxonomy) -> None:
    bigger = tx.extended(
        [
            Skill("Entraide bot", aliases=("entraide",), names_fr=("robot d'entraide",)),
            Skill("Kubernetes", aliases=("kubernetes operators",)),
        ]
    )
    assert len(bigger) == len(tx) + 1
    assert "Entraide bot" not in tx and "Entraide bot" in bigger
    assert names(bigger.recognise("who maintains the entraide bot config?")) == ["Entraide bot"]
    assert bigger.canonical("robot d'entraide") == "Entraide bot"
    assert bigger.canonical("kubernetes operators") == "Kubernetes"
    assert bigger.canonical("k8s") == "Kubernetes"
    assert tx.canonical("kubernetes operators") is None
    kube = bigger.get("Kubernetes")
    assert kube is not None and kube.category == "tech" and "k8s" in kube.aliases


# -- from_file -----------------------------------------------------------------------------------


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_from_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "skills.jsonl",
        [
            "# local vocabulary",
            json.dumps({"name": "Sourdough", "category": "domain", "aliases": ["levain"], "fr": []}),
            "",
            json.dumps({"name": "Kubernetes", "aliases": ["k8s"]}),
        ],
    )
    small = Taxonomy.from_file(path)
    assert len(small) == 2
    assert small.get("Kubernetes") == Skill("Kubernetes", "tech", ("k8s",), ())
    assert names(small.recognise("k8s and levain")) == ["Kubernetes", "Sourdough"]


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ('{"name": "Broken", "aliases": [}', "invalid JSON"),
        ('["not", "an", "object"]', "JSON object"),
        ('{"category": "tech"}', '"name"'),
        ('{"name": "X", "category": "magic"}', '"category"'),
        ('{"name": "X", "aliases": "k8s"}', '"aliases"'),
        ('{"name": "X", "fr": [1, 2]}', '"fr"'),
        ('{"name": "X", "alias": ["x"]}', "unknown field"),
    ],
)
def test_from_file_reports_file_and_line(tmp_path: Path, bad_line: str, reason: str) -> None:
    path = write(
        tmp_path / "bad.jsonl",
        [json.dumps({"name": "Fine"}), "", bad_line, json.dumps({"name": "Never read"})],
    )
    with pytest.raises(TaxonomyFileError) as info:
        Taxonomy.from_file(path)
    err = info.value
    assert err.line == 3 and err.path == str(path)
    assert f"{path}:3:" in str(err) and reason in str(err)


def test_from_file_missing(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyFileError, match="cannot read"):
        Taxonomy.from_file(tmp_path / "missing.jsonl")
