"""Words that carry meaning, and the terms that recur in answered threads.

The default vocabulary cannot know every organisation's jargon ("the billing-v2 cluster",
"burr grinder"). Phrases that come back in several answered questions — but not in so many that
they say nothing — and that are this workspace's own rather than ordinary language ("coffee
seems", "anyone tried") become skills of their own, learned from history.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from skills_db.vocabulary.frequency import GeneralFrequencies, general_frequencies
from skills_db.vocabulary.textnorm import tokens
from skills_db.vocabulary.words import FUNCTION_WORDS

# The words of asking for help and of chat, said around any question and never about it.
CHAT_WORDS = frozenset(
    """
    actually aide answer anybody aren because besoin better bit cannot comment days didn different
    doesn don eu even ever every example first getting herself himself however isn itself kind little
    ll long look looking lot lots many meme much needs ought ourselves part people person peut peux
    possible pourquoi quelqu quelque question questions re real really seem seemed seems somebody sure
    term themselves though thus times try until upon us using usually ve wasn while whole within
    without working works year years yet yourself yourselves
    """.split()
)


def stopwords() -> frozenset[str]:
    """The function words (the one list, shared with the recogniser) and chat words — except the
    function words that name a skill ("ai", "go", "c"): in a thread about AI, "ai" is the topic.
    The recogniser, not this list, decides when such a word stands for the skill."""
    return _built_stopwords() if _given.words is None else _given.words


@cache
def _built_stopwords() -> frozenset[str]:
    from skills_db.vocabulary.taxonomy import Taxonomy  # the vocabulary imports this module

    vocabulary = Taxonomy.load_default()  # a second to build: see known_stopwords
    return frozenset(w for w in FUNCTION_WORDS if vocabulary.canonical(w) is None) | CHAT_WORDS


@dataclass
class _Given:
    words: frozenset[str] | None = None


_given = _Given()  # a process-wide cache, as _built_stopwords' own


def known_stopwords(words: frozenset[str]) -> None:
    """The stopwords as a cache made by this same code from the same bundled vocabulary saved
    them (bot.matching.vocabulary_cache): a process that loads it need not build the bundled
    vocabulary only to know which function words name a skill."""
    _given.words = words


def content_words(text: str) -> list[str]:
    """Folded tokens of ``text`` without stopwords, numbers and single letters."""
    return content_tokens(tokens(text))


def content_tokens(folded: Iterable[str]) -> list[str]:
    """These folded tokens without stopwords, numbers and single letters."""
    stop = stopwords()
    return [t for t in folded if len(t) > 1 and t not in stop and not t.isdigit()]


# Words that open or close filler rather than a term: verbs and adjectives of chat ("coffee
# seems", "anyone tried", "works fine"), days and times, said about anything. A phrase never
# starts or ends with one, nor with a common adverb in -ly, nor ends with a common past form in
# -ed ("beer brewed"; at the start, "fixed gear" and "distributed systems" are terms).
FILLER_WORDS = frozenset(
    """
    able according across advice ago already anyway appreciated around asked asking came come
    comes coming done enough exactly fine find finding found give given gives glad going good great
    guess hear heard idea ideas interested keep knew last latest mean means meant mind nice
    notice noticed often okay others please pretty probably quite recently regarding seem seems seen
    similar since started still suggest suggestions takes taking tell thought thoughts tips
    told tried tries trying wanted wanting wants way wonder wondered wondering worked worth wrong
    essaye essayer essaie semble fonctionne marche pense crois sais voudrais cherche
    trouve trouver merci
    keeps kept today tomorrow yesterday tonight morning afternoon evening weekend monday tuesday
    wednesday thursday friday saturday sunday aujourd hui demain hier matin soir lundi mardi
    mercredi jeudi vendredi samedi dimanche
    """.split()
)
# Word frequencies are those of general English or French, whichever is higher: workspaces mix
# the two ("le review de la PR"), and a word ordinary in either is no one's jargon.
COMMON_ZIPF = 4.5  # a word at least this frequent (once per 30,000 words) is an ordinary word
EDGE_ZIPF = 4.0  # an -ly or -ed word this frequent is chat, not a term ("really", "tasted")
# A key phrase is found in the workspace's answered questions at least this many times more often
# than it can be in general language: a phrase is never more frequent than its rarest word, so
# that word's general frequency bounds the phrase's from above. On the dev exports, 10 keeps
# "instant coffee" and "hidden layers" and drops "solve problem", "water bottles" (3 to 6).
KEYNESS = 10.0


# The end of a sentence or a line ("node.js" and "3.5" are no ends: no space after the dot).
_SENTENCE_END = re.compile(r"[.!?;:]+(?:\s|$)|\n")


def _phrase_word(word: str) -> bool:
    """Whether a content word may be part of a phrase: a word, or letters with digits ("v2")."""
    if word.isalpha():
        return len(word) >= 3
    return word.isalnum()  # content words are never only digits


def recurring_phrases(
    texts: Iterable[str],
    *,
    min_documents: int = 4,
    max_share: float = 0.04,
    limit: int = 300,
    frequencies: GeneralFrequencies | None = None,
) -> list[str]:
    """The key two-word phrases of ``texts``, the most frequent first (those as frequent in the
    order they first come in).

    A phrase is key when it is found in several of ``texts`` but not in most (``min_documents``,
    ``max_share``), is much more frequent there than in general language (KEYNESS), is not made
    of ordinary words only (COMMON_ZIPF) and neither starts nor ends with filler (FILLER_WORDS).

    Single words are left out: a recurring single word is as often "exactly" as "aeropress".
    Two content words in a row of one sentence are much more often a real term. A phrase counts
    once per text.
    """
    documents = 0
    words_seen = 0
    counts: Counter[str] = Counter()
    for text in texts:
        documents += 1
        # In text order, not a set's: phrases as frequent keep the order they first came in,
        # whatever the process's string hashing (the import's other process learns them too).
        phrases: dict[str, None] = {}
        for sentence in _SENTENCE_END.split(text):
            folded = tokens(sentence)
            words_seen += len(folded)
            words = [w for w in content_tokens(folded) if _phrase_word(w)]
            phrases.update(dict.fromkeys(f"{a} {b}" for a, b in pairwise(words) if a != b))
        counts.update(phrases.keys())  # its keys: a mapping given to update is read as counts
    ceiling = max(min_documents, int(documents * max_share))
    recurring = [(p, n) for p, n in counts.most_common() if min_documents <= n <= ceiling]
    if not recurring:
        return []
    general = frequencies or general_frequencies()
    learned = []
    for phrase, found in recurring:
        if _is_key(phrase.split(), found / words_seen, general):
            learned.append(phrase)
            if len(learned) == limit:
                break
    return learned


def _is_key(words: list[str], share: float, general: GeneralFrequencies) -> bool:
    """See :func:`recurring_phrases`; ``share``: the phrase's share of the workspace's words."""
    zipfs = [max(general.zipf(word, "english"), general.zipf(word, "french")) for word in words]
    if min(zipfs) >= COMMON_ZIPF:
        return False
    if share < KEYNESS * 10 ** (min(zipfs) - 9):
        return False
    first, last = words[0], words[-1]
    if first in FILLER_WORDS or last in FILLER_WORDS:
        return False
    if any(w.endswith("ly") and z >= EDGE_ZIPF for w, z in ((first, zipfs[0]), (last, zipfs[-1]))):
        return False
    return not (last.endswith("ed") and zipfs[-1] >= EDGE_ZIPF)
