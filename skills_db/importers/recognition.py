"""The phrases an import learns and the skills of its questions, found in a second process
while this one writes.

Learning the workspace's phrases and recognising skills are half of a large import's work, and
neither needs the database. On a machine with more than one core, a spawned process finds the
recurring phrases of the answered questions while this process writes people; this one keeps
those its vocabulary does not know (:func:`new_phrases`); the other builds the vocabulary with
them and recognises the questions in the order the import writes them, a chunk at a time, while
this process writes the chunks before: the import waits only for the phrases and the first
chunk. A small import, or a machine with one core, does it all in process: starting the other
process and building its vocabulary (some tenths of a second) would cost more than it saves.
The phrases and skills are the same either way (tests/test_import_recognition.py), and if the
other process fails, what it had not given back is found here. The other process is ``python
-m`` this module, fed through its pipes: it opens no file and keeps nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from skills_db.vocabulary.taxonomy import Skill, Taxonomy
from skills_db.vocabulary.terms import known_stopwords, recurring_phrases, stopwords

PARALLEL_MIN_TEXTS = 5000  # distinct texts from which a second process pays for its start
CHUNK = 1000  # texts per round trip: the first one is what the import waits for
_LENGTH = struct.Struct(">Q")  # each frame on the pipes: its length, then a pickle

log = logging.getLogger("entraide.import")


class WorkerGone(Exception):
    """The other process stopped before giving back every chunk."""


def new_phrases(texts: Iterable[str], known: Callable[[str], str | None]) -> list[str]:
    """The key phrases of ``texts`` (see :func:`recurring_phrases`: this workspace's own, not
    common-word filler) that ``known`` (a vocabulary's ``canonical``) does not know yet."""
    return [phrase for phrase in recurring_phrases(texts) if known(phrase) is None]


def with_phrases(taxonomy: Taxonomy, phrases: Iterable[str]) -> Taxonomy:
    """``taxonomy`` and the learned ``phrases``, as domain skills: what an import recognises with."""
    return taxonomy.extended(_domain(phrases))


def _domain(phrases: Iterable[str]) -> Iterator[Skill]:
    return (Skill(phrase, category="domain") for phrase in phrases)


class Recognition:
    """``recognition(text)``: the skills of ``text``, with ``taxonomy`` and the phrases learned
    from ``learn_from`` (:meth:`learned`; none if not given); those of ``texts`` recognised ahead,
    in another process when it pays (``parallel=None``) or when told (True / False)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        texts: Sequence[str],
        *,
        learn_from: Sequence[str] | None = None,
        parallel: bool | None = None,
    ) -> None:
        self.base = taxonomy
        self._learn_from = learn_from
        self._learned: Future[list[str]] = Future()
        self._extended: Taxonomy | None = None if learn_from else taxonomy
        self._ready: dict[str, list[str]] = {}
        self._pending: dict[str, tuple[Future[list[list[str]]], list[str]]] = {}
        self._worker: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        if not learn_from:
            self._learned.set_result([])
        distinct = list(dict.fromkeys(texts))
        if parallel is None:
            parallel = len(distinct) >= PARALLEL_MIN_TEXTS and (os.cpu_count() or 1) > 1
        if parallel and (distinct or learn_from):
            self._start(distinct)
        if self._worker is None and learn_from:
            self._learned.set_result(new_phrases(learn_from, taxonomy.canonical))

    @property
    def taxonomy(self) -> Taxonomy:
        """The vocabulary texts are recognised with here: built only if this process needs it."""
        if self._extended is None:
            self._extended = with_phrases(self.base, self.learned())
        return self._extended

    def learned(self) -> list[str]:
        """The phrases learned from ``learn_from`` that the vocabulary did not know (waited for
        if the other process is still learning them)."""
        try:
            return self._learned.result()
        except (WorkerGone, OSError, pickle.PickleError, EOFError) as error:
            log.warning("learning phrases goes on in this process: %s", error)
            self.close()
            self._learned = Future()
            assert self._learn_from
            self._learned.set_result(new_phrases(self._learn_from, self.base.canonical))
            return self._learned.result()

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
        # The other process learns the phrases while this one writes people (it needs only the
        # stopwords: given, so that it need not build the bundled vocabulary to know them), this
        # one keeps those its vocabulary does not know, then the other one is given the
        # vocabulary to recognise with: as its entries, not as a built index, whose pickling cost
        # this process more than building it once costs the other one.
        first = pickle.dumps((stopwords(), self._learn_from), protocol=pickle.HIGHEST_PROTOCOL)

        def vocabulary() -> bytes:  # on the feeding thread, once the phrases are known
            entries = (self.base.skills, self._learned.result())
            return pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)

        frames = [pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL) for chunk in chunks]
        learned = self._learned if self._learn_from else None
        self._threads = [
            threading.Thread(target=_feed, args=(worker.stdin, first, vocabulary, frames), daemon=True),
            threading.Thread(
                target=_collect, args=(worker.stdout, learned, self.base.canonical, futures), daemon=True
            ),
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


def _feed(stream: IO[bytes], first: bytes, vocabulary: Callable[[], bytes], frames: list[bytes]) -> None:
    try:
        stream.write(_LENGTH.pack(len(first)) + first)
        stream.flush()  # the other process learns from it while the phrases are awaited here
        for frame in (vocabulary(), *frames):
            stream.write(_LENGTH.pack(len(frame)) + frame)
        stream.close()  # the end: the other process exits once it has answered every chunk
    except Exception:  # it stopped (or was stopped), or it learned nothing: _collect tells
        with contextlib.suppress(OSError, ValueError):
            stream.close()


def _collect(
    stream: IO[bytes],
    learned: Future[list[str]] | None,
    known: Callable[[str], str | None],
    futures: list[Future[list[list[str]]]],
) -> None:
    """The phrases learned (if asked: those ``known`` does not know), then each chunk's skills,
    into their futures."""
    waiting: list[Future[Any]] = [*([learned] if learned is not None else []), *futures]
    for number, future in enumerate(waiting):
        try:
            found = pickle.loads(_read(stream))
            if future is learned:
                found = [phrase for phrase in found if known(phrase) is None]
            future.set_result(found)
        except Exception as error:  # whatever stopped it, everything left is told
            gone = WorkerGone(f"the recognition process stopped ({type(error).__name__})")
            for left in waiting[number:]:
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
    """Read the stopwords and the texts to learn from, answer their recurring phrases (if
    asked); read the vocabulary's entries and the phrases kept, then answer each chunk of texts
    with their skills, until the end."""

    def send(value: object) -> None:
        answer = pickle.dumps(value)
        sink.write(_LENGTH.pack(len(answer)) + answer)
        sink.flush()

    try:
        words, learn_from = pickle.loads(_read(source))
        known_stopwords(words)
        if learn_from:
            send(recurring_phrases(learn_from))
        skills, learned = pickle.loads(_read(source))
    except EOFError:
        return  # stopped before it was given its vocabulary
    taxonomy = Taxonomy.from_skills((*skills, *_domain(learned)))
    while True:
        try:
            texts = pickle.loads(_read(source))
        except EOFError:
            return
        send([taxonomy.skills_in(text) for text in texts])


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
