"""Snowball stemming, in English or French, of the words the text index keeps.

"connection", "connected" and "connecting" must meet, as must "réseaux" and "réseau", or a need
misses the threads that say the same thing in another form. Each text is stemmed in one
language, the one most of its function words belong to (see :mod:`language`).

Words are folded (accents stripped) *before* stemming: people write "securite" as often as
"sécurité", and both must give one stem. Snowball's French rules for "-é", "-ée", "-és" need the
accent, so on folded words they leave a final "e" ("validee" → "valide" where "valider" →
"valid"); that "e" is dropped. On the 20,000 most frequent French words this keeps 96 % of the
pairs that stemming the accented words would merge (83 % without the drop), while stemming the
accented words gives another stem than the same word typed without accents for 1 in 5 of them.

Tokens that are not plain words (``node.js``, ``k8s``, ``c++``, ``ci/cd``) are kept as they are:
a stemmer would cut them into something else.

The recogniser of skills keeps its own light stemmer (:func:`textnorm.stem`): a vocabulary key
and the text it is found in must go through the same one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import Stemmer

from skills_db.vocabulary.language import Language, language_of
from skills_db.vocabulary.terms import content_tokens
from skills_db.vocabulary.textnorm import tokens


class Stems:
    """Stems words in English or French, each (language, word) computed once.

    A text index stems millions of words, but far fewer distinct ones (37,658 in the 2,902
    threads of the dev exports, questions and replies): the cache makes stemming a dictionary
    look-up. About 140 bytes a word: past ``max_words`` (14 MB) it starts again empty.
    """

    def __init__(self, max_words: int = 100_000) -> None:
        self._max_words = max_words
        self._cache: dict[Language, dict[str, str]] = {"english": {}, "french": {}}
        # Snowball stemmers keep state while they work: one per thread and language.
        self._local = threading.local()

    def _stemmer(self, language: Language) -> Stemmer.Stemmer:
        stemmers: dict[Language, Stemmer.Stemmer] | None = getattr(self._local, "stemmers", None)
        if stemmers is None:
            stemmers = self._local.stemmers = {}
        stemmer = stemmers.get(language)
        if stemmer is None:
            stemmer = stemmers[language] = Stemmer.Stemmer(language, 0)  # no cache: ours is
        return stemmer

    def _compute(self, language: Language, word: str) -> str:
        if not word.isalpha() or not word.isascii():
            return word  # node.js, k8s, c++, or a script Snowball has no rules for
        stem: str = self._stemmer(language).stemWord(word)
        if language == "french":
            while len(stem) > 3 and stem.endswith("e"):  # a folded "é" (see the module's doc)
                stem = stem[:-1]
        return stem

    def stem(self, language: Language, words: Sequence[str]) -> list[str]:
        """The stems of folded ``words``, in ``language``."""
        cache = self._cache[language]
        stems = list(map(cache.get, words))
        if None in stems:  # words seen for the first time
            for i, (word, stem) in enumerate(zip(words, stems, strict=True)):
                if stem is None:
                    stem = cache.get(word)  # the same new word earlier in this text
                    if stem is None:
                        stem = self._compute(language, word)
                        if len(cache) >= self._max_words:  # unbounded vocabularies (hashes, ids)
                            cache.clear()
                        cache[word] = stem
                    stems[i] = stem
        return stems  # type: ignore[return-value]  # every None was replaced


# The stems every text index shares (a cache: the same word gives the same stem everywhere).
SHARED_STEMS = Stems()


def stemmed_content_words(text: str, stems: Stems = SHARED_STEMS) -> list[str]:
    """The content words of ``text`` (see :func:`terms.content_tokens`), stemmed in its language."""
    folded = tokens(text)
    return stems.stem(language_of(folded), content_tokens(folded))
