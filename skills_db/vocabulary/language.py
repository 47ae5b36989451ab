"""Which language a text is in, English or French, from its function words.

Counting the words only one of the two languages uses ("the", "is" against "le", "est") is
enough for chat messages: the majority wins, and English is the default (a text without any
function word, or with as many of each).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat
from typing import Literal

Language = Literal["english", "french"]

# Frequent function words of one language only (folded); those both share, or that are also
# ordinary words of the other ("a", "on", "me", "as", "car", "plus", "son"), say nothing about it.
ENGLISH_MARKERS = frozenset(
    """
    the and is are was were be been this that these those it its with for from of to what which
    who how why when where have has had do does did not can could would should will you your my
    we they there here about any some just but if than then so very
    """.split()
)
FRENCH_MARKERS = frozenset(
    """
    le la les des du de et est sont etait ete une un pour dans avec que qui quoi je tu il elle
    nous vous ils elles ce cette ces mon ma mes ton tes notre nos votre vos leur leurs pas ne au
    aux sur sous chez mais ou donc tres aussi comme quand peut faire fait avoir etre deja
    """.split()
)


# +1 per French marker, -1 per English one: a text's sum says which has more.
_LEANING = dict.fromkeys(ENGLISH_MARKERS, -1) | dict.fromkeys(FRENCH_MARKERS, 1)


def language_of(words: Iterable[str]) -> Language:
    """The language of these folded tokens: the one with more function words, English if even."""
    return "french" if sum(map(_LEANING.get, words, repeat(0))) > 0 else "english"
