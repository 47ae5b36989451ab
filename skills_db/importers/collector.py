"""Python's cycle collector paused while a large history is read, written or loaded.

An import makes millions of objects and keeps most of them to the end (the messages read, the
rows of each batch), and makes no reference cycles; so does loading the index snapshot or the
vocabulary cache (bot.matching). Each of the collector's full passes walks every object alive
again: on a 180,000-message export that cost about 0.6 s of reading's 1.9 s and 0.7 s of
importing's 9.3 s (``python -m bench.scale --people 30000 --only import``). Paused, everything
is still freed by reference counting as it is let go; only cycles, made meanwhile by other
threads of the process, wait for the collector's next pass once it runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the automatic collection for the block; resume it after unless it was off already
    (by its caller, or by another import still running: that one resumes it)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
