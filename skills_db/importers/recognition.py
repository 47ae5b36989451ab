"""The skills of an import's questions, recognised in a second process while this one writes.

Recognising skills is a third of a large import's work and every text stands alone. On a
machine with more than one core, a spawned process recognises the questions in the order the
import writes them, a chunk at a time, while this process writes the chunks before: the import
waits only for the first chunk. A small import, or a machine with one core, recognises in
process: starting the other process (about a second) would cost more than it saves. The skills
are the same either way (tests/test_import_recognition.py), and if the other process fails, the
texts it had not given back are recognised here. The other process is ``python -m`` this module,
fed through its pipes: it opens no file and keeps nothing.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from skills_db.vocabulary.taxonomy import Taxonomy

PARALLEL_MIN_TEXTS = 5000  # distinct texts from which a second process pays for its start
CHUNK = 1000  # texts per round trip: the first one is what the import waits for
_LENGTH = struct.Struct(">Q")  # each frame on the pipes: its length, then a pickle

log = logging.getLogger("entraide.import")


class WorkerGone(Exception):
    """The other process stopped before giving back every chunk."""


class Recognition:
    """``recognition(text)``: the skills of ``text``; those of ``texts`` recognised ahead, in
    another process when it pays (``parallel=None``) or when told (True / False)."""

    def __init__(self, taxonomy: Taxonomy, texts: Sequence[str], *, parallel: bool | None = None) -> None:
        self.taxonomy = taxonomy
        self._ready: dict[str, list[str]] = {}
        self._pending: dict[str, tuple[Future[list[list[str]]], list[str]]] = {}
        self._worker: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        distinct = list(dict.fromkeys(texts))
        if parallel is None:
            parallel = len(distinct) >= PARALLEL_MIN_TEXTS and (os.cpu_count() or 1) > 1
        if parallel and distinct:
            self._start(distinct)

    def _start(self, distinct: list[str]) -> None:
        # A process of its own (python -m this module), not multiprocessing: its spawn runs the
        # caller's main module again, and fork is unsafe beside the bot's threads.
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
        try:
            worker = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": path},
            )
        except OSError as error:
            log.warning("skill recognition stays in this process: %s", error)
            return
        self._worker = worker
        chunks = [distinct[start : start + CHUNK] for start in range(0, len(distinct), CHUNK)]
        futures: list[Future[list[list[str]]]] = [Future() for _ in chunks]
        for future, chunk in zip(futures, chunks, strict=True):
            for text in chunk:
                self._pending[text] = (future, chunk)
        assert worker.stdin is not None and worker.stdout is not None
        frames = [pickle.dumps(self.taxonomy, protocol=pickle.HIGHEST_PROTOCOL), *map(pickle.dumps, chunks)]
        self._threads = [
            threading.Thread(target=_feed, args=(worker.stdin, frames), daemon=True),
            threading.Thread(target=_collect, args=(worker.stdout, futures), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def parallel(self) -> bool:
        return self._worker is not None

    def __call__(self, text: str) -> list[str]:
        found = self._ready.pop(text, None)
        if found is not None:
            return found
        pending = self._pending.get(text)
        if pending is None:
            return self.taxonomy.skills_in(text)
        future, chunk = pending
        try:
            results = future.result()
        except (WorkerGone, OSError, pickle.PickleError, EOFError) as error:
            log.warning("skill recognition goes on in this process: %s", error)
            self.close()
            return self.taxonomy.skills_in(text)
        for other, skills in zip(chunk, results, strict=True):
            del self._pending[other]
            self._ready[other] = skills
        return self._ready.pop(text)

    def close(self) -> None:
        """Stop the other process; what it had not given back is recognised here if asked."""
        worker, self._worker = self._worker, None
        if worker is not None:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            for thread in self._threads:
                thread.join()
            for stream in (worker.stdin, worker.stdout):
                if stream is not None:
                    stream.close()
        self._threads = []
        self._pending.clear()

    def __enter__(self) -> Recognition:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _feed(stream: IO[bytes], frames: list[bytes]) -> None:
    try:
        for frame in frames:
            stream.write(_LENGTH.pack(len(frame)) + frame)
        stream.close()  # the end: the other process exits once it has answered every chunk
    except (OSError, ValueError):
        pass  # it stopped (or was stopped): _collect tells the waiting chunks


def _collect(stream: IO[bytes], futures: list[Future[list[list[str]]]]) -> None:
    for number, future in enumerate(futures):
        try:
            frame = _read(stream)
            future.set_result(pickle.loads(frame))
        except Exception as error:  # whatever stopped it, every chunk left is told
            gone = WorkerGone(f"the recognition process stopped ({type(error).__name__})")
            for left in futures[number:]:
                left.set_exception(gone)
            return


def _read(stream: IO[bytes]) -> bytes:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("no more frames")
    (length,) = _LENGTH.unpack(head)
    frame = stream.read(length)
    if len(frame) < length:
        raise EOFError("a frame cut short")
    return frame


# -- in the other process ---------------------------------------------------------------------


def _serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """Read the vocabulary, then answer each chunk of texts with their skills, until the end."""
    taxonomy: Any = pickle.loads(_read(source))
    while True:
        try:
            texts = pickle.loads(_read(source))
        except EOFError:
            return
        answer = pickle.dumps([taxonomy.skills_in(text) for text in texts])
        sink.write(_LENGTH.pack(len(answer)) + answer)
        sink.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
