"""How familiar a need's words are to this community, against general language.

A community knows a need when the need's distinctive words are words it uses more than people
generally do: "grind", "crema" and "portafilter" are a coffee community's words, "hops" is not.
For each distinctive word of the need (rarer than Zipf FAMILIAR_ZIPF in general English or
French), the log-ratio of its frequency in the community's threads (smoothed towards general
language) to its general frequency (wordfreq) is taken, clipped, and averaged. That figure
alone does not transfer between communities — a small one has seen few words — so a need is
compared with the community's own past questions: its *familiarity* is the share of its latest
REFERENCE questions (each scored without its own words) that are less familiar than the need.
A question from another community lands low; one like those it answers anywhere in its range.

On the dev exports it tells each community's own questions from the other exports' (AUC
0.83–0.97 on each of the nine) far better than the best thread's share of a need does
(0.47–0.80); its threshold (Model.familiar) is chosen leave-one-community-out (bench.quality).
Counts come from the thread index's collection statistics
(:class:`~bot.matching.text_index.TextIndex`), which keep removed threads, as BM25's do; the
reference questions of a removed thread are dropped with it.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import Counter, OrderedDict

from bot.matching.text_index import Terms, TextIndex, content_terms, need_terms
from skills_db.vocabulary.frequency import general_frequencies
from skills_db.vocabulary.language import Language

FAMILIAR_ZIPF = 5.0  # words at least this frequent in general language say nothing of a domain
CLIP = 3.0  # a word's log10-ratio counts at most this much either way: one odd word is not a topic
REFERENCE = 400  # the community's latest questions a need is compared with
PRIOR_WORDS = 500  # see _figure (500, 2,000 and 10,000 did alike leave-one-community-out)
STALE = 0.05  # the reference is scored again once the index grew by this share (or 20 threads)


# A text's distinctive stems, each with its general frequency (uses per word) and how often it
# is in the text: what its figure is computed from (see _rare).
Rare = tuple[tuple[str, float, int], ...]


class Familiarity:
    def __init__(self, index: TextIndex) -> None:
        self._index = index
        # The latest questions, by thread: their distinctive stems (what general language says
        # of them does not change: worked out once, not at each scoring of the reference).
        self._questions: OrderedDict[int, Rare] = OrderedDict()
        self._reference: list[float] = []  # the questions' own figures, ascending
        self._scored_at = -1  # len(index) when the reference was scored
        # Each figure of the reference by thread, and those taken out since it was scored: a
        # thread read again (a reply came: removed, then added as it is now) keeps its figure,
        # and a removed one takes only its own out. Scoring the whole reference again at each
        # reply cost the next need 50-100 ms on long questions.
        self._figures: dict[int, float] = {}
        self._taken: dict[int, tuple[Rare, float]] = {}

    def add(self, thread_id: int, question: str) -> None:
        """A thread indexed (its whole text in ``index``): its question joins the reference."""
        terms, language = content_terms(question)
        if not terms:
            return
        rare = _rare(terms, language)
        self._questions.pop(thread_id, None)
        self._questions[thread_id] = rare
        while len(self._questions) > REFERENCE:
            self._questions.popitem(last=False)
        taken = self._taken.pop(thread_id, None)
        if taken is not None and taken[0] == rare:  # the same question: its figure comes back
            insort(self._reference, taken[1])
            self._figures[thread_id] = taken[1]

    def remove(self, thread_id: int) -> None:
        question = self._questions.pop(thread_id, None)
        figure = self._figures.pop(thread_id, None)
        if figure is None:
            return
        del self._reference[bisect_left(self._reference, figure)]
        if question is not None:
            self._taken[thread_id] = (question, figure)

    def of(self, text: str) -> float:
        """The share of the reference questions less familiar than ``text`` (0 to 1); 1.0 while
        the community has no reference yet (nothing to compare with: nothing is ruled out)."""
        reference = self._scored()
        if not reference:
            return 1.0
        terms, language = need_terms(text)
        return bisect_left(reference, self._figure(_rare(terms, language), own=False)) / len(reference)

    def warm_up(self) -> None:
        """Score the reference now, as the next need would."""
        self._scored()

    def keep_scored(self) -> None:
        """Score the reference again now if it has been scored and the threads added since
        call for it; a process that never scored it (no need ranked, no warm-up) does nothing."""
        if self._scored_at >= 0:
            self._scored()

    def _scored(self) -> list[float]:
        size = len(self._index)
        grown = size - self._scored_at
        if self._scored_at < 0 or grown >= max(20, STALE * self._scored_at):
            # Each question scored without its own words, as a new need would be.
            self._figures = {thread: self._figure(rare, own=True) for thread, rare in self._questions.items()}
            self._taken.clear()
            self._reference = sorted(self._figures.values())
            self._scored_at = size
        return self._reference

    def _figure(self, rare: Rare, *, own: bool) -> float:
        index = self._index
        total = index.total_length
        ratios = []
        for stem, usual, count in rare:
            # Smoothed towards general language (a Dirichlet prior of PRIOR_WORDS words): a word
            # a small community has not used yet is no evidence either way, not a rare one.
            here = (max(index.frequency(stem) - (count if own else 0), 0) + PRIOR_WORDS * usual) / (
                total + PRIOR_WORDS
            )
            ratios.append(max(-CLIP, min(CLIP, math.log10(here / usual))))
        return sum(ratios) / len(ratios) if ratios else 0.0


def _rare(terms: Terms, language: Language) -> Rare:
    """The stems of ``terms`` rarer than FAMILIAR_ZIPF in general language, in order of first
    sight, each with its general frequency and its count in ``terms``."""
    general = general_frequencies()
    counts = Counter(stem for stem, _word in terms)
    # A stem is as frequent in general language as the most frequent of its words here.
    zipfs: dict[str, float] = {}
    for stem, word in terms:
        zipfs[stem] = max(zipfs.get(stem, 0.0), general.zipf(word, language))
    # Zipf: log10 of uses per 10⁹ words
    return tuple(
        (stem, 10.0 ** (zipf - 9.0), counts[stem]) for stem, zipf in zipfs.items() if zipf < FAMILIAR_ZIPF
    )
