"""How frequent a word is in general English or French, from wordfreq's word lists.

Only the learning of a workspace's phrases needs it, so ``wordfreq`` is imported on the first
look-up, never at start-up. Its "small" lists are used: every word down to Zipf 3 (once per
million words), about 30,000 per language, +18 MB of memory where the full lists take +70 MB.
Rarer words are not listed; for what this module is used for — telling ordinary words from
jargon — "rarer than once per million words" is all that needs saying about them.
"""

from __future__ import annotations

import importlib
from functools import cache

from skills_db.vocabulary.language import Language
from skills_db.vocabulary.textnorm import fold

_CODES: dict[Language, str] = {"english": "en", "french": "fr"}
FLOOR_ZIPF = 3.0  # the least frequent words of the small lists; unlisted words are rarer


class GeneralFrequencies:
    """Zipf frequencies (log10 of occurrences per billion words) of folded words."""

    def __init__(self) -> None:
        self._zipf: dict[Language, dict[str, float]] = {}

    def _table(self, language: Language) -> dict[str, float]:
        table = self._zipf.get(language)
        if table is None:
            wordfreq = importlib.import_module("wordfreq")
            table = {}
            # Buckets by frequency, the most frequent first: bucket i holds the words of -i cB.
            for bucket, words in enumerate(wordfreq.get_frequency_list(_CODES[language], "small")):
                zipf = float(wordfreq.cB_to_zipf(-bucket))
                for word in words:
                    # Folded, "côte" and "cote" are one word: it is as frequent as the most frequent.
                    table.setdefault(fold(word), zipf)
            self._zipf[language] = table
        return table

    def zipf(self, word: str, language: Language) -> float:
        """The Zipf frequency of a folded word; at most FLOOR_ZIPF when it is not listed."""
        return self._table(language).get(word, FLOOR_ZIPF)


@cache
def general_frequencies() -> GeneralFrequencies:
    """The one table of each process (built on first use: about 0.3 s per language)."""
    return GeneralFrequencies()
