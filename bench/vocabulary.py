"""The text index's stemming and the learned vocabulary, on every dev export.

1. memory: the RSS this process gains from the first general word frequencies looked up, in
   English and French (:mod:`frequency` imports ``wordfreq`` then; a bot that learns no phrases
   never pays for it);
2. text index: the time to build a :class:`TextIndex` over every thread of every export (the
   question alone, as the matcher indexes it today, and the question with its replies): CPU time
   of this process (the machine may be shared), best of ``--repeat`` runs, each with cold
   stemming caches;
3. learned vocabulary: how many phrases :func:`learn_vocabulary` learns from each export (all its
   threads, against the default vocabulary), and ``--examples`` of them.

Run: ``python -m bench.vocabulary [EXPORT.zip …]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.shared import DEV_DATA
from bot.matching import text_index
from bot.matching.text_index import TextIndex
from skills_db.importers.history import learn_vocabulary
from skills_db.importers.model import HistoryArchive
from skills_db.importers.read import read_history
from skills_db.vocabulary.frequency import general_frequencies
from skills_db.vocabulary.taxonomy import Taxonomy


def rss_mb() -> float:
    """The resident memory of this process now (not its peak), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def wordfreq_memory() -> tuple[float, float]:
    """(RSS before, after) the first look-up of a word's frequency in English and in French."""
    assert "wordfreq" not in sys.modules, "imported at start-up"
    before = rss_mb()
    frequencies = general_frequencies()
    frequencies.zipf("coffee", "english")
    frequencies.zipf("cafe", "french")
    return before, rss_mb()


def _reset_stems() -> None:
    """Cold caches, as at start-up (only once the text index has a stemming cache to clear)."""
    stemming = sys.modules.get("skills_db.vocabulary.stemming")
    if stemming is not None:
        for cache in vars(stemming.SHARED_STEMS)["_cache"].values():
            cache.clear()
    stem: Callable[[str], str] | None = getattr(text_index, "stem", None)
    cache_clear = getattr(stem, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()


def build_seconds(archives: Sequence[HistoryArchive], replies: bool, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        _reset_stems()
        start = time.process_time()
        for archive in archives:
            index = TextIndex(half_life_days=180)
            for number, thread in enumerate(archive.threads, 1):
                parts = [thread.root.text, *(r.text for r in thread.replies)] if replies else []
                text = "\n".join(parts) if parts else thread.root.text
                index.add(number, text, thread.root.posted_at, [(1, 1.0)])
        best = min(best, time.process_time() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("exports", nargs="*", type=Path, help="exports (default: every dev export)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--examples", type=int, default=10)
    args = parser.parse_args(argv)
    before, after = wordfreq_memory()
    print(f"word frequencies (en + fr): RSS {before:.1f} MB -> {after:.1f} MB (+{after - before:.1f} MB)")
    exports = args.exports or sorted(DEV_DATA.glob("*.zip"))
    if not exports:
        print(f"no exports found in {DEV_DATA}", file=sys.stderr)
        return 1
    archives = [read_history(path) for path in exports]
    threads = sum(len(a.threads) for a in archives)
    for replies in (False, True):
        seconds = build_seconds(archives, replies, args.repeat)
        what = "questions and replies" if replies else "questions"
        print(f"text index of {threads} threads ({what}): {seconds * 1000:.0f} ms CPU")
    taxonomy = Taxonomy.load_default()
    print()
    for path, archive in zip(exports, archives, strict=True):
        learned = learn_vocabulary(archive, taxonomy.canonical)
        print(f"{path.stem}: {len(learned)} phrases learned")
        print("   ", ", ".join(learned[: args.examples]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
