"""The terminal progress bar of `entraide import-history` (bot/cli/progress.py)."""

from __future__ import annotations

import io

from bot.cli.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_shows_the_share_done_at_most_five_times_a_second_and_always_the_end() -> None:
    out, now = Terminal(), [0.0]
    bar = ProgressBar(out, clock=lambda: now[0])
    bar(72_000, 180_000)
    now[0] = 0.1
    bar(90_000, 180_000)  # too soon after the last: not drawn
    now[0] = 0.3
    bar(135_000, 180_000)
    bar(180_000, 180_000)  # the end is always drawn
    bar.close()
    lines = out.getvalue().split("\r")[1:]
    assert [line.split("] ")[1].rstrip("\n") for line in lines] == [
        " 40% (72,000 of 180,000 messages)",
        " 75% (135,000 of 180,000 messages)",
        "100% (180,000 of 180,000 messages)",
    ]
    assert lines[0].startswith("[############------------------]")
    assert out.getvalue().endswith("\n")


def test_no_bar_when_the_output_is_not_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar(out)
    bar(1, 2)
    bar.close()
    assert out.getvalue() == ""
