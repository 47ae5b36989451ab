"""Words that carry meaning, and the terms that recur in answered threads.

The default vocabulary cannot know every organisation's jargon ("the billing-v2 cluster",
"burr grinder"). Phrases that come back in several answered questions — but not in so many that
they say nothing — become skills of their own, learned from history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

from skills_db.textnorm import tokens

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren as at be because been before
    being below between both but by can cannot could did do does doing don down during each else ever
    every few for from further get gets getting got had has have having he her here hers herself him
    himself his how however i if in into is isn it its itself just know let like ll make many may me
    might more most much must my myself need needs no nor not now of off on once one only or other
    ought our ours ourselves out over own please re really same see shall she should so some such than
    thank thanks that the their theirs them themselves then there these they thing things this those
    though through thus to too under until up upon us use used using ve very via want was way we well
    were what when where which while who whom why will with within without would yes yet you your
    yours yourself yourselves anyone anybody someone somebody help question questions answer
    good best better new old different same first two three lot lots time times people person year
    years day days work works working question possible example something anything best usually
    au aux avec ce ces cet cette dans de des du elle elles en est et etc eu il ils je la le les leur
    leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses si
    son sont sur ta te tes toi ton tu un une vos votre vous y c d j l m n s t qu est ete etre avoir
    fait faire peut peux besoin aide quelqu quelque comment pourquoi quand tout tous toute toutes tres
    plus moins aussi alors donc car ni sans sous chez entre vers seem seems seemed doesn didn isn wasn
    bit little long term made even try look looking whole part real actually sure kind going""".split()
)


def content_words(text: str) -> list[str]:
    """Folded tokens of ``text`` without stopwords, numbers and single letters."""
    return [t for t in tokens(text) if len(t) > 1 and t not in STOPWORDS and not t.isdigit()]


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
