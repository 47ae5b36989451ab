"""Words that carry meaning, and the terms that recur in answered threads.

The default vocabulary cannot know every organisation's jargon ("the billing-v2 cluster",
"burr grinder"). Phrases that come back in several answered questions — but not in so many that
they say nothing — become skills of their own, learned from history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from itertools import pairwise

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


@cache
def stopwords() -> frozenset[str]:
    """The function words (the one list, shared with the recogniser) and chat words — except the
    function words that name a skill ("ai", "go", "c"): in a thread about AI, "ai" is the topic.
    The recogniser, not this list, decides when such a word stands for the skill."""
    from skills_db.vocabulary.taxonomy import Taxonomy  # the vocabulary imports this module

    vocabulary = Taxonomy.load_default()
    return frozenset(w for w in FUNCTION_WORDS if vocabulary.canonical(w) is None) | CHAT_WORDS


def content_words(text: str) -> list[str]:
    """Folded tokens of ``text`` without stopwords, numbers and single letters."""
    return content_tokens(tokens(text))


def content_tokens(folded: Iterable[str]) -> list[str]:
    """These folded tokens without stopwords, numbers and single letters."""
    stop = stopwords()
    return [t for t in folded if len(t) > 1 and t not in stop and not t.isdigit()]


def recurring_phrases(
    texts: Iterable[str], *, min_documents: int = 4, max_share: float = 0.04, limit: int = 300
) -> list[str]:
    """Two-word phrases found in several of ``texts`` but not in most, the most frequent first.

    Single words are left out: without a reference corpus, a recurring single word is as often
    "exactly" as "aeropress". Two content words in a row are much more often a real term.
    A phrase counts once per text.
    """
    documents = 0
    counts: Counter[str] = Counter()
    for text in texts:
        documents += 1
        words = [w for w in content_words(text) if len(w) >= 3 and w.isalpha()]
        counts.update({f"{a} {b}" for a, b in pairwise(words) if a != b})
    ceiling = max(min_documents, int(documents * max_share))
    return [p for p, n in counts.most_common() if min_documents <= n <= ceiling][:limit]
