"""How frequent a word is in general English or French, from wordfreq's word lists.

The lists are read on the first look-up, never at start-up, straight from wordfreq's data files
(gzipped msgpack, the format its ``read_cBpack`` documents): importing ``wordfreq`` itself
loads ``langcodes`` and compiles its patterns, 0.1–0.5 s that a process answering one need
would pay for two file reads of 5 ms. Should the files not be where they are expected, the
package is imported after all. Its "small" lists are used: every word down to Zipf 3 (once per
million words), about 30,000 per language, +18 MB of memory where the full lists take +70 MB.
Rarer words are not listed; for what this module is used for — telling ordinary words from
jargon — "rarer than once per million words" is all that needs saying about them.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

import msgpack

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
            table = {}
            # Buckets by frequency, the most frequent first: bucket i holds the words of -i cB,
            # that is Zipf (900 - i) / 100 (wordfreq's cB_to_zipf).
            for bucket, words in enumerate(_word_lists(_CODES[language])):
                zipf = (900 - bucket) / 100
                for word in words:
                    # Folded, "côte" and "cote" are one word: it is as frequent as the most frequent.
                    # A lower-case ASCII word without a backquote is its own folding (most are:
                    # folding them all took longer than reading the lists).
                    key = word if word.isascii() and word.islower() and "`" not in word else fold(word)
                    table.setdefault(key, zipf)
            self._zipf[language] = table
        return table

    def load(self) -> None:
        """Read every language's list now rather than on its first look-up."""
        for language in _CODES:
            self._table(language)

    def zipf(self, word: str, language: Language) -> float:
        """The Zipf frequency of a folded word; at most FLOOR_ZIPF when it is not listed."""
        return self._table(language).get(word, FLOOR_ZIPF)


def _word_lists(code: str) -> list[list[str]]:
    """wordfreq's "small" list for ``code``: its buckets of words, the most frequent first."""
    spec = importlib.util.find_spec("wordfreq")  # found, not imported
    for folder in (spec.submodule_search_locations or []) if spec else []:
        try:
            with gzip.open(Path(folder, "data", f"small_{code}.msgpack.gz"), "rb") as stream:
                data: Any = msgpack.load(stream, raw=False)
        except (OSError, ValueError):
            continue
        header = data[0] if isinstance(data, list) and data else None
        if isinstance(header, dict) and header.get("format") == "cB" and header.get("version") == 1:
            return list(data[1:])
    wordfreq = importlib.import_module("wordfreq")
    return list(wordfreq.get_frequency_list(code, "small"))


@cache
def general_frequencies() -> GeneralFrequencies:
    """The one table of each process (built on first use: about 20 ms per language)."""
    return GeneralFrequencies()
