"""A progress bar on the terminal for long commands (`entraide import-history`), on stderr.

Only when stderr is a terminal: a redirected output, a log file or a test gets nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30  # characters of the bar itself
EVERY = 0.2  # seconds between two redraws


class ProgressBar:
    """``bar(done, total)`` redraws one line: ``[#####-----]  40 % (72,000 of 180,000 messages)``."""

    def __init__(
        self, stream: TextIO, unit: str = "messages", *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.unit = unit
        self.clock = clock
        self.shown = stream.isatty()
        self.drawn_at: float | None = None
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        now = self.clock()
        if done < total and self.drawn_at is not None and now - self.drawn_at < EVERY:
            return
        self.drawn_at = now
        share = done / total if total else 1.0
        filled = round(WIDTH * share)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%} ({done:,} of {total:,} {self.unit})")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the bar's line (before anything else is printed)."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
