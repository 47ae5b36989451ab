"""How the console reads what is typed: edited lines on a terminal, plain lines otherwise.

On a terminal (stdin and stdout both TTYs) with the standard library's ``readline``, a line is
read by ``input()`` in a daemon thread: the arrow keys move in the line and recall earlier lines,
and the history lasts the session (readline keeps it in memory). Without readline (some
platforms lack it) a terminal is read plainly. A pipe or a socket is watched by the event loop; a
file or /dev/null cannot be (epoll refuses them), but reading one never waits: a worker thread
reads those. Scripts and pipes are read exactly as they always were.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import threading
from collections.abc import Awaitable, Callable
from enum import StrEnum
from types import ModuleType
from typing import TextIO

# The next line, given the prompt to show; None at the end of input.
LineReader = Callable[[str], Awaitable[str | None]]


class ReaderKind(StrEnum):
    EDITED = "edited"  # readline on a terminal
    STREAM = "stream"  # the event loop watches the file descriptor
    FILE = "file"  # a worker thread reads it


def reader_kind(fd: int, *, output_is_terminal: bool, line_editing: bool) -> ReaderKind:
    """Which reader suits input file descriptor ``fd``."""
    if os.isatty(fd):
        # input() edits a line only when its prompt goes to a terminal too.
        return ReaderKind.EDITED if line_editing and output_is_terminal else ReaderKind.STREAM
    mode = os.fstat(fd).st_mode
    return ReaderKind.STREAM if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else ReaderKind.FILE


def load_readline() -> ModuleType | None:
    """The readline module, set up for the console, or None where the platform has none."""
    try:
        import readline
    except ImportError:
        return None
    # Pasted lines arrive one by one, each a command, as if typed; and no terminal mode is left
    # switched on if the console stops while a line is being read.
    readline.parse_and_bind("set enable-bracketed-paste off")
    return readline


class LineEditor:
    """``input()`` with readline, in a daemon thread.

    A daemon thread, not the loop's executor: a read still waiting when the console closes (on
    /quit from a script, SIGTERM) must not keep the process alive until someone presses Enter.
    """

    def __init__(self, readline: ModuleType, output: TextIO) -> None:
        self.readline = readline
        self.output = output
        self.prompt = ""
        self.reading = False
        self._terminal = _terminal_state(sys.stdin.fileno())

    async def read(self, prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def settle(line: str | None) -> None:
            self.reading = False
            if not future.done():
                future.set_result(line)

        def work() -> None:
            try:
                line: str | None = input(prompt)
            except (EOFError, UnicodeDecodeError, OSError):
                line = None
            with contextlib.suppress(RuntimeError):  # the loop is closed: the console stopped
                loop.call_soon_threadsafe(settle, line)

        self.prompt, self.reading = prompt, True
        threading.Thread(target=work, name="console-input", daemon=True).start()
        return await future

    def print(self, text: str) -> None:
        """Print ``text``; while a line is being typed, above it, and show the line again."""
        if not self.reading:
            self.output.write(text + "\n")
        else:
            buffer = self.readline.get_line_buffer()
            self.output.write(f"\r\x1b[K{text}\n{self.prompt}{buffer}")
        self.output.flush()

    def restore(self) -> None:
        """Put the terminal back as it was, should the console stop in the middle of a read."""
        if self.reading and self._terminal is not None:
            self._terminal()
            self.output.write("\n")
            self.output.flush()


def _terminal_state(fd: int) -> Callable[[], None] | None:
    """A function restoring the terminal settings of ``fd`` as they are now."""
    try:
        import termios
    except ImportError:
        return None
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return None

    def restore() -> None:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return restore


async def plain_reader(fd_kind: ReaderKind, output: TextIO) -> LineReader:
    """A reader for a pipe, a socket, a file or a terminal without readline: stdin's bytes."""
    if fd_kind is ReaderKind.FILE:

        def raw() -> Awaitable[bytes]:
            return asyncio.to_thread(sys.stdin.buffer.readline)

    else:
        stream = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin)
        raw = stream.readline

    async def read(prompt: str) -> str | None:
        output.write(prompt)
        output.flush()
        data = await raw()
        return data.decode("utf-8", "replace").rstrip("\n") if data else None

    return read
