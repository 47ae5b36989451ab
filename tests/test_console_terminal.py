"""The interactive console on a terminal: lines edited and recalled with the arrow keys."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.terminal import ReaderKind, load_readline, reader_kind

pty = pytest.importorskip("pty")


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (controller, terminal) file descriptors."""
    controller, tty = pty.openpty()
    yield controller, tty
    os.close(controller)
    os.close(tty)


def test_a_file_devnull_or_pipe_is_read_plainly(tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text("help\n", "utf-8")
    for path in (lines, Path(os.devnull)):
        with path.open("rb") as file:
            kind = reader_kind(file.fileno(), output_is_terminal=True, line_editing=True)
            assert kind is ReaderKind.FILE
    read, write = os.pipe()
    try:
        assert reader_kind(read, output_is_terminal=True, line_editing=True) is ReaderKind.STREAM
    finally:
        os.close(read)
        os.close(write)


def test_a_terminal_is_edited_only_with_readline_and_a_terminal_output(terminal: tuple[int, int]) -> None:
    _, tty = terminal
    assert reader_kind(tty, output_is_terminal=True, line_editing=True) is ReaderKind.EDITED
    # no readline on this platform, or the output redirected: plain lines
    assert reader_kind(tty, output_is_terminal=True, line_editing=False) is ReaderKind.STREAM
    assert reader_kind(tty, output_is_terminal=False, line_editing=True) is ReaderKind.STREAM


class Session:
    """`entraide console` on a pseudo-terminal, typed into key by key."""

    def __init__(self, tmp_path: Path, controller: int, tty: int) -> None:
        config = tmp_path / "entraide.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/t.db"\n', "utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRAIDE_")}
        # a known terminal, and no personal readline settings (vi mode, bindings)
        env.update(TERM="xterm", INPUTRC=os.devnull)
        self.controller = controller
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console", "--config", str(config)],
            stdin=tty,
            stdout=tty,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        self.seen = ""

    def wait_for(self, text: str, timeout: float = 90) -> str:
        """Everything printed until ``text`` appears (escape sequences included)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise AssertionError(f"{text!r} never came; the terminal showed:\n{self.seen}")
            ready, _, _ = select.select([self.controller], [], [], min(left, 1.0))
            if ready:
                self.seen += os.read(self.controller, 4096).decode("utf-8", "replace")
        before, _, after = self.seen.partition(text)
        self.seen = after
        return before + text

    def type(self, keys: str) -> None:
        os.write(self.controller, keys.encode())


LEFT, UP, BACKSPACE = "\x1b[D", "\x1b[A", "\x7f"


@pytest.mark.skipif(load_readline() is None, reason="this Python has no readline module")
def test_typed_lines_are_edited_and_recalled(tmp_path: Path, terminal: tuple[int, int]) -> None:
    controller, tty = terminal
    session = Session(tmp_path, controller, tty)
    try:
        session.wait_for("you> ")  # readline has the terminal: keys are now edited
        # "Pyton", two steps left, insert "h": "Python"
        session.type(f"skills add Pyton{LEFT}{LEFT}h\r")
        session.wait_for("Noted, you know: Python")
        session.wait_for("you> ")
        # a typo rubbed out: "skills lsit", three letters back, "ist"
        session.type(f"skills lsit{BACKSPACE * 3}ist\r")
        session.wait_for("Your declared skills: Python")
        session.wait_for("you> ")
        # two lines back in the history, "skills add Python", changed into "skills add Docker"
        session.type(f"{UP}{UP}{BACKSPACE * 6}Docker\r")
        session.wait_for("Noted, you know: Docker")
        session.wait_for("you> ")
        session.type("/quit\r")
        assert session.process.wait(timeout=60) == 0
    finally:
        if session.process.poll() is None:
            session.process.kill()
            session.process.wait()
        assert session.process.stderr is not None
        errors = session.process.stderr.read().decode()
        session.process.stderr.close()
    assert "Traceback" not in errors, errors
