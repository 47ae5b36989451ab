"""Lookup structures behind :class:`skills_db.vocabulary.taxonomy.Taxonomy` (internal module).

The index maps *keys* (folded, tokenised names/aliases/French names, see
:mod:`skills_db.vocabulary.textnorm`) to skill ids and precomputes everything the recogniser needs:
guarded keys, stems of multi-word keys, and length-bucketed candidate lists for the
rapidfuzz typo search. See the module docstring of :mod:`skills_db.vocabulary.taxonomy` for the
matching rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from skills_db.vocabulary.textnorm import singular_variants, stem, tokens
from skills_db.vocabulary.words import AMBIGUOUS, CANONICAL_ONLY, NO_FUZZ, SAFE_SHORT

__all__ = ["KIND_ALIAS", "KIND_FR", "KIND_NAME", "Conflict", "PhraseNode", "VocabIndex"]

KIND_NAME, KIND_ALIAS, KIND_FR = 0, 1, 2
MAX_NGRAM = 6
FUZZY_MIN_LEN = 6  # words shorter than this are never typo-corrected
FUZZY_CATEGORIES = frozenset({"tech", "data"})  # product/tool names, not dictionary words
STEM_SCORE = 95.0
FUZZY_MEMO = 100_000  # tokens whose typo match is remembered (then forgotten all at once)
UNSAFE = NO_FUZZ | AMBIGUOUS | CANONICAL_ONLY  # words that never match loosely

_Choices = tuple[list[str], list[int]]


@dataclass(frozen=True)
class Conflict:
    """A key claimed by two skills; ``kept`` won (names > aliases > French, then order)."""

    key: str
    kept: str
    dropped: str


def max_edits(length: int) -> int:
    """Typo budget (OSA edits) for a string of ``length`` characters."""
    return 1 if length < 10 else 2


def fuzzy_score(distance: float, a: str, b: str) -> float:
    return round(100.0 * (1.0 - distance / max(len(a), len(b), 1)), 1)


def _is_guarded(key: str) -> bool:
    if " " in key:
        return False
    if key in AMBIGUOUS:
        return True
    return len(key) <= 2 and key.isalpha() and key not in SAFE_SHORT


class PhraseNode:
    """A word trie of multi-word keys: ``sid`` is set where a whole key ends."""

    __slots__ = ("next", "sid")

    def __init__(self) -> None:
        self.next: dict[str, PhraseNode] = {}
        self.sid: int | None = None

    @classmethod
    def of(cls, keys: Iterable[tuple[str, int]]) -> PhraseNode:
        root = cls()
        for key, sid in keys:
            node = root
            for word in key.split():
                found = node.next.get(word)
                if found is None:
                    found = node.next[word] = cls()
                node = found
            node.sid = sid
        return root


def _lengths(keyed: Iterable[tuple[str, int]]) -> dict[str, frozenset[int]]:
    """First word → the lengths of the phrases it starts."""
    found: dict[str, set[int]] = defaultdict(set)
    for first, length in keyed:
        found[first].add(length)
    return {first: frozenset(lengths) for first, lengths in found.items()}


def _best_unique(query: str, choice_lists: Iterable[_Choices], cutoff: int) -> tuple[int, float, str] | None:
    """Closest choice within ``cutoff`` edits, or None if absent or ambiguous."""
    found: list[tuple[float, int, str]] = []
    for keys, sids in choice_lists:
        if keys:
            hits = process.extract(query, keys, scorer=OSA.distance, score_cutoff=cutoff, limit=4)
            found.extend((dist, sids[index], key) for key, dist, index in hits)
    if not found:
        return None
    best = min(dist for dist, _sid, _key in found)
    winners = {(sid, key) for dist, sid, key in found if dist == best}
    if len({sid for sid, _key in winners}) != 1:
        return None
    sid, key = min(winners)
    return sid, best, key


# What recognition looks up for one word (see VocabIndex.word): the phrases starting with it
# and with its stem, its stem, and its own match as one word.
WordFacts = tuple["PhraseNode | None", "PhraseNode | None", str, "tuple[int, float, str | None] | None"]


class VocabIndex:
    """Immutable key → skill-id index built from ``(skill_id, surface, kind)`` triples."""

    def __init__(
        self,
        names: Sequence[str],
        categories: Sequence[str],
        entries: Iterable[tuple[int, str, int]],
    ) -> None:
        self.names = names
        self.categories = categories
        self.exact: dict[str, int] = {}
        self.surfaces: dict[str, set[str]] = defaultdict(set)
        self.conflicts: list[Conflict] = []
        kinds: dict[str, int] = {}
        for sid, surface, kind in entries:
            key = " ".join(tokens(surface))
            if not key:
                continue
            owner = self.exact.get(key)
            if owner is None or (owner != sid and kind < kinds[key]):
                if owner is not None:
                    self.conflicts.append(Conflict(key, names[sid], names[owner]))
                    self.surfaces[key].clear()
                self.exact[key] = sid
                kinds[key] = kind
            elif owner != sid:
                self.conflicts.append(Conflict(key, names[owner], names[sid]))
                continue
            self.surfaces[key].add(" ".join(surface.split()))
        self._build_derived()

    def _build_derived(self) -> None:
        self.guarded = frozenset(k for k in self.exact if _is_guarded(k))
        self.blocked = frozenset(k for k in self.exact if all(t in CANONICAL_ONLY for t in k.split()))
        self.max_n = 1
        stem_multi: dict[str, int] = {}
        multi_by_first: dict[tuple[str, int], tuple[list[str], list[int]]] = {}
        fuzzy_single: dict[tuple[str, int], tuple[list[str], list[int]]] = {}
        by_len: dict[tuple[int, int], tuple[list[str], list[int]]] = {}
        compact: dict[str, int] = {}
        for key, sid in self.exact.items():
            parts = key.split()
            squashed = "".join(ch for ch in key if ch.isalnum() or ch in "+#")
            compact[squashed] = sid if compact.get(squashed, sid) == sid else -1
            entry = by_len.setdefault((len(parts) > 1, len(key)), ([], []))
            entry[0].append(key)
            entry[1].append(sid)
            if key in self.blocked:
                continue
            if len(parts) > 1:
                self.max_n = max(self.max_n, min(len(parts), MAX_NGRAM))
                stemmed = " ".join(stem(p) for p in parts)
                stem_multi[stemmed] = sid if stem_multi.get(stemmed, sid) == sid else -1
                bucket = multi_by_first.setdefault((parts[0], len(parts)), ([], []))
                bucket[0].append(key)
                bucket[1].append(sid)
            elif (
                key not in self.guarded
                and key not in NO_FUZZ
                and key.isalpha()
                and len(key) >= FUZZY_MIN_LEN - 1
                and self.categories[sid] in FUZZY_CATEGORIES
            ):
                for letter in (key[0], "_" + key[1], "*"):  # "*": any first letters
                    bucket = fuzzy_single.setdefault((letter, len(key)), ([], []))
                    bucket[0].append(key)
                    bucket[1].append(sid)
        self.stem_multi = {k: v for k, v in stem_multi.items() if v >= 0}
        # The phrase lengths worth trying from a first word (or its stem): most words start no
        # phrase of most lengths, and a lookup of each length was most of a text's recognition.
        self.exact_lengths: dict[str, frozenset[int]] = _lengths(multi_by_first)
        # The same phrases word by word, and their stemmed forms: a text's phrases are found
        # with one lookup per word walked, not one per phrase length tried.
        multi = (key for keys, _sids in multi_by_first.values() for key in keys)
        self.phrases = PhraseNode.of((key, self.exact[key]) for key in multi)
        self.stem_phrases = PhraseNode.of(self.stem_multi.items())
        self.compact = {k: v for k, v in compact.items() if v >= 0}
        self.multi_by_first = multi_by_first
        self._fuzzy_single = fuzzy_single
        self._by_len = by_len
        self._choice_cache: dict[tuple[object, ...], _Choices] = {}
        self._fuzzy_memo: dict[str, tuple[int, float] | None] = {}
        self._phrase_memo: dict[tuple[str, ...], tuple[int, float] | None] = {}
        self._single_memo: dict[str, tuple[int, float, str | None] | None] = {}
        self._word_memo: dict[str, WordFacts] = {}
        self.all_keys = list(self.exact)
        self.all_sids = [self.exact[k] for k in self.all_keys]

    # -- candidate lists -------------------------------------------------------------

    def _merged(self, cache_key: tuple[object, ...], parts: Iterable[_Choices]) -> _Choices:
        cached = self._choice_cache.get(cache_key)
        if cached is None:
            keys: list[str] = []
            sids: list[int] = []
            for part_keys, part_sids in parts:
                keys.extend(part_keys)
                sids.extend(part_sids)
            cached = self._choice_cache[cache_key] = (keys, sids)
        return cached

    def _fuzzy_choices(self, token: str, budget: int) -> tuple[_Choices, _Choices]:
        """Keys sharing the first letter, and keys sharing the second letter (cached)."""
        lengths = range(len(token) - budget, len(token) + budget + 1)
        empty: _Choices = ([], [])
        first, second = token[0], "_" + token[1]
        return (
            self._merged(
                ("free", first, len(token), budget),
                (self._fuzzy_single.get((first, n), empty) for n in lengths),
            ),
            self._merged(
                ("free", second, len(token), budget),
                (self._fuzzy_single.get((second, n), empty) for n in lengths),
            ),
        )

    def _length_choices(self, multi: bool, length: int, budget: int) -> _Choices:
        empty: _Choices = ([], [])
        return self._merged(
            ("len", multi, length, budget),
            (self._by_len.get((multi, n), empty) for n in range(length - budget, length + budget + 1)),
        )

    # -- single-token matching -------------------------------------------------------

    def _plural_match(self, token: str, *, free_text: bool) -> int | None:
        """Key that ``token`` is the plural of ("dockers") or the singular of ("webhook")."""
        plural = (token + "s",) if len(token) >= 5 else ()
        for variant in (*singular_variants(token), *plural):
            sid = self.exact.get(variant)
            if sid is None or variant in self.blocked:
                continue
            if free_text and variant in self.guarded:
                continue
            return sid
        return None

    def loose_single(self, token: str) -> int | None:
        """Plural/singular match of a token that is not itself a key (free text rules)."""
        if token in UNSAFE or len(token) < 3 or not token.isalpha():
            return None
        return self._plural_match(token, free_text=True)

    def single(self, token: str) -> tuple[int, float, str | None] | None:
        """The free-text match of one word on its own: (skill id, score, the guarded key or
        None), or None. Exact unless blocked, else a plural or singular (STEM_SCORE).

        Memoised: a workspace's words repeat from message to message."""
        memo = self._single_memo
        if token in memo:
            return memo[token]
        if len(memo) >= FUZZY_MEMO:
            memo.clear()
        found: tuple[int, float, str | None] | None = None
        sid = self.exact.get(token)
        if sid is not None:
            if token not in self.blocked:
                found = (sid, 100.0, token if token in self.guarded else None)
        else:
            loose = self.loose_single(token)
            if loose is not None:
                found = (loose, STEM_SCORE, None)
        memo[token] = found
        return found

    def word(self, token: str) -> WordFacts:
        """What recognition looks up for each word of a text, at once: the phrases starting
        with it, those starting with its stem, its stem, and :meth:`single`.

        Memoised: a text's words were four lookups each, most of its recognition's cost."""
        facts = self._word_memo.get(token)
        if facts is None:
            if len(self._word_memo) >= FUZZY_MEMO:
                self._word_memo.clear()
            stemmed = stem(token)
            facts = self._word_memo[token] = (
                self.phrases.next.get(token),
                self.stem_phrases.next.get(stemmed),
                stemmed,
                self.single(token),
            )
        return facts

    def fuzzy_single(self, token: str) -> tuple[int, float] | None:
        """Typo match for a free-text token, or None (conservative).

        Memoised: the words of a workspace's messages repeat, and this search was most of the
        cost of recognising the skills of a large import's every thread."""
        memo = self._fuzzy_memo
        if token in memo:
            return memo[token]
        if len(memo) >= FUZZY_MEMO:
            memo.clear()
        found = memo[token] = self._typo_match(token)
        return found

    def _typo_match(self, token: str) -> tuple[int, float] | None:
        if len(token) < FUZZY_MIN_LEN or not token.isalpha() or token in UNSAFE:
            return None
        budget = max_edits(len(token))
        found = _best_unique(token, self._fuzzy_choices(token, budget), budget)
        if found is None:
            return None
        sid, dist, key = found
        return sid, fuzzy_score(dist, token, key)

    def fuzzy_phrase(self, words: Sequence[str]) -> tuple[int, float] | None:
        """Typo match for a phrase anchored on an exact first word ("machine lerning").

        Memoised, as :meth:`fuzzy_single`."""
        key = tuple(words)
        memo = self._phrase_memo
        if key in memo:
            return memo[key]
        if len(memo) >= FUZZY_MEMO:
            memo.clear()
        found = memo[key] = self._phrase_match(words)
        return found

    def _phrase_match(self, words: Sequence[str]) -> tuple[int, float] | None:
        bucket = self.multi_by_first.get((words[0], len(words)))
        if bucket is None:
            return None
        phrase = " ".join(words)
        budget = 1 if len(phrase) < 14 else 2
        found = _best_unique(phrase, (bucket,), budget)
        if found is None:
            return None
        sid, dist, key = found
        for word, expected in zip(words, key.split(), strict=True):
            if word != expected and (len(word) < 5 or word in UNSAFE):
                return None
        return sid, fuzzy_score(dist, phrase, key)

    # -- declared skills ---------------------------------------------------------------

    def canonical_id(self, term: str) -> int | None:
        """Resolve a declared skill: exact, compact, plural/stem, then a typo match."""
        words = tokens(term)
        key = " ".join(words)
        if not key:
            return None
        sid = self.exact.get(key)
        if sid is not None:
            return sid
        squashed = "".join(ch for ch in key if ch.isalnum() or ch in "+#")
        sid = self.compact.get(squashed)
        if sid is not None:
            return sid
        if len(words) > 1:
            sid = self.stem_multi.get(" ".join(stem(w) for w in words))
            if sid is not None:
                return sid
        elif key not in UNSAFE and key.isalpha():
            sid = self._plural_match(key, free_text=False)
            if sid is not None:
                return sid
        if len(key) < FUZZY_MIN_LEN or (len(words) == 1 and key in UNSAFE):
            return None
        budget = max_edits(len(key))
        if len(words) > 1:
            choices = self._length_choices(True, len(key), budget)
        else:
            empty: _Choices = ([], [])
            choices = self._merged(
                ("canon", len(key), budget),
                (
                    self._fuzzy_single.get(("*", n), empty)
                    for n in range(len(key) - budget, len(key) + budget + 1)
                ),
            )
        found = _best_unique(key, (choices,), budget)
        return None if found is None else found[0]

    def suggest_ids(self, term: str, limit: int) -> list[int]:
        """Skill ids whose keys look like ``term``, best first (for "did you mean")."""
        query = " ".join(tokens(term))
        if not query or limit <= 0:
            return []
        ranked: list[int] = []
        first = self.canonical_id(term)
        if first is not None:
            ranked.append(first)
        budget = max(2, len(query) // 3)
        multi = " " in query
        scored: list[tuple[float, int]] = []
        for length in range(len(query) - budget, len(query) + budget + 1):
            keys, sids = self._by_len.get((multi, length), ([], []))
            for _key, score, i in process.extract(
                query, keys, scorer=fuzz.ratio, score_cutoff=70, limit=limit * 4
            ):
                scored.append((score, sids[i]))
        if len(query) >= 3 and len({sid for _s, sid in scored} | set(ranked)) < limit:
            for key, score, i in process.extract(
                query, self.all_keys, scorer=fuzz.partial_ratio, score_cutoff=90, limit=limit * 8
            ):
                if len(key) > len(query):  # "kube" -> "kubernetes", not "c" -> "c++"
                    scored.append((score - 10.0, self.all_sids[i]))
        for _score, sid in sorted(scored, key=lambda item: -item[0]):
            if sid not in ranked:
                ranked.append(sid)
        return ranked[:limit]
