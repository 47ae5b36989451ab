"""Free-text skill recognition over a :class:`~skills_db.vocabulary.index.VocabIndex`.

Internal module; the public entry point is :meth:`skills_db.vocabulary.taxonomy.Taxonomy.recognise`.
Pipeline for one text:

1. fold the text keeping a map to original offsets, tokenise it;
2. collect exact candidates for every n-gram (n ≤ 6, only starting at words that begin
   some multi-word key), with a stemmed fallback for phrases and a plural fallback for
   single words;
3. keep the longest non-overlapping candidates; guarded (ambiguous) single words are
   then accepted only if written exactly as declared and not in title-case context;
4. typo search (rapidfuzz, OSA distance) for the still uncovered long words and for
   phrases whose first word is exact;
5. words like ``python/django`` or ``sales&marketing`` that matched nothing are split.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from skills_db.vocabulary.index import STEM_SCORE, VocabIndex
from skills_db.vocabulary.textnorm import TokenSpan, fold_with_offsets, token_spans

__all__ = ["Found", "recognise_ids"]

_SKIP_BEFORE = frozenset(" \t\u00a0\"'“”‘’«»([{*•>-–—")
_SENTENCE_END = frozenset(".!?…:;\n\r")
_JOINERS = frozenset(" \t-'")  # a phrase may span these, not commas, dots or newlines


@dataclass(frozen=True)
class Found:
    """A recognised skill id with original character offsets."""

    sid: int
    start: int
    end: int
    score: float


@dataclass
class _Cand:
    first: int  # token index
    last: int  # token index, exclusive
    sid: int
    score: float
    guard_key: str | None = None


class _Scan:
    """State for recognising one text."""

    def __init__(self, index: VocabIndex, text: str) -> None:
        self.index = index
        self.text = text
        folded, self.origin = fold_with_offsets(text)
        self.spans: list[TokenSpan] = token_spans(folded)
        self.words = [span[0] for span in self.spans]
        self.covered = [False] * len(self.words)
        self.chosen: list[_Cand] = []
        # reach[i]: end (exclusive) of the run of words joinable with word i into a phrase
        self.reach = [len(self.words)] * len(self.words)
        for i in range(len(self.spans) - 2, -1, -1):
            gap = folded[self.spans[i][2] : self.spans[i + 1][1]]
            joined = gap == " " or set(gap) <= _JOINERS  # one space: the usual gap, said first
            self.reach[i] = self.reach[i + 1] if joined else i + 1

    def offsets(self, first: int, last: int) -> tuple[int, int]:
        start = self.origin[self.spans[first][1]]
        end = self.origin[self.spans[last - 1][2] - 1] + 1
        while end < len(self.text) and unicodedata.combining(self.text[end]):
            end += 1
        return start, end

    def take(self, cand: _Cand) -> None:
        self.chosen.append(cand)
        for i in range(cand.first, cand.last):
            self.covered[i] = True

    # -- step 2 ------------------------------------------------------------------------

    def exact_candidates(self) -> list[_Cand]:
        index, words = self.index, self.words
        facts = [index.word(word) for word in words]  # once per word, not once per phrase tried
        stems = [fact[2] for fact in facts]
        found: list[_Cand] = []
        for i, (node, stemmed, _stem, single) in enumerate(facts):
            # Every phrase from word i, walked word by word: at each length, the exact phrase if
            # there is one (and not blocked), else its stemmed form ("machine learnings").
            if node is not None or stemmed is not None:
                last = i + min(index.max_n, self.reach[i] - i)
                j = i + 1
                while (node is not None or stemmed is not None) and j < last:
                    node = None if node is None else node.next.get(words[j])
                    stemmed = None if stemmed is None else stemmed.next.get(stems[j])
                    j += 1
                    if node is not None and node.sid is not None:
                        found.append(_Cand(i, j, node.sid, 100.0))
                    elif stemmed is not None and stemmed.sid is not None:
                        found.append(_Cand(i, j, stemmed.sid, STEM_SCORE))
            if single is not None:
                found.append(_Cand(i, i + 1, *single))
        return found

    # -- step 3 ------------------------------------------------------------------------

    def select(self, found: list[_Cand]) -> None:
        found.sort(key=lambda c: (c.first - c.last, c.first))
        guarded: list[_Cand] = []
        for cand in found:
            if any(self.covered[cand.first : cand.last]):
                continue
            if cand.guard_key is not None:
                guarded.append(cand)
            else:
                self.take(cand)
        for cand in sorted(guarded, key=lambda c: c.first):
            if not self.covered[cand.first] and self.guard_ok(cand):
                self.take(cand)

    def guard_ok(self, cand: _Cand) -> bool:
        assert cand.guard_key is not None
        start, end = self.offsets(cand.first, cand.last)
        surface = self.text[start:end]
        if surface not in self.index.surfaces.get(cand.guard_key, ()):
            return False
        if not (surface[:1].isupper() and surface[1:] == surface[1:].lower()):
            return True  # "SAP", "SAFe", "Qt": distinctive casing
        if self.starts_sentence(start):
            return False  # capitalised because it starts a sentence
        if cand.first > 0 and not self.covered[cand.first - 1]:
            prev_start, prev_end = self.offsets(cand.first - 1, cand.first)
            if self.text[prev_start:prev_end][:1].isupper() and not self.starts_sentence(prev_start):
                return False  # title case or a name ("How To Spring Clean", "Pokemon Go")
        return True

    def starts_sentence(self, start: int) -> bool:
        pos = start - 1
        while pos >= 0 and self.text[pos] in _SKIP_BEFORE:
            pos -= 1
        return pos < 0 or self.text[pos] in _SENTENCE_END

    # -- step 4 ------------------------------------------------------------------------

    def fuzzy(self) -> None:
        index, words, count = self.index, self.words, len(self.words)
        i = 0
        while i < count:
            if self.covered[i]:
                i += 1
                continue
            hit: _Cand | None = None
            lengths = index.exact_lengths.get(words[i], ())
            for n in range(min(index.max_n, self.reach[i] - i), 1, -1) if lengths else ():
                if n not in lengths:
                    continue
                if any(self.covered[i : i + n]):
                    continue
                match = index.fuzzy_phrase(words[i : i + n])
                if match is not None:
                    hit = _Cand(i, i + n, match[0], match[1])
                    break
            if hit is None:
                single = index.fuzzy_single(words[i])
                if single is not None:
                    hit = _Cand(i, i + 1, single[0], single[1])
            if hit is not None:
                self.take(hit)
                i = hit.last
            else:
                i += 1

    # -- step 5 ------------------------------------------------------------------------

    def split_compounds(self) -> list[Found]:
        extra: list[Found] = []
        for i, (word, fstart, _fend) in enumerate(self.spans):
            if self.covered[i] or ("/" not in word and "&" not in word):
                continue
            offset = 0
            for part in word.replace("&", "/").split("/"):
                part_start = fstart + offset
                offset += len(part) + 1
                if not part:
                    continue
                sid = self.index.exact.get(part)
                score = 100.0
                if sid is None or part in self.index.guarded or part in self.index.blocked:
                    sid, score = self.index.loose_single(part), STEM_SCORE
                if sid is not None:
                    start = self.origin[part_start]
                    end = self.origin[part_start + len(part) - 1] + 1
                    extra.append(Found(sid, start, end, score))
        return extra


def recognise_ids(index: VocabIndex, text: str) -> list[Found]:
    """All skills mentioned in ``text``: text order, no overlaps, each skill once."""
    scan = _Scan(index, text)
    if not scan.words:
        return []
    scan.select(scan.exact_candidates())
    scan.fuzzy()
    found = [Found(c.sid, *scan.offsets(c.first, c.last), c.score) for c in scan.chosen]
    found.extend(scan.split_compounds())
    found.sort(key=lambda f: f.start)
    seen: set[int] = set()
    unique: list[Found] = []
    for item in found:
        if item.sid not in seen:
            seen.add(item.sid)
            unique.append(item)
    return unique
