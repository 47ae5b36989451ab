"""Text folding and tokenisation helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skills_db.vocabulary.textnorm import _fold_char, fold, fold_with_offsets, singular_variants, stem, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Développement", "developpement"),
        ("  Gestion   de\tPROJET \n", "gestion de projet"),
        ("Œnologie, cœur, ægis, Straße", "oenologie, coeur, aegis, strasse"),
        ("l’apprentissage «automatique»", 'l\'apprentissage "automatique"'),
        ("front‑end – back–end", "front-end - back-end"),
        ("ﬁle\u00a0naïve", "file naive"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ and C#", ["c++", "and", "c#"]),
        ("(.NET) ASP.NET Core", [".net", "asp.net", "core"]),
        ("Node.js.", ["node.js"]),
        ("CI/CD, A/B testing, R&D", ["ci/cd", "a/b", "testing", "r&d"]),
        ("e-commerce l'IA", ["e", "commerce", "l", "ia"]),
        ("python...django", ["python", "django"]),
        ("notepad++ c++17", ["notepad++", "c++", "17"]),
        ("snake_case #hashtag @user", ["snake_case", "hashtag", "user"]),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_fold_with_offsets_maps_back() -> None:
    text = "Cœur e\u0301te"
    folded, origin = fold_with_offsets(text)
    assert folded == "coeur ete"
    assert len(origin) == len(folded) + 1 and origin[-1] == len(text)
    assert [text[origin[i]] for i in range(3)] == ["C", "œ", "œ"]


@given(st.text(max_size=60))
def test_fold_with_offsets_invariants(text: str) -> None:
    folded, origin = fold_with_offsets(text)
    assert len(origin) == len(folded) + 1
    assert origin == sorted(origin)
    assert all(0 <= i <= len(text) for i in origin)
    assert " ".join(folded.split()) == fold(text)


@given(st.text(alphabet=st.sampled_from("aZ`' \t.é’œßİ\u00a0\u0301–ﬁ𝔸1"), max_size=60) | st.text(max_size=60))
def test_fold_with_offsets_folds_each_character_as_alone(text: str) -> None:
    # Runs of ASCII are lower-cased whole (fast); the result is the character-by-character one.
    if text.isascii():
        return
    parts = [c.lower() if c.isascii() else _fold_char(c) for c in text]
    origin = [i for i, part in enumerate(parts) for _ in part] + [len(text)]
    assert fold_with_offsets(text) == ("".join(parts), origin)


def test_plural_helpers() -> None:
    assert singular_variants("dockers") == ("docker",)
    assert singular_variants("libraries") == ("library", "librarie")
    assert singular_variants("réseaux") == ("réseau",)
    assert singular_variants("analysis") == ()
    assert stem("databases") == stem("database")
    assert stem("donnees") == stem("donnee")
    assert stem("k8s") == "k8s"
